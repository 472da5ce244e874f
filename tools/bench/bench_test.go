//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// TestMain lets the test binary stand in for the benchmark's own binary:
// the benchmark runs it again in a hidden mode for trackfeed's side.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "_") {
		if err := run(context.Background(), "", os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "bench child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

func TestQuantile(t *testing.T) {
	l := latencies{}
	h := newHistogram()
	for us := 1; us <= 100; us++ {
		h.add(time.Duration(us) * time.Microsecond)
	}
	h.add(150 * time.Millisecond) // a coarse bucket
	l.merge(h.sparse())
	for _, tc := range []struct {
		q    float64
		want int64
	}{
		{0, 1}, {0.5, 51}, {0.99, 100}, {1, 150_000},
	} {
		if got := l.quantile(tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %d µs, want %d", tc.q, got, tc.want)
		}
	}
	if got := (latencies{}).quantile(0.5); got != -1 {
		t.Errorf("quantile of nothing = %d, want -1", got)
	}
}

func TestBuckets(t *testing.T) {
	for _, tc := range []struct{ us, low int64 }{
		{-5, 0}, {0, 0}, {99_999, 99_999}, {100_000, 100_000}, {100_999, 100_000}, {101_000, 101_000},
		{1 << 40, bucketLow(histBuckets - 1)},
	} {
		if got := bucketLow(bucket(tc.us)); got != tc.low {
			t.Errorf("bucketLow(bucket(%d)) = %d, want %d", tc.us, got, tc.low)
		}
	}
}

func TestSentTime(t *testing.T) {
	want := time.Date(2024, 2, 29, 23, 59, 58, 120_000_000, time.UTC)
	for _, tc := range []struct {
		meta string
		ok   bool
	}{
		{`{"v":1,"seq":7,"sent":"2024-02-29T23:59:58.12Z","path":"a"}`, true},
		{`{"v":1,"seq":7,"sent":"2024-02-29T23:59:58.12Z"`, true},
		{`{"v":1,"seq":7}`, false},
		{`{"v":1,"sent":"2024-02-29T23:59`, false},
		{`{"v":1,"sent":"yesterday"}`, false},
	} {
		got, ok := sentTime([]byte(tc.meta))
		if ok != tc.ok || ok && !got.Equal(want) {
			t.Errorf("sentTime(%s) = %v, %v; want %v, %v", tc.meta, got, ok, want, tc.ok)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		modes     string
		broadcast time.Duration
		count     int
		err       bool
	}{
		{"default", nil, "broadcast receive latency relay fanout idle", 5 * time.Second, 0, false},
		{"all", []string{"all"}, "broadcast receive latency relay fanout idle", 5 * time.Second, 0, false},
		{"mode then flags", []string{"broadcast", "-quick"}, "broadcast", 2 * time.Second, 1, false},
		{"flags then mode", []string{"--quick", "latency"}, "latency", 2 * time.Second, 1, false},
		{"quick keeps what is set", []string{"broadcast", "-quick", "-broadcast-duration", "7s", "-count", "2"}, "broadcast", 7 * time.Second, 2, false},
		{"two modes", []string{"idle", "fanout"}, "idle fanout", 5 * time.Second, 0, false},
		{"unknown mode", []string{"throughput"}, "", 0, 0, true},
		{"bad flag", []string{"-fast"}, "", 0, 0, true},
		{"bad receiver", []string{"-fanout-receiver", "zmq4"}, "", 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, modes, err := parseFlags(tc.args, &stderr)
			if tc.err {
				if err == nil {
					t.Fatalf("parseFlags(%q): no error", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(modes, " "); got != tc.modes {
				t.Errorf("modes %q, want %q", got, tc.modes)
			}
			if cfg.broadcastDuration != tc.broadcast || cfg.count != tc.count {
				t.Errorf("broadcast %v count %d, want %v %d", cfg.broadcastDuration, cfg.count, tc.broadcast, tc.count)
			}
		})
	}
}

func TestTracksRoundTrip(t *testing.T) {
	want := sampleTracks()
	path := filepath.Join(t.TempDir(), "tracks.tsv")
	if err := writeTracks(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readTracks(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d tracks, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("track %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// needPeer builds zmqpeer, or skips the test (fails it when CI=true)
// without a C compiler and libzmq.
func needPeer(t *testing.T, dir string) string {
	t.Helper()
	peer, err := buildPeer(context.Background(), dir)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return peer
}

// TestPeerSendsTrackfeedMessages: the libzmq reference sends, byte for
// byte, what trackfeed's Encode makes of the same track, seq and time.
func TestPeerSendsTrackfeedMessages(t *testing.T) {
	dir := t.TempDir()
	peer := needPeer(t, dir)
	tracks := sampleTracks()
	file := filepath.Join(dir, "tracks.tsv")
	if err := writeTracks(file, tracks); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub, err := start("zmqpeer pub", os.Stderr, peer, "pub", "tcp://127.0.0.1:*", "1000", "0.5", file)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.finish(0)
	l, err := pub.next(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	endpoint, ok := strings.CutPrefix(l, "endpoint ")
	if !ok {
		t.Fatalf("first line %q, want the endpoint", l)
	}
	nc, err := zmtp.Dial(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := zmtp.Handshake(nc, zmq4.Sub, false, zmtp.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(zmtp.AppendMsg(nil, []byte{1}))
	if err := c.Flush(time.Time{}); err != nil {
		t.Fatal(err)
	}

	// The warm-up comes first, then "go" starts the tracks.
	check := func(topic string, seq uint64) {
		t.Helper()
		for {
			frames, command, err := c.ReadMsg()
			if err != nil {
				t.Fatal(err)
			}
			if command || string(frames[0]) == warmupTopic && topic != warmupTopic {
				continue
			}
			sent, ok := sentTime(frames[4])
			if !ok {
				t.Fatalf("no sent time in %s", frames[4])
			}
			w := wireTrack(topic, tracks[0], seq)
			w.Sent = sent
			want := wire.Encode(w)
			if got := zmtp.AppendMsg(nil, frames...); !bytes.Equal(got, want) {
				t.Fatalf("zmqpeer sent\n%q\ntrackfeed encodes\n%q", got, want)
			}
			return
		}
	}
	check(warmupTopic, 0)
	if _, err := pub.stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	check(topics.Slug(tracks[0].Artist), 1)
	var r pubResult
	if err := pub.nextJSON(ctx, 10*time.Second, &r); err != nil {
		t.Fatal(err)
	}
	if r.Sent < 100 || r.Seconds < 0.5 || r.CPUSeconds <= 0 {
		t.Errorf("pub result %+v: want about 500 sent over 0.5 s", r)
	}
}

// runBench runs the benchmark with args, as its command would, and
// returns its report and what it said on stderr.
func runBench(t *testing.T, args ...string) (report, stderr string) {
	t.Helper()
	needPeer(t, t.TempDir())
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, self, args, nil, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	t.Log(out.String())
	return out.String(), errOut.String()
}

// reportHas fails t for each of lines that the report lacks.
func reportHas(t *testing.T, report string, lines ...string) {
	t.Helper()
	for _, want := range lines {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestBenchmark runs every mode, very short, end to end.
func TestBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs publishers and subscribers for about 15 s")
	}
	args := []string{"all", "-quick", "-subs", "2", "-broadcast-duration", "300ms",
		"-slow-duration", "1s", "-idle-duration", "1s", "-fast-rate", "1000", "-fast-duration", "300ms",
		"-fanout-subs", "20", "-fanout-duration", "1s",
		"-cpuprofile", filepath.Join(t.TempDir(), "pub.pprof")}
	out, errOut := runBench(t, args...)
	reportHas(t, out,
		"| msg/s per subscriber, 1 subscriber, as fast as possible |",
		"| msg/s per subscriber, 2 subscribers, as fast as possible |",
		"| end to end: trackfeed subscriber vs libzmq SUB, 2 subscribers |",
		"| p99 at 10 msg/s, 2 subscribers |",
		"| p99 at 1,000 msg/s, 2 subscribers |",
		"| p99, 20 subscribers at 10 msg/s |",
		"| publisher CPU (% of one core), 20 subscribers at 10 msg/s |",
		"| publisher CPU (% of one core) at 10 msg/s, 2 subscribers |",
		"| msg/s received from a libzmq PUB: internal/zmtp reader (a relay's upstream side) vs libzmq SUB |",
		"| p99 through one hop (trackfeed relay vs libzmq proxy) at 10 msg/s, 2 subscribers |",
		"| p99 added by the hop (trackfeed relay vs libzmq proxy) at 10 msg/s, 2 subscribers through the hop and 2 on the publisher, same run |",
		"libzmq "+peerVersion(t),
	)
	// Four broadcast runs, two latency, four relay (through a relay and
	// through libzmq's proxy, alone and beside subscribers on the
	// publisher), one fanout; relay's run without a hop and idle reuse
	// latency's run at 10 msg/s; receive's publisher is libzmq.
	if n := strings.Count(out, "\n| trackfeed |"); n != 11 {
		t.Errorf("%d trackfeed runs in the report, want 11", n)
	}
	if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Error("report holds NaN or Inf")
	}
	if n := strings.Count(errOut, "CPU profile of the trackfeed publisher"); n != 11 {
		t.Errorf("%d profiles, want 11", n)
	}
}

func peerVersion(t *testing.T) string {
	out, err := exec.Command("pkg-config", "--modversion", "libzmq").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// TestBenchmarkCurve runs the curve mode, very short, end to end: every
// publisher and subscriber of its CURVE runs speaks CURVE (a NULL peer of
// a CURVE publisher never gets past the handshake, and the run would fail).
func TestBenchmarkCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("runs publishers and subscribers for about 15 s")
	}
	args := []string{"curve", "-quick", "-subs", "2", "-broadcast-duration", "300ms",
		"-idle-duration", "1s", "-storm-clients", "20", "-storm-duration", "1s"}
	out, _ := runBench(t, args...)
	reportHas(t, out,
		"| msg/s per subscriber, 2 subscribers, as fast as possible, CURVE on both |",
		"| Figure | trackfeed | trackfeed NULL (reference) | ratio | goal | met |",
		"| publisher CPU (% of one core) at 10 msg/s, 2 subscribers: trackfeed CURVE vs trackfeed NULL |",
		"| p99 of the 2 subscribers at 10 msg/s while 20 CURVE clients arrive at once, CURVE on all |",
		"| seconds until all 20 arriving clients are in (handshake done) |",
		"| trackfeed CURVE | 2 × libzmq SUB + 20 arriving |",
		"| libzmq CURVE | 2 × libzmq SUB + 20 arriving |",
	)
	if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") || strings.Contains(out, "| 0.00 s |") {
		t.Error("report holds NaN, Inf or a storm that took no time")
	}
}

// TestTreeBenchmark: a small tree, half of its subscribers on halfPrefix,
// through relays and through libzmq's proxies: every subscriber gets
// every message it asked for, and no fewer are counted as asked for.
func TestTreeBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs publishers, hops and subscribers for about 10 s")
	}
	args := []string{"tree", "-quick", "-tree-subs", "8", "-tree-hops", "2", "-tree-procs", "2", "-fanout-rate", "50", "-fanout-duration", "1s"}
	out, _ := runBench(t, args...)
	reportHas(t, out,
		"| messages delivered, 8 subscribers (half on the_) under 2 hops at 50 msg/s (trackfeed relays vs libzmq proxies) | 100.0% | 100.0% |",
		"| hops' CPU (% of one core, all hops), 8 subscribers",
		"| receivers' CPU (% of one core, all receiver processes), 8 subscribers",
		"| hops' resident memory the subscribers added, per subscriber (KB), 8 subscribers",
	)
}
