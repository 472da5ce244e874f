package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/subscriber"
)

// zeromqjs is the folder of the zeromq.js peer: its package.json pins the
// npm package "zeromq", which carries its own libzmq (another build than
// Debian's, which pyzmq uses).
const zeromqjs = "testdata/zeromqjs"

var zeromqjsErr = sync.OnceValue(func() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("no node: %v", err)
	}
	if _, err := os.Stat(filepath.Join(zeromqjs, "node_modules", "zeromq")); err != nil {
		return fmt.Errorf("zeromq.js is not installed in %s", zeromqjs)
	}
	return nil
})

// startNode runs peer.mjs in mode with args, or skips (fails under CI)
// without node or the zeromq package.
func startNode(t *testing.T, ctx context.Context, mode string, args ...string) *proc {
	t.Helper()
	need(t, zeromqjsErr(), "install nodejs and npm, then run: npm ci --prefix test/interop/"+zeromqjs)
	return start(t, ctx, nil, "node", append([]string{filepath.Join(zeromqjs, "peer.mjs"), mode}, args...)...)
}

// TestZeromqjsSubscriber: a zeromq.js SUB gets from our publisher exactly
// the artists it subscribed to, each message in the documented format.
func TestZeromqjsSubscriber(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	start := time.Now()
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	sub := startNode(t, ctx, "sub", ep, "the_cure", "the_do")
	want := append(matching("the_cure"), matching("the_do")...)
	seen := map[string]bool{}
	for range 3 * len(want) {
		l := nextMessage(t, ctx, sub)
		prefix := "the_cure"
		if strings.HasPrefix(l.Text[0], "the_do") {
			prefix = "the_do"
		}
		src, _ := checkMessage(t, l, prefix, start)
		seen[src.Path] = true
	}
	for _, tr := range want {
		if !seen[tr.Path] {
			t.Errorf("zeromq.js never received %s", tr.Path)
		}
	}
}

// TestZeromqjsPublisher: our subscriber reads tracks from a zeromq.js PUB
// that writes trackfeed's format.
func TestZeromqjsPublisher(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	ep := startNodePub(t, ctx, playlistScript())
	want := map[string]bool{}
	for _, tr := range matching("the_") {
		want[tr.Path] = false
	}
	n := 0
	err := subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_"}},
		func(tr subscriber.Track) error {
			if _, ok := want[tr.Path]; !ok || tr.Version != 1 || tr.Seq == 0 {
				t.Errorf("got %s (v %d, seq %d): not a track of the_ in the script", tr.Path, tr.Version, tr.Seq)
			}
			want[tr.Path] = true
			if n++; n == 2*len(want) {
				return errEnoughTracks
			}
			return nil
		})
	if !errors.Is(err, errEnoughTracks) {
		t.Fatalf("subscriber.Run: %v", err)
	}
	for path, seen := range want {
		if !seen {
			t.Errorf("never received %s in %d tracks", path, n)
		}
	}
}

// startNodePub runs peer.mjs pub on script, bound to a port of loopback,
// and returns the endpoint.
func startNodePub(t *testing.T, ctx context.Context, script []scriptEntry, args ...string) string {
	t.Helper()
	file := writeScript(t, script)
	p := startNode(t, ctx, "pub", append(args, "--interval", "2", "tcp://127.0.0.1:0", file)...)
	var l pyLine
	p.nextJSON(t, ctx, &l)
	if l.Endpoint == "" {
		t.Fatalf("peer.mjs pub: want its endpoint first, got %+v", l)
	}
	return l.Endpoint
}

// TestZeromqjsQuery: a zeromq.js REQ asks our query socket.
func TestZeromqjsQuery(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Query: []string{"tcp://127.0.0.1:0"}})
	var reply struct{ Reply []string }
	startNode(t, ctx, "req", p.QueryEndpoints()[0], "hello", "zeromq.js").nextJSON(t, ctx, &reply)
	if len(reply.Reply) != 1 || reply.Reply[0] != "Hello zeromq.js" {
		t.Errorf("zeromq.js got %q, want [Hello zeromq.js]", reply.Reply)
	}
	startNode(t, ctx, "req", p.QueryEndpoints()[0], "artists", "the_streets").nextJSON(t, ctx, &reply)
	if len(reply.Reply) != 2 || reply.Reply[0] != "artists" || !strings.Contains(reply.Reply[1], `"The Streets"`) {
		t.Errorf("zeromq.js asked for artists the_streets, got %q", reply.Reply)
	}
}

// TestZeromqjsCurve: with CURVE, a zeromq.js SUB reads our publisher and
// asks its query socket; our subscriber reads a zeromq.js CURVE PUB. The
// keys on each side are made by the other stack.
func TestZeromqjsCurve(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	var v struct {
		Zeromq string
		Curve  bool
	}
	startNode(t, ctx, "version").nextJSON(t, ctx, &v)
	if !v.Curve {
		t.Fatalf("zeromq.js %s has no CURVE", v.Zeromq)
	}
	server, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("our publisher", func(t *testing.T) {
		p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond,
			Query: []string{"tcp://127.0.0.1:0"}, Curve: &server})
		sub := startNode(t, ctx, "sub", "--curve-server", server.Public.String(), p.Endpoints()[0], "the_")
		if l := nextMessage(t, ctx, sub); len(l.Text) < 4 || !strings.HasPrefix(l.Text[0], "the_") {
			t.Errorf("zeromq.js read %q over CURVE, want a track of a \"The ...\" band", l.Text)
		}
		var reply struct{ Reply []string }
		startNode(t, ctx, "req", "--curve-server", server.Public.String(), p.QueryEndpoints()[0], "hello", "curve").nextJSON(t, ctx, &reply)
		if len(reply.Reply) != 1 || reply.Reply[0] != "Hello curve" {
			t.Errorf("zeromq.js got %q over CURVE, want [Hello curve]", reply.Reply)
		}
	})

	t.Run("their publisher", func(t *testing.T) {
		ep := startNodePub(t, ctx, playlistScript(), "--curve-secret", server.Secret.String())
		err := subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_"}, CurveServer: &server.Public},
			func(tr subscriber.Track) error {
				if !strings.HasPrefix(tr.Topic, "the_") || tr.Seq == 0 {
					t.Errorf("read %+v over CURVE from zeromq.js, want a track of a \"The ...\" band", tr)
				}
				return errEnoughTracks
			})
		if !errors.Is(err, errEnoughTracks) {
			t.Fatalf("subscriber.Run: %v", err)
		}
	})
}
