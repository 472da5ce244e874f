package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/pub"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// queryEndpoint reads the query endpoint publish logged.
func queryEndpoint(t *testing.T, log *syncBuffer) string {
	t.Helper()
	for _, line := range strings.Split(log.String(), "\n") {
		var l logLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "answering queries" {
			return l.Connect
		}
	}
	t.Fatalf("publish logged no query endpoint:\n%s", log)
	return ""
}

// TestQueryCommand runs publish, then query through run() against it.
func TestQueryCommand(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	eps, log := startPublish(t, ctx, nil, "--bind", "tcp://127.0.0.1:0", "--interval", "1ms", music)
	qep := queryEndpoint(t, log)
	// A track has gone out once a subscriber has one.
	if r := runArgs(t, ctx, nil, "subscribe", "-c", eps[0], "--count", "1"); r.err != nil {
		t.Fatalf("subscribe: %v\n%s", r.err, r.stderr)
	}

	trackLines := map[string]bool{
		"The Streets — Corner Shop — Bus Stop\n": true,
		"The Streets — Corner Shop — Chips\n":    true,
		"Bjork — Glacier — Tundra\n":             true,
	}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		want   string            // the exact output, if not ""
		wantOK func(string) bool // otherwise
		stderr string
		code   int
	}{
		{name: "now", args: []string{"now"}, wantOK: func(s string) bool { return trackLines[s] }},
		{name: "now --json", args: []string{"--json", "now"}, wantOK: func(s string) bool {
			var tr subscriber.Track
			return json.Unmarshal([]byte(s), &tr) == nil && tr.Seq > 0 && trackLines[tr.Artist+" — "+tr.Album+" — "+tr.Title+"\n"]
		}},
		{name: "artists", args: []string{"artists"}, want: "bjork\t1\tBjork\nthe_streets\t2\tThe Streets\n"},
		{name: "artists PREFIX", args: []string{"artists", "the_"}, want: "the_streets\t2\tThe Streets\n"},
		{name: "artists --json", args: []string{"artists", "--json"},
			want: `{"topic":"bjork","artist":"Bjork","tracks":1,"slug":"bjork","name":"Bjork"}` + "\n" +
				`{"topic":"the_streets","artist":"The Streets","tracks":2,"slug":"the_streets","name":"The Streets"}` + "\n"},
		{name: "no artist, like grep", args: []string{"artists", "zz"}, want: "", code: 1},
		{name: "a name for a prefix", args: []string{"artists", "The Streets"}, want: "the_streets\t2\tThe Streets\n",
			stderr: "trackfeed: query: topics are slugs of names: \"The Streets\" → the_streets\n"},
		{name: "stats", args: []string{"stats"}, wantOK: func(s string) bool {
			return strings.HasPrefix(s, "tracks: 3\nartists: 2\nalbums: 2\nskipped: 0\nsubscribers: ") &&
				strings.Contains(s, "\nuptime: ") && strings.Contains(s, "\nsent: ") && strings.HasSuffix(s, "\n") &&
				strings.HasSuffix(s, "\nrefused: 0\ncurve_refused: 0\n") && strings.Count(s, "\n") == 11
		}},
		{name: "stats --json", args: []string{"stats", "--json"}, wantOK: func(s string) bool {
			var st query.Stats
			return json.Unmarshal([]byte(s), &st) == nil && st.Tracks == 3 && st.Artists == 2 && st.Sent > 0 && st.UptimeSeconds >= 0
		}},
		{name: "hello", args: []string{"hello", "world"}, want: "Hello world\n"},
		{name: "hello, unquoted name", args: []string{"hello", "Sigur", "Rós"}, want: "Hello Sigur Rós\n"},
		{name: "hello --json", args: []string{"hello", "--json", "you"}, want: `{"reply":"Hello you"}` + "\n"},
		{name: "endpoint from TRACKFEED_QUERY", args: []string{"hello", "env"}, want: "Hello env\n",
			env: map[string]string{"TRACKFEED_QUERY": qep, "TRACKFEED_CONNECT": eps[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"query"}, tc.args...)
			if tc.env == nil {
				args = append(args, "-c", qep)
			}
			r := runArgs(t, ctx, tc.env, args...)
			if r.code != tc.code || r.stderr != tc.stderr {
				t.Fatalf("exit %d (%v), want %d\nstderr: %q, want %q", r.code, r.err, tc.code, r.stderr, tc.stderr)
			}
			if tc.wantOK != nil && !tc.wantOK(r.stdout) || tc.wantOK == nil && r.stdout != tc.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, tc.want)
			}
		})
	}
}

// TestQueryCommandErrors checks that each failure is one line on stderr:
// usage errors with status 2 before any connection, and no answer with
// status 1 within the timeout.
func TestQueryCommandErrors(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedEP := "tcp://" + refused.Addr().String()
	refused.Close()
	mute, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	muteEP := "tcp://" + mute.Addr().String()
	qs, err := query.Listen([]string{"tcp://127.0.0.1:0"}, new(nowSource), query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer qs.Close()
	emptyEP := qs.Endpoints()[0] // a publisher that has sent nothing yet
	feedEP := startFeed(t, ctx)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no request", nil, 2,
			"want a request: now [STATION], artists [PREFIX], stats, stations or hello NAME (see 'trackfeed query --help')"},
		{"unknown request", []string{"play"}, 2,
			`unknown request "play": want now [STATION], artists [PREFIX], stats, stations or hello NAME (see 'trackfeed query --help')`},
		{"two stations", []string{"now", "x", "y"}, 2, "now takes one STATION at most (see 'trackfeed query --help')"},
		{"argument to stations", []string{"stations", "x"}, 2, "stations takes no argument (see 'trackfeed query --help')"},
		{"two prefixes", []string{"artists", "a", "b"}, 2, "artists takes one PREFIX at most (see 'trackfeed query --help')"},
		{"hello without a name", []string{"hello"}, 2, "hello wants a NAME, as in: trackfeed query hello world"},
		{"zero timeout", []string{"--timeout", "0", "now"}, 2, "--timeout 0s: want more than 0, such as 5s"},
		{"malformed endpoint", []string{"-c", "localhost:10002", "now"}, 2,
			`--connect: endpoint "localhost:10002": want tcp://HOST:PORT or ipc://PATH`},
		{"no host and port", []string{"-c", "tcp://", "now"}, 2,
			`--connect: endpoint "tcp://": want tcp://HOST:PORT, e.g. tcp://localhost:10001`},
		{"the feed's port", []string{"-c", feedEP, "now"}, 1,
			feedEP + " is a feed (a PUB socket), not a query socket: a publisher answers queries on its --query port, 10002 unless told otherwise"},
		{"nothing listening", []string{"-c", refusedEP, "now"}, 1,
			"no answer from " + refusedEP + ": connection refused (is 'trackfeed publish' running? is --query enabled?)"},
		{"no answer", []string{"-c", muteEP, "--timeout", "200ms", "stats"}, 1,
			"no answer from " + muteEP + " within 200ms (is 'trackfeed publish' running? is --query enabled?)"},
		{"error reply", []string{"-c", emptyEP, "now"}, 1,
			emptyEP + " answered: now: no track sent yet (requests: now, artists [PREFIX], stats, hello NAME)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := runArgs(t, ctx, nil, append([]string{"query"}, tc.args...)...)
			if r.code != tc.code || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", r.code, r.stdout, tc.code)
			}
			if want := "trackfeed: query: " + tc.want + "\n"; r.stderr != want {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestPublishStopsWithQueryClients: publish ends promptly when cancelled,
// though query clients are connected, one of them in its handshake.
func TestPublishStopsWithQueryClients(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	log := new(syncBuffer)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"publish", "--log-format", "json", "-b", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", music},
			new(syncBuffer), log, mapEnv(nil))
	}()
	if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"publishing"`) }); err != nil {
		t.Fatalf("publish did not start: %v\n%s", err, log)
	}
	qep := queryEndpoint(t, log)
	_, addr, _ := zmtp.ParseEndpoint(qep)
	raw, err := net.Dial("tcp", addr) // never sends its greeting
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if r := runArgs(t, ctx, nil, "query", "-c", qep, "hello", "x"); r.stdout != "Hello x\n" {
		t.Fatalf("hello: %q %v", r.stdout, r.err)
	}
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("publish: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("publish took %v to stop", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("publish still running 5s after cancel")
	}
}

// nowFeed is a feed of feedTracks, in path order, that sends only when
// told, and its query socket; the first track, seq 1, has been sent.
type nowFeed struct {
	sock     *pub.Socket
	list     *publisher.Playlist
	src      nowSource
	feedEP   string
	queryEP  string
	firstMsg []byte // the wire form of seq 1
	topic    string
}

func startNowFeed(t *testing.T) *nowFeed {
	t.Helper()
	sock, err := pub.Listen([]string{"tcp://127.0.0.1:0"}, pub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	f := &nowFeed{sock: sock, list: publisher.NewPlaylist(publisher.Sequential, 1), feedEP: sock.Endpoints()[0]}
	f.list.Add(feedTracks...)
	qs, err := query.Listen([]string{"tcp://127.0.0.1:0"}, &f.src, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qs.Close() })
	f.queryEP = qs.Endpoints()[0]
	f.firstMsg, f.topic = f.sendNext()
	return f
}

// sendNext sends the next track and returns it as sent, and its topic.
func (f *nowFeed) sendNext() ([]byte, string) {
	t, _ := f.list.Next()
	f.src.mu.Lock()
	defer f.src.mu.Unlock()
	f.src.last = &wire.Track{Topic: topics.Slug(t.Artist), Artist: t.Artist, Album: t.Album, Title: t.Title,
		Version: wire.Version, Seq: f.src.sent + 1, Sent: time.Now().UTC(), Path: t.Path}
	f.src.sent++
	msg := wire.Encode(f.src.last)
	f.sock.Send(f.src.last.Topic, msg)
	return msg, f.src.last.Topic
}

// nowSource is what nowFeed's query socket answers from.
type nowSource struct {
	mu   sync.Mutex
	last *wire.Track
	sent uint64
}

func (s *nowSource) Now() (wire.Track, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		return wire.Track{}, false
	}
	return *s.last, true
}

func (s *nowSource) Artists() map[string]int { return nil }

func (s *nowSource) Stats() query.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return query.Stats{Sent: s.sent}
}

// TestSubscribeNow: subscribe --now prints the current track first, then
// the feed; when the feed brings that same message too (as it does when
// the subscription is made before it is sent), it is not printed twice.
func TestSubscribeNow(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	f := startNowFeed(t)

	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"subscribe", "-c", f.feedEP, "--query", f.queryEP, "--now", "--count", "3",
			"--format", "{{.Seq}} {{.Title}}"}, &stdout, &stderr, mapEnv(nil))
	}()
	if _, err := stdout.waitFor(ctx, func(l string) bool { return l != "" }); err != nil {
		t.Fatalf("nothing printed: %v\n%s", err, stderr.String())
	}
	if first := strings.SplitN(stdout.String(), "\n", 2)[0]; first != "1 Bus Stop" {
		t.Fatalf("first line %q, want the current track, 1 Bus Stop", first)
	}
	// Send the first message again, then the next track, until subscribe
	// has its three lines: once it is subscribed, the feed's first message
	// is a copy of the one --now printed.
	for finished := false; !finished; {
		f.sock.Send(f.topic, f.firstMsg)
		f.sendNext()
		wait, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("subscribe: %v\n%s", err, stderr.String())
			}
			finished = true
		case <-wait.Done():
			if ctx.Err() != nil {
				t.Fatalf("subscribe did not finish:\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			}
		}
		cancel()
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "1 Bus Stop" || lines[1] == lines[0] || lines[2] == lines[0] || lines[1] == lines[2] {
		t.Errorf("lines %q: want 1 Bus Stop, then two other tracks", lines)
	}
}

// TestSubscribeNowCases: --now prints the current track only if it
// matches a prefix, and a query socket that is not there is a warning.
func TestSubscribeNowCases(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedEP := "tcp://" + refused.Addr().String()
	refused.Close()

	for _, tc := range []struct {
		name      string
		args      []string // after --now; "QUERY" stands for the query endpoint
		want      string   // the line printed (--count 1)
		stderrHas string
	}{
		{"no prefix", []string{"--query", "QUERY"}, "1 Bus Stop", ""},
		{"matching prefix", []string{"--query", "QUERY", "sigur", "the_"}, "1 Bus Stop", ""},
		{"query socket from the environment", nil, "1 Bus Stop", ""},
		{"no matching prefix", []string{"--query", "QUERY", "sigur"}, "Snjóbráð", ""},
		{"no query socket", []string{"--query", refusedEP, "the_cure"}, "Spider Silk",
			`level=WARN msg="--now: cannot get the current track; going on with the feed" query=` + refusedEP +
				` err="no answer from ` + refusedEP + `: connection refused"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startNowFeed(t)
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			args := []string{"subscribe", "--now", "--count", "1", "-c", f.feedEP, "--format", "{{.Seq}} {{.Title}}"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "QUERY", f.queryEP))
			}
			var stdout, stderr syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, args, &stdout, &stderr, mapEnv(map[string]string{"TRACKFEED_QUERY": f.queryEP}))
			}()
			// When the line is the feed's, the feed sends a track every 20ms
			// until subscribe is done; when it is the current track, the
			// feed sends nothing, so that it cannot come first.
			feed := !strings.HasPrefix(tc.want, "1 ")
			for finished := false; !finished; {
				wait, stop := context.WithTimeout(ctx, 20*time.Millisecond)
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("subscribe: %v\n%s", err, stderr.String())
					}
					finished = true
				case <-wait.Done():
					if ctx.Err() != nil {
						t.Fatalf("no line:\n%s", stderr.String())
					}
					if feed {
						f.sendNext()
					}
				}
				stop()
			}
			got := strings.TrimSuffix(stdout.String(), "\n")
			// The current track has seq 1; a track of the feed, any later
			// seq (the subscription may miss the first plays).
			if _, title, _ := strings.Cut(got, " "); got != tc.want && title != tc.want {
				t.Errorf("printed %q, want %q", got, tc.want)
			}
			if !strings.Contains(stderr.String(), tc.stderrHas) {
				t.Errorf("stderr has no %q:\n%s", tc.stderrHas, stderr.String())
			}
		})
	}
}

func TestSubscribeNowBadEndpoint(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	r := runArgs(t, ctx, nil, "subscribe", "--now", "--query", "localhost:10002")
	if want := "trackfeed: subscribe: --query: endpoint \"localhost:10002\": want tcp://HOST:PORT or ipc://PATH\n"; r.code != 2 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", r.code, r.stderr, want)
	}
}

// TestSubscribeNowFindsQuery: with one address, that of the feed, subscribe
// --now asks the query socket that the publisher names in its handshake,
// on whatever port it is. The feed sends nothing while subscribe runs, so
// the track printed came from the query socket.
func TestSubscribeNowFindsQuery(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	p := publishertest.Start(t, publisher.Config{Tracks: feedTracks, Interval: time.Hour, Query: []string{"tcp://*:0"}})
	now, _ := p.Now()
	r := runArgs(t, ctx, nil, "subscribe", "-c", p.Endpoints()[0], "--now", "--count", "1", "--format", "{{.seq}} {{.title}}")
	if want := fmt.Sprintf("%d %s\n", now.Seq, now.Title); r.err != nil || r.stdout != want {
		t.Errorf("stdout %q, %v; want %q\n%s", r.stdout, r.err, want, r.stderr)
	}
}
