package relay_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/internal/pub"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/relay/relaytest"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// playlist mixes artists that the_ and the_streets match with others.
var playlist = []library.Track{
	{Path: "a/1.mp3", Artist: "The Streets", Album: "A", Title: "One"},
	{Path: "b/1.mp3", Artist: "The Cure", Album: "B", Title: "Two"},
	{Path: "c/1.mp3", Artist: "Björk", Album: "C", Title: "Three"},
	{Path: "d/1.mp3", Artist: "The Streetsweepers", Album: "D", Title: "Four"},
	{Path: "e/1.mp3", Artist: "Theatre", Album: "E", Title: "Five"},
	{Path: "f/1.mp3", Artist: "Sigur Rós", Album: "F", Title: "Six"},
}

func startPublisher(t *testing.T, interval time.Duration) *publisher.Publisher {
	t.Helper()
	return publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: interval})
}

// leaf is a subscriber.Run under test: it records the topics it receives.
type leaf struct {
	mu     sync.Mutex
	topics []string
	seqs   []uint64
	got    chan struct{} // closed and replaced on every track
}

func runLeaf(t *testing.T, ep string, prefixes ...string) *leaf {
	t.Helper()
	l := &leaf{got: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: prefixes}, func(tr subscriber.Track) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.topics = append(l.topics, tr.Topic)
			l.seqs = append(l.seqs, tr.Seq)
			close(l.got)
			l.got = make(chan struct{})
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return l
}

// waitN waits until the leaf has n tracks more than it had at mark.
func (l *leaf) waitN(t *testing.T, mark, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		got, ch := l.topics[min(mark, len(l.topics)):], l.got
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out with %d of %d tracks: %q", len(got), n, got)
		}
	}
}

func (l *leaf) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.topics)
}

// TestLeavesGetWhatTheyAskFor puts a relay between a publisher and two
// subscribers, of the_ and the_streets: each gets exactly its topics, and
// the relay is subscribed upstream to the union.
func TestLeavesGetWhatTheyAskFor(t *testing.T) {
	p := startPublisher(t, 2*time.Millisecond)
	r := relaytest.Start(t, relay.Config{Connect: p.Endpoints()})
	the, streets := runLeaf(t, r.Endpoints()[0], "the_"), runLeaf(t, r.Endpoints()[0], "the_streets")
	for _, tc := range []struct {
		l      *leaf
		prefix string
	}{{the, "the_"}, {streets, "the_streets"}} {
		got := tc.l.waitN(t, 0, 20)
		for _, topic := range got {
			if !topics.Match(topic, tc.prefix) {
				t.Errorf("leaf of %s got %s", tc.prefix, topic)
			}
		}
		if tc.prefix == "the_" && !slices.Contains(got, "the_cure") {
			t.Errorf("leaf of the_ never got the_cure: %q", got)
		}
	}
	if got := r.Subscriptions(); !slices.Equal(got, []string{"the_", "the_streets"}) {
		t.Errorf("Subscriptions() = %q", got)
	}
}

// TestByteForByte reads the same messages at the publisher and through a
// relay, with raw connections: the frames are the same.
func TestByteForByte(t *testing.T) {
	p := startPublisher(t, 2*time.Millisecond)
	r := relaytest.Start(t, relay.Config{Connect: p.Endpoints()})
	direct := zmtptest.Sub(t, p.Endpoints()[0], "")
	relayed := zmtptest.Sub(t, r.Endpoints()[0], "")
	read := func(c *zmtp.Conn) (string, [][]byte) {
		c.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
		frames, _, err := c.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		return string(frames[4]), slices.Clone(frames)
	}
	// The relayed stream starts later: find its first message directly.
	meta, want := read(relayed)
	for {
		m, got := read(direct)
		if m != meta {
			continue
		}
		if !slices.EqualFunc(got, want, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("relayed %q\nwant %q", want, got)
		}
		break
	}
	for range 20 {
		_, a := read(direct)
		_, b := read(relayed)
		if fmt.Sprintf("%q", a) != fmt.Sprintf("%q", b) {
			t.Fatalf("relayed %q\nwant %q", b, a)
		}
	}
}

// peer is a raw downstream subscriber that the churn test drives.
type peer struct {
	c    *zmtp.Conn
	subs topics.Set
}

// TestChurn subscribes and cancels, 10,000 pairs from many peers, some of
// which leave without cancelling: the upstream's subscriptions end exactly
// the union of the live peers' prefixes.
func TestChurn(t *testing.T) {
	up, err := pub.Listen([]string{"tcp://127.0.0.1:0"}, pub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	r := relaytest.Start(t, relay.Config{Connect: up.Endpoints()})
	zmtptest.WaitFor(t, 5*time.Second, "the relay's upstream", func() bool { return r.Upstreams() == 1 })

	prefixes := []string{"", "t", "th", "the_", "the_cure", "the_streets", "b", "bjork", "sigur_ros"}
	for i := range 500 {
		prefixes = append(prefixes, fmt.Sprintf("p%d", i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var peers []*peer
	for range 40 {
		nc, err := zmtp.Dial(context.Background(), r.Endpoints()[0])
		if err != nil {
			t.Fatal(err)
		}
		c, err := zmtp.Handshake(nc, zmq4.Sub, false, zmtp.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		peers = append(peers, &peer{c: c})
	}
	// Each peer's messages are flushed in batches; a pair is a subscribe
	// now and its cancel later, so peers hold prefixes in between.
	for i := range 10_000 {
		p := peers[rng.IntN(len(peers))]
		prefix := prefixes[rng.IntN(len(prefixes))]
		p.subs.Add(prefix)
		p.c.Write(zmtp.AppendMsg(nil, append([]byte{1}, prefix...)))
		q := peers[rng.IntN(len(peers))]
		if held := q.subs.Prefixes(); len(held) > 0 {
			slices.Sort(held)
			c := held[rng.IntN(len(held))]
			q.subs.Remove(c)
			q.c.Write(zmtp.AppendMsg(nil, append([]byte{0}, c...)))
		}
		if i%100 == 0 {
			for _, p := range peers {
				if err := p.c.Flush(time.Now().Add(5 * time.Second)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, p := range peers {
		if err := p.c.Flush(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// A quarter leave holding what they have.
	for _, p := range peers[:10] {
		p.c.Close()
	}
	union := map[string]bool{}
	for _, p := range peers[10:] {
		for _, s := range p.subs.Prefixes() {
			union[s] = true
		}
	}
	want := slices.Sorted(maps.Keys(union))
	zmtptest.WaitFor(t, 10*time.Second, fmt.Sprintf("upstream subscriptions %q", want), func() bool {
		return slices.Equal(up.Subscriptions(), want) && slices.Equal(r.Subscriptions(), want)
	})
	t.Logf("union of %d live peers: %d prefixes", len(peers)-10, len(want))
	// The rest leave: nothing stays subscribed upstream.
	for _, p := range peers[10:] {
		p.c.Close()
	}
	zmtptest.WaitFor(t, 10*time.Second, "no upstream subscription", func() bool { return len(up.Subscriptions()) == 0 })
}

// TestUpstreamRestart stops the publisher for a while (a second; a minute
// with TRACKFEED_TEST_LONG=1): the relay reconnects and subscribes again
// by itself, and its leaf resumes within 2s of the publisher's return.
func TestUpstreamRestart(t *testing.T) {
	outages := []time.Duration{time.Second}
	if os.Getenv("TRACKFEED_TEST_LONG") == "1" {
		outages = append(outages, time.Minute)
	}
	for _, outage := range outages {
		t.Run(outage.String(), func(t *testing.T) {
			p, stop := publishertest.StartStoppable(t, publisher.Config{Tracks: playlist, Interval: 5 * time.Millisecond})
			ep := p.Endpoints()[0]
			r := relaytest.Start(t, relay.Config{Connect: []string{ep}})
			l := runLeaf(t, r.Endpoints()[0], "the_")
			l.waitN(t, 0, 5)
			stop()
			zmtptest.WaitFor(t, 5*time.Second, "the relay to see the publisher gone", func() bool { return r.Upstreams() == 0 })
			time.Sleep(outage) // the outage itself
			mark := l.count()
			back := time.Now()
			publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 5 * time.Millisecond, Bind: []string{ep}})
			l.waitN(t, mark, 5)
			t.Logf("after %v away, the leaf resumed %v after the publisher returned", outage, time.Since(back).Round(time.Millisecond))
			if d := time.Since(back); d > 2*time.Second {
				t.Errorf("leaf resumed after %v, want within 2s", d)
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if s := l.seqs[len(l.seqs)-1]; s > 1000 {
				t.Errorf("last seq %d: not the restarted publisher's", s)
			}
		})
	}
}

// TestHostileUpstream has publishers that break the rules connect to the
// relay's listening side: one that never finishes its handshake is let go
// after the handshake timeout; a message with a frame over the limit is
// skipped whole, and the connection goes on; the relay keeps serving.
func TestHostileUpstream(t *testing.T) {
	r := relaytest.Start(t, relay.Config{Listen: []string{"tcp://127.0.0.1:0"}, HandshakeTimeout: 200 * time.Millisecond})
	l := runLeaf(t, r.Endpoints()[0], "")
	zmtptest.WaitFor(t, 5*time.Second, "the leaf's subscription", func() bool { return len(r.Subscriptions()) == 1 })
	ep := r.ListenEndpoints()[0]

	silent, err := zmtp.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := silent.Read(make([]byte, 256)); err != nil {
		t.Fatalf("the relay sent no greeting: %v", err)
	}
	for {
		if _, err := silent.Read(make([]byte, 256)); err != nil {
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("a silent peer was let go after %v, want the 200ms handshake timeout", d)
			}
			break
		}
	}

	nc, err := zmtp.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zmtp.Handshake(nc, zmq4.Pub, false, zmtp.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	meta := []byte(`{"v":1,"seq":1,"sent":"2026-01-02T03:04:05Z","path":"p","track":0,"disc":0,"year":0,"genre":"","album_artist":"","station":"x"}`)
	c.Write(zmtp.AppendMsg(nil, []byte("big"), make([]byte, 100<<10), []byte("a"), []byte("t"), meta))
	c.Write(zmtp.AppendMsg(nil, []byte("small"), []byte("Small"), []byte("a"), []byte("t"), meta))
	if err := c.Flush(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := l.waitN(t, 0, 1); got[0] != "small" {
		t.Errorf("the leaf got %q first, want the message after the oversized one", got[0])
	}
	if r.Upstreams() != 1 {
		t.Errorf("Upstreams() = %d: the publisher was dropped for a message the relay skips", r.Upstreams())
	}
}

// TestListen has a PUB connect to the relay, as publish --connect does:
// it receives the relay's subscriptions and its messages are forwarded.
func TestListen(t *testing.T) {
	r := relaytest.Start(t, relay.Config{Listen: []string{"tcp://127.0.0.1:0"}})
	l := runLeaf(t, r.Endpoints()[0], "bjork")
	zmtptest.WaitFor(t, 5*time.Second, "the leaf's subscription", func() bool { return len(r.Subscriptions()) == 1 })

	nc, err := zmtp.Dial(context.Background(), r.ListenEndpoints()[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := zmtp.Handshake(nc, zmq4.Pub, false, zmtp.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	frames, _, err := c.ReadMsg()
	if err != nil || len(frames) != 1 || string(frames[0]) != "\x01bjork" {
		t.Fatalf("the relay sent %q, %v; want its subscription to bjork", frames, err)
	}
	for i := range 3 {
		meta := fmt.Sprintf(`{"v":1,"seq":%d,"sent":"2026-01-02T03:04:05Z","path":"p","track":0,"disc":0,"year":0,"genre":"","album_artist":"","station":"kitchen"}`, i+1)
		c.Write(zmtp.AppendMsg(nil, []byte("bjork"), []byte("Björk"), []byte("Post"), []byte("Army of Me"), []byte(meta)))
	}
	if err := c.Flush(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	l.waitN(t, 0, 3)

	if got := r.Stats().Sent; got != 3 {
		t.Errorf("Stats().Sent = %d, want 3", got)
	}
}

// TestQueryAtRelay asks a relay's query socket for the track forwarded
// last, of all and of one station, and for its stations.
func TestQueryAtRelay(t *testing.T) {
	p := startPublisher(t, 2*time.Millisecond)
	r := relaytest.Start(t, relay.Config{Connect: p.Endpoints(), Query: []string{"tcp://127.0.0.1:0"}})
	l := runLeaf(t, r.Endpoints()[0], "")
	l.waitN(t, 0, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl := query.Client{Endpoint: r.QueryEndpoints()[0]}
	now, err := cl.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if now.Seq == 0 || now.Artist == "" {
		t.Errorf("now = %+v", now)
	}
	st, err := cl.Stations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Messages == 0 {
		t.Fatalf("stations = %+v, want the publisher's", st)
	}
	if _, err := cl.NowAt(ctx, st[0].Name); err != nil && st[0].Name != "" {
		t.Errorf("now %s: %v", st[0].Name, err)
	}
	if _, err := cl.NowAt(ctx, "nowhere"); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("now nowhere: %v, want an error naming the station", err)
	}
	// Cover art stays with the publisher: the relay says where to ask.
	_, _, err = cl.Cover(ctx, "0123456789abcdef")
	if qe := (*query.Error)(nil); !errors.As(err, &qe) || !strings.HasPrefix(qe.Message, "cover: a relay does not carry cover art; ask the query socket of the publisher") {
		t.Errorf("cover at a relay: %v", err)
	}
}

// TestRelayRestart stops the relay and starts it again on the same
// endpoint: its subscriber reconnects by itself.
func TestRelayRestart(t *testing.T) {
	p := startPublisher(t, 5*time.Millisecond)
	r, stop := relaytest.StartStoppable(t, relay.Config{Connect: p.Endpoints()})
	ep := r.Endpoints()[0]
	l := runLeaf(t, ep, "the_")
	l.waitN(t, 0, 3)
	stop()
	mark := l.count()
	relaytest.Start(t, relay.Config{Connect: p.Endpoints(), Bind: []string{ep}})
	l.waitN(t, mark, 3)
}

// TestStalledLeaf has one subscriber of the relay stop reading: the
// other still gets every message, in order, and the stalled one loses
// what its queue does not hold.
func TestStalledLeaf(t *testing.T) {
	big := slices.Clone(playlist)
	for i := range big {
		big[i].Album = strings.Repeat("a", 16<<10) // fills the stalled one's socket buffers soon
	}
	p := publishertest.Start(t, publisher.Config{Tracks: big, Interval: 5 * time.Millisecond})
	// The stalled one is cut off after WriteTimeout; so would be the
	// reading one if the machine held it up that long, hence 2 s, not
	// less: under -race on a loaded CI machine a reader can pause for
	// half a second.
	r := relaytest.Start(t, relay.Config{Connect: p.Endpoints(), WriteTimeout: 2 * time.Second})
	zmtptest.Sub(t, r.Endpoints()[0], "") // subscribed, never read
	l := runLeaf(t, r.Endpoints()[0], "")
	l.waitN(t, 0, 1000)
	l.mu.Lock()
	seqs := slices.Clone(l.seqs)
	l.mu.Unlock()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("seq %d after %d: the reading subscriber lost messages", seqs[i], seqs[i-1])
		}
	}
	if s := r.Stats(); s.Dropped == 0 && s.Subscribers == 2 {
		t.Errorf("the stalled subscriber lost nothing and is still connected: it was not stalled (%+v)", s)
	}
}

// TestStations has two publishers connect to one relay, each with its
// name: a subscriber of the relay tells them apart, and the relay answers
// "now" for each and lists them.
func TestStations(t *testing.T) {
	r := relaytest.Start(t, relay.Config{Listen: []string{"tcp://127.0.0.1:0"}, Query: []string{"tcp://127.0.0.1:0"}})
	l := &leaf{got: make(chan struct{})}
	stations := map[string]int{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		subscriber.Run(ctx, subscriber.Options{Endpoints: r.Endpoints()}, func(tr subscriber.Track) error {
			l.mu.Lock()
			defer l.mu.Unlock()
			stations[tr.Station]++
			l.topics = append(l.topics, tr.Topic)
			close(l.got)
			l.got = make(chan struct{})
			return nil
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	for _, name := range []string{"kitchen", "attic"} {
		publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Station: name, Connect: r.ListenEndpoints()})
	}
	for {
		l.waitN(t, l.count(), 1)
		l.mu.Lock()
		ok := stations["kitchen"] > 0 && stations["attic"] > 0
		l.mu.Unlock()
		if ok {
			break
		}
	}
	qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer qcancel()
	cl := query.Client{Endpoint: r.QueryEndpoints()[0]}
	st, err := cl.Stations(qctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "attic" || st[1].Name != "kitchen" {
		t.Errorf("stations = %+v, want attic and kitchen", st)
	}
	for _, name := range []string{"kitchen", "attic"} {
		if tr, err := cl.NowAt(qctx, name); err != nil || tr.Station != name {
			t.Errorf("now %s = %+v, %v", name, tr, err)
		}
	}
	if r.Upstreams() != 2 {
		t.Errorf("Upstreams() = %d, want the two publishers", r.Upstreams())
	}
}
