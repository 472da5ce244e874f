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

// A stack is a ZeroMQ implementation other than pyzmq's that the tests
// below run in each role: a program that speaks sub.py's and pub.py's line
// formats in its modes sub, pub and req.
type stack struct {
	name  string
	start func(t *testing.T, ctx context.Context, mode string, args ...string) *proc
}

// stacks are zeromq.js (the npm package "zeromq", which carries its own
// libzmq: another build than Debian's, which pyzmq uses) and Perl's
// ZMQ::FFI (trackfeed grew from a Perl system).
var stacks = []stack{{"zeromq.js", startNode}, {"perl", startPerl}}

// zeromqjs is the folder of the zeromq.js peer; its package.json pins the
// npm package.
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

// startNode runs testdata/zeromqjs/peer.mjs in mode with args, or skips
// (fails under CI) without node or the zeromq package.
func startNode(t *testing.T, ctx context.Context, mode string, args ...string) *proc {
	t.Helper()
	need(t, zeromqjsErr(), "install nodejs and npm, then run: npm ci --prefix test/interop/"+zeromqjs)
	return start(t, ctx, nil, "node", append([]string{filepath.Join(zeromqjs, "peer.mjs"), mode}, args...)...)
}

var perlErr = sync.OnceValue(func() error {
	out, err := exec.Command("perl", "-MZMQ::FFI", "-e", "ZMQ::FFI->new").CombinedOutput()
	if err != nil {
		return fmt.Errorf("perl cannot load ZMQ::FFI: %v %s", err, lastLine(out))
	}
	return nil
})

// startPerl runs testdata/peer.pl in mode with args, or skips (fails under
// CI) without ZMQ::FFI.
func startPerl(t *testing.T, ctx context.Context, mode string, args ...string) *proc {
	t.Helper()
	need(t, perlErr(), "install libzmq-ffi-perl (apt-get install -y libzmq-ffi-perl)")
	return start(t, ctx, nil, "perl", append([]string{"testdata/peer.pl", mode}, args...)...)
}

// TestStacksSubscribe: each stack's SUB gets from our publisher exactly
// the artists it subscribed to, each message in the documented format.
func TestStacksSubscribe(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	start := time.Now()
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	want := append(matching("the_cure"), matching("the_do")...)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			sub := s.start(t, ctx, "sub", ep, "the_cure", "the_do")
			seen := map[string]bool{}
			for range 3 * len(want) {
				l := nextMessage(t, ctx, sub)
				prefix := "the_cure"
				if len(l.Text) > 0 && strings.HasPrefix(l.Text[0], "the_do") {
					prefix = "the_do"
				}
				src, _ := checkMessage(t, l, prefix, start)
				seen[src.Path] = true
			}
			for _, tr := range want {
				if !seen[tr.Path] {
					t.Errorf("%s never received %s", s.name, tr.Path)
				}
			}
		})
	}
}

// TestStacksPublish: our subscriber reads tracks from each stack's PUB
// writing trackfeed's format.
func TestStacksPublish(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			ep := startStackPub(t, ctx, s, playlistScript())
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
		})
	}
}

// startStackPub runs s's pub mode on script, bound to a port of loopback,
// and returns the endpoint.
func startStackPub(t *testing.T, ctx context.Context, s stack, script []scriptEntry, args ...string) string {
	t.Helper()
	p := s.start(t, ctx, "pub", append(args, "--interval", "2", "tcp://127.0.0.1:0", writeScript(t, script))...)
	var l pyLine
	p.nextJSON(t, ctx, &l)
	if l.Endpoint == "" {
		t.Fatalf("%s pub: want its endpoint first, got %+v", s.name, l)
	}
	return l.Endpoint
}

// TestStacksQuery: each stack's REQ asks our query socket.
func TestStacksQuery(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Query: []string{"tcp://127.0.0.1:0"}})
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			var reply struct{ Reply []string }
			s.start(t, ctx, "req", p.QueryEndpoints()[0], "hello", s.name).nextJSON(t, ctx, &reply)
			if len(reply.Reply) != 1 || reply.Reply[0] != "Hello "+s.name {
				t.Errorf("%s got %q, want [Hello %s]", s.name, reply.Reply, s.name)
			}
			s.start(t, ctx, "req", p.QueryEndpoints()[0], "artists", "the_streets").nextJSON(t, ctx, &reply)
			if len(reply.Reply) != 2 || reply.Reply[0] != "artists" || !strings.Contains(reply.Reply[1], `"The Streets"`) {
				t.Errorf("%s asked for artists the_streets, got %q", s.name, reply.Reply)
			}
		})
	}
}

// TestStacksCurve: with CURVE, each stack's SUB reads our publisher and
// its REQ asks our query socket, with a key pair its libzmq made; our
// subscriber reads its CURVE PUB, whose key pair trackfeed made.
func TestStacksCurve(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	server, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond,
		Query: []string{"tcp://127.0.0.1:0"}, Curve: &server})
	for _, s := range stacks {
		t.Run(s.name, func(t *testing.T) {
			sub := s.start(t, ctx, "sub", "--curve-server", server.Public.String(), p.Endpoints()[0], "the_")
			if l := nextMessage(t, ctx, sub); len(l.Text) < 4 || !strings.HasPrefix(l.Text[0], "the_") {
				t.Errorf("%s read %q over CURVE, want a track of a \"The ...\" band", s.name, l.Text)
			}
			var reply struct{ Reply []string }
			s.start(t, ctx, "req", "--curve-server", server.Public.String(), p.QueryEndpoints()[0], "hello", "curve").nextJSON(t, ctx, &reply)
			if len(reply.Reply) != 1 || reply.Reply[0] != "Hello curve" {
				t.Errorf("%s got %q over CURVE, want [Hello curve]", s.name, reply.Reply)
			}

			ep := startStackPub(t, ctx, s, playlistScript(), "--curve-secret", server.Secret.String())
			err := subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_"}, CurveServer: &server.Public},
				func(tr subscriber.Track) error {
					if !strings.HasPrefix(tr.Topic, "the_") || tr.Seq == 0 {
						t.Errorf("read %+v over CURVE from %s, want a track of a \"The ...\" band", tr, s.name)
					}
					return errEnoughTracks
				})
			if !errors.Is(err, errEnoughTracks) {
				t.Fatalf("subscriber.Run on %s's CURVE PUB: %v", s.name, err)
			}
		})
	}
}
