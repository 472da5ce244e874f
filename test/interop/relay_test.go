package interop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/relay/relaytest"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

// proxyLine is what testdata/proxy.py prints first: its bound endpoints.
type proxyLine struct {
	XPub string `json:"xpub"`
	XSub string `json:"xsub"`
}

// startProxy runs libzmq's zmq.proxy(XSUB, XPUB) (testdata/proxy.py) with
// args, and returns it with its endpoints.
func startProxy(t *testing.T, ctx context.Context, args ...string) (*proc, proxyLine) {
	t.Helper()
	p := startPython(t, ctx, "testdata/proxy.py", args...)
	var l proxyLine
	p.nextJSON(t, ctx, &l)
	if l.XPub == "" {
		t.Fatalf("proxy.py: want its endpoints first, got %+v", l)
	}
	return p, l
}

// stop closes p's stdin, which tells the test's Python scripts to exit,
// and waits for it to.
func (p *proc) stop(t *testing.T, ctx context.Context) {
	t.Helper()
	p.stdin.Close()
	p.wait(t, ctx)
}

// received is what one subscriber.Run got, for the test to wait on.
type received struct {
	watch
	tracks []subscriber.Track
}

// receive runs a trackfeed subscriber of prefix on ep until the test ends.
func receive(t *testing.T, ctx context.Context, ep, prefix string) *received {
	r := &received{}
	goRun(t, ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{prefix}}, func(tr subscriber.Track) error {
		r.update(func() { r.tracks = append(r.tracks, tr) })
		return nil
	})
	return r
}

// waitFor waits until cond holds of the tracks received, failing the test
// (with what was received) after ctx ends.
func (r *received) waitFor(t *testing.T, ctx context.Context, what string, cond func([]subscriber.Track) bool) []subscriber.Track {
	t.Helper()
	if err := r.wait(ctx, func() bool { return cond(r.tracks) }); err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		t.Fatalf("waiting for %s: %v; received %d tracks", what, err, len(r.tracks))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tracks)
}

// atLeast is a waitFor condition: n tracks, or n after the first index.
func atLeast(n int) func([]subscriber.Track) bool {
	return func(trs []subscriber.Track) bool { return len(trs) >= n }
}

// sentAfter is a waitFor condition: n tracks sent after t.
func sentAfter(t time.Time, n int) func([]subscriber.Track) bool {
	return func(trs []subscriber.Track) bool {
		k := 0
		for _, tr := range trs {
			if tr.Sent.After(t) {
				k++
			}
		}
		return k >= n
	}
}

// checkPrefix fails the test for each track whose topic prefix does not match.
func checkPrefix(t *testing.T, who, prefix string, trs []subscriber.Track) {
	t.Helper()
	for _, tr := range trs {
		if !topics.Match(tr.Topic, prefix) {
			t.Errorf("%s, subscribed to %s, got %s (seq %d)", who, prefix, tr.Topic, tr.Seq)
		}
	}
}

// subscriptionsUp lists the subscriptions that went up through the tap,
// in order: "+prefix" or "-prefix", every frame of every message.
func subscriptionsUp(tp *tap) []string {
	var out []string
	for _, c := range tp.conns {
		for _, m := range c.up.messages {
			for _, f := range m {
				if len(f) > 0 && f[0] <= 1 {
					out = append(out, string("-+"[f[0]])+string(f[1:]))
				}
			}
		}
	}
	return out
}

// TestLibzmqProxyBetween puts libzmq's proxy between a trackfeed publisher
// and two trackfeed subscribers, of the_ and the_streets: the prefixes go
// up to the publisher, which sends only what they match; each subscriber
// gets its topics; and when the proxy restarts, both resume by themselves.
func TestLibzmqProxyBetween(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	tp := newTap(t, startPublisher(t, "tcp://127.0.0.1:0", 5*time.Millisecond), nil)
	proxy, eps := startProxy(t, ctx, "--xsub-connect", tp.endpoint(), "--xpub-bind", "tcp://127.0.0.1:0")
	the, streets := receive(t, ctx, eps.XPub, "the_"), receive(t, ctx, eps.XPub, "the_streets")
	checkPrefix(t, "subscriber", "the_", the.waitFor(t, ctx, "tracks of the_", atLeast(10)))
	checkPrefix(t, "subscriber", "the_streets", streets.waitFor(t, ctx, "tracks of the_streets", atLeast(3)))

	tp.waitFor(t, ctx, "both prefixes upstream", func() bool {
		up := subscriptionsUp(tp)
		return slices.Contains(up, "+the_") && slices.Contains(up, "+the_streets")
	})
	tp.mu.Lock()
	for _, c := range tp.conns {
		for _, m := range c.down.messages {
			if !topics.Match(string(m[0]), "the_") {
				t.Errorf("the publisher sent %q to the proxy, which wants only the_ and the_streets", m[0])
			}
		}
	}
	tp.mu.Unlock()

	proxy.stop(t, ctx)
	restarted := time.Now()
	startProxy(t, ctx, "--xsub-connect", tp.endpoint(), "--xpub-bind", eps.XPub)
	checkPrefix(t, "subscriber", "the_", the.waitFor(t, ctx, "the_ after the restart", sentAfter(restarted, 5)))
	checkPrefix(t, "subscriber", "the_streets", streets.waitFor(t, ctx, "the_streets after the restart", sentAfter(restarted, 2)))
	t.Logf("both resumed within %v of the proxy's restart", time.Since(restarted).Round(time.Millisecond))
}

// TestRelayBetweenLibzmq puts trackfeed's relay between a pyzmq PUB and
// pyzmq SUBs: each SUB gets exactly the messages its prefixes match, byte
// for byte, including a subscription made later.
func TestRelayBetweenLibzmq(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	pub, ep := startPub(t, ctx, "tcp://127.0.0.1:0", playlistScript(), "--interval", "2")
	defer pub.stop(t, ctx)
	tp := newTap(t, ep, nil)
	r := relaytest.Start(t, relay.Config{Connect: []string{tp.endpoint()}})
	down := r.Endpoints()[0]
	the := startPython(t, ctx, "testdata/sub.py", down, "the_")
	streets := startPython(t, ctx, "testdata/sub.py", down, "the_streets")
	for _, s := range []struct {
		p      *proc
		prefix string
	}{{the, "the_"}, {streets, "the_streets"}} {
		for range 10 {
			l := nextMessage(t, ctx, s.p)
			if len(l.Text) == 0 || !topics.Match(l.Text[0], s.prefix) {
				t.Fatalf("sub.py of %s got %+v", s.prefix, l)
			}
			if len(l.Frames) != 5 || l.Meta == nil {
				t.Errorf("sub.py of %s got %d frames, want the 5 pub.py sent", s.prefix, len(l.Frames))
			}
		}
	}
	streets.send(t, "sub bjork")
	for {
		l := nextMessage(t, ctx, streets)
		if l.Text[0] == "bjork" {
			break
		}
		if !topics.Match(l.Text[0], "the_streets") {
			t.Fatalf("sub.py of the_streets and bjork got %s", l.Text[0])
		}
	}
	if got := r.Subscriptions(); !slices.Equal(got, []string{"bjork", "the_", "the_streets"}) {
		t.Errorf("relay subscribed upstream to %q", got)
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if up := subscriptionsUp(tp); !slices.Contains(up, "+bjork") {
		t.Errorf("subscriptions the relay sent to pyzmq's PUB: %q, want +bjork among them", up)
	}
}

// TestLibzmqXSubMultipart sends a trackfeed publisher subscriptions as
// libzmq's XSUB may forward them: several prefixes in one multipart
// message. Every one applies.
func TestLibzmqXSubMultipart(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	needPyzmq(t)
	const script = `
import json, sys, zmq
s = zmq.Context().socket(zmq.XSUB)
s.connect(sys.argv[1])
s.send_multipart([b"\x01the_cure", b"\x01bj"])
while True:
    print(json.dumps({"text": [s.recv_multipart()[0].decode()]}), flush=True)
`
	p := start(t, ctx, nil, python, "-c", script, ep)
	seen := map[string]bool{}
	for !seen["the_cure"] || !seen["bjork"] {
		var l pyLine
		p.nextJSON(t, ctx, &l)
		if topic := l.Text[0]; topic != "the_cure" && topic != "bjork" {
			t.Fatalf("XSUB of [the_cure, bj] got %s", topic)
		}
		seen[l.Text[0]] = true
	}
}

// TestChain runs publisher → relay → libzmq proxy → relay → subscribers
// of the_ and the_streets: each leaf gets exactly the messages its prefix
// matches, none missing and none more, as a subscriber connected to the
// publisher itself sees them.
func TestChain(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	origin := startPublisher(t, "tcp://127.0.0.1:0", 5*time.Millisecond)
	ref := receive(t, ctx, origin, "")
	ref.waitFor(t, ctx, "the reference subscriber", atLeast(1))

	first := relaytest.Start(t, relay.Config{Connect: []string{origin}})
	_, eps := startProxy(t, ctx, "--xsub-connect", first.Endpoints()[0], "--xpub-bind", "tcp://127.0.0.1:0")
	edge := relaytest.Start(t, relay.Config{Connect: []string{eps.XPub}})
	leaves := map[string]*received{}
	for _, prefix := range []string{"the_", "the_streets"} {
		leaves[prefix] = receive(t, ctx, edge.Endpoints()[0], prefix)
	}
	for prefix, l := range leaves {
		got := l.waitFor(t, ctx, "tracks of "+prefix, atLeast(20))
		lo, hi := got[0].Seq, got[len(got)-1].Seq
		all := ref.waitFor(t, ctx, fmt.Sprintf("the reference to seq %d", hi), func(trs []subscriber.Track) bool {
			return len(trs) > 0 && trs[len(trs)-1].Seq >= hi
		})
		var want []string
		for _, tr := range all {
			if tr.Seq >= lo && tr.Seq <= hi && topics.Match(tr.Topic, prefix) {
				want = append(want, fmt.Sprintf("%d %s", tr.Seq, tr.Topic))
			}
		}
		var have []string
		for _, tr := range got {
			have = append(have, fmt.Sprintf("%d %s", tr.Seq, tr.Topic))
		}
		if !slices.Equal(have, want) {
			t.Errorf("leaf of %s got\n%s\nwant\n%s", prefix, strings.Join(have, "\n"), strings.Join(want, "\n"))
		}
	}
	for _, r := range []*relay.Relay{first, edge} {
		if got := r.Subscriptions(); !slices.Equal(got, []string{"the_", "the_streets"}) {
			t.Errorf("a relay of the chain subscribed upstream to %q", got)
		}
	}
}

// TestPublisherConnectsToLibzmqProxy has two trackfeed publishers connect
// out (publish --connect) to libzmq's proxy, which binds its XSUB, as in
// the zguide's proxy pattern: a subscriber of the proxy gets both
// stations, and only its prefix.
func TestPublisherConnectsToLibzmqProxy(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	_, eps := startProxy(t, ctx, "--xsub-bind", "tcp://127.0.0.1:0", "--xpub-bind", "tcp://127.0.0.1:0")
	for _, name := range []string{"kitchen", "attic"} {
		publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Station: name, Connect: []string{eps.XSub}})
	}
	l := receive(t, ctx, eps.XPub, "the_")
	got := l.waitFor(t, ctx, "both stations", func(trs []subscriber.Track) bool {
		seen := map[string]bool{}
		for _, tr := range trs {
			seen[tr.Station] = true
		}
		return seen["kitchen"] && seen["attic"]
	})
	checkPrefix(t, "subscriber", "the_", got)
}
