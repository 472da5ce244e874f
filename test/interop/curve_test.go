package interop

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/relay/relaytest"
	"github.com/trackfeed/trackfeed/subscriber"
)

type pyKeys struct {
	Public, Secret string
}

// TestCurveKeys: keys made by pyzmq (libzmq's zmq_curve_keypair) read
// here and give the same public key; ours give libzmq's public key too.
func TestCurveKeys(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	var theirs pyKeys
	startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, &theirs)
	secret, err := curve.ParseKey(theirs.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := curve.PublicOf(secret); err != nil || pub.String() != theirs.Public {
		t.Errorf("public key of pyzmq's secret: %v %v, pyzmq says %s", pub, err, theirs.Public)
	}
	ours, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	var pub pyKeys
	startPython(t, ctx, "testdata/curve.py", "public", ours.Secret.String()).nextJSON(t, ctx, &pub)
	if pub.Public != ours.Public.String() {
		t.Errorf("libzmq derives %s from our secret key, we %s", pub.Public, ours.Public)
	}
}

// TestCurveClientToPyzmq: our CURVE handshake and message boxes against a
// pyzmq REP that is a CURVE server.
func TestCurveClientToPyzmq(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	var server pyKeys
	startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, &server)
	serverKey, _ := curve.ParseKey(server.Public)
	rep := startPython(t, ctx, "testdata/curve.py", "rep", server.Secret)
	var ep struct{ Endpoint string }
	rep.nextJSON(t, ctx, &ep)

	ckp, _ := curve.NewKeyPair()
	sec := curve.Client(ckp, serverKey)
	zc := dialZMQ4(t, ctx, ep.Endpoint, sec, zmq4.Req, false)
	// A REQ's request: an empty delimiter, then the body, each boxed.
	for i, frame := range []string{"", "world"} {
		// libzmq sends each MESSAGE as a data frame of its own (MORE is
		// inside the box), not as a command frame.
		if err := zc.SendMsg(zmq4.NewMsg(sec.Session.Seal(nil, []byte(frame), i == 0, false))); err != nil {
			t.Fatal(err)
		}
	}
	var reply []string
	for more := true; more; {
		msg, err := zc.RecvMsg()
		if err != nil {
			t.Fatal(err)
		}
		var frame []byte
		frame, more, _, err = sec.Session.Open(msg.Frames[0])
		if err != nil {
			t.Fatal(err)
		}
		reply = append(reply, string(frame))
	}
	if len(reply) != 2 || reply[0] != "" || reply[1] != "Hello world" {
		t.Errorf("reply %q, want [\"\" \"Hello world\"]", reply)
	}
}

// TestPyzmqClientToCurveServer: a pyzmq REQ, a CURVE client, against our
// CURVE server; its key is the one the server admits.
func TestPyzmqClientToCurveServer(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	skp, _ := curve.NewKeyPair()
	var client pyKeys
	startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, &client)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	var admitted curve.Key
	go func() {
		done <- func() error {
			nc, err := l.Accept()
			if err != nil {
				return err
			}
			defer nc.Close()
			sec := curve.Server(skp, func(k curve.Key) error { admitted = k; return nil })
			zc, err := zmq4.Open(nc, sec, zmq4.Rep, nil, true, nil)
			if err != nil {
				return err
			}
			var req [][]byte
			for more := true; more; {
				msg, err := zc.RecvMsg()
				if err != nil {
					return err
				}
				var frame []byte
				if frame, more, _, err = sec.Session.Open(msg.Frames[0]); err != nil {
					return err
				}
				req = append(req, frame)
			}
			for i, frame := range [][]byte{req[0], append([]byte("Hello "), req[len(req)-1]...)} {
				if err := zc.SendMsg(zmq4.NewMsg(sec.Session.Seal(nil, frame, i == 0, false))); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	var reply struct{ Reply []string }
	startPython(t, ctx, "testdata/curve.py", "req", "tcp://"+l.Addr().String(), skp.Public.String(),
		"--keys", client.Public, client.Secret, "pyzmq").nextJSON(t, ctx, &reply)
	if err := <-done; err != nil {
		t.Fatalf("our server: %v", err)
	}
	if len(reply.Reply) != 1 || reply.Reply[0] != "Hello pyzmq" || admitted.String() != client.Public {
		t.Errorf("reply %q, admitted %s; want Hello pyzmq from %s", reply.Reply, admitted, client.Public)
	}
}

// dialZMQ4 connects to endpoint and runs zmq4's handshake with sec.
func dialZMQ4(t *testing.T, ctx context.Context, endpoint string, sec zmq4.Security, typ zmq4.SocketType, server bool) *zmq4.Conn {
	t.Helper()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", endpoint[len("tcp://"):])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	zc, err := zmq4.Open(nc, sec, typ, nil, server, nil)
	if err != nil {
		t.Fatal(err)
	}
	return zc
}

// TestCurveFeedToPyzmq: a pyzmq SUB, a CURVE client holding keys pyzmq
// made, reads our CURVE publisher, whose key pair trackfeed made (as
// trackfeed keygen makes it).
func TestCurveFeedToPyzmq(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	server, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Curve: &server})
	sub := startPython(t, ctx, "testdata/sub.py", "--curve-server", server.Public.String(), p.Endpoints()[0], "the_")
	l := nextMessage(t, ctx, sub)
	if len(l.Text) < 4 || !strings.HasPrefix(l.Text[0], "the_") || !strings.HasPrefix(l.Text[1], "The ") {
		t.Errorf("pyzmq read %q over CURVE, want a track of a \"The ...\" band", l.Text)
	}
}

// TestCurveFeedFromPyzmq: our subscriber reads a pyzmq CURVE PUB whose
// keys pyzmq made.
func TestCurveFeedFromPyzmq(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	var keys pyKeys
	startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, &keys)
	serverKey, err := curve.ParseKey(keys.Public)
	if err != nil {
		t.Fatal(err)
	}
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", playlistScript(), "--curve-secret", keys.Secret)
	got := make(chan subscriber.Track, 1)
	err = subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_"}, CurveServer: &serverKey},
		func(tr subscriber.Track) error {
			got <- tr
			return errEnoughTracks
		})
	if !errors.Is(err, errEnoughTracks) {
		t.Fatalf("subscriber.Run: %v", err)
	}
	if tr := <-got; !strings.HasPrefix(tr.Topic, "the_") || tr.Seq == 0 {
		t.Errorf("read %+v over CURVE from pyzmq, want a track of a \"The ...\" band", tr)
	}
}

var errEnoughTracks = errors.New("enough")

// TestCurveQueryFromPyzmq: a pyzmq REQ, a CURVE client, asks our CURVE
// query socket.
func TestCurveQueryFromPyzmq(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	server, _ := curve.NewKeyPair()
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Query: []string{"tcp://127.0.0.1:0"}, Curve: &server})
	var reply struct{ Reply []string }
	startPython(t, ctx, "testdata/curve.py", "req", p.QueryEndpoints()[0], server.Public.String(), "hello", "pyzmq").nextJSON(t, ctx, &reply)
	if len(reply.Reply) != 1 || reply.Reply[0] != "Hello pyzmq" {
		t.Errorf("pyzmq got %q over CURVE, want [Hello pyzmq]", reply.Reply)
	}
}

// TestCurveExample runs examples/curve_sub.py, the snippet of
// docs/PROTOCOL.md, against our CURVE publisher, its public key in a file
// as trackfeed keygen writes it.
func TestCurveExample(t *testing.T) {
	ctx := withTimeout(t, 20*time.Second)
	server, _ := curve.NewKeyPair()
	pubFile := filepath.Join(t.TempDir(), "server.pub")
	if err := os.WriteFile(pubFile, []byte(server.Public.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Curve: &server})
	sub := startPython(t, ctx, filepath.Join(moduleRoot, "examples/curve_sub.py"), pubFile, p.Endpoints()[0], "the_cure")
	checkLines(t, ctx, sub, 2*len(matching("the_cure")), "the_cure")
}

// TestCurveSubscriberFirst: the other start order, both ways: a CURVE
// subscriber connects before the CURVE publisher has bound (libzmq retries,
// and so does ours), on an ipc endpoint known in advance.
func TestCurveSubscriberFirst(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	t.Run("pyzmq SUB, then our PUB", func(t *testing.T) {
		server, _ := curve.NewKeyPair()
		ep := "ipc://" + filepath.Join(t.TempDir(), "feed.sock")
		sub := startPython(t, ctx, "testdata/sub.py", "--curve-server", server.Public.String(), ep, "the_")
		publishertest.Start(t, publisher.Config{Tracks: playlist, Bind: []string{ep}, Interval: 2 * time.Millisecond, Curve: &server})
		if l := nextMessage(t, ctx, sub); len(l.Text) < 4 || !strings.HasPrefix(l.Text[0], "the_") {
			t.Errorf("pyzmq read %q over CURVE", l.Text)
		}
	})
	t.Run("our SUB, then a pyzmq PUB", func(t *testing.T) {
		var keys pyKeys
		startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, &keys)
		serverKey, _ := curve.ParseKey(keys.Public)
		ep := "ipc://" + filepath.Join(t.TempDir(), "feed.sock")
		got := make(chan error, 1)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			got <- subscriber.Run(sctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_"}, CurveServer: &serverKey},
				func(subscriber.Track) error { return errEnoughTracks })
		}()
		startPub(t, ctx, ep, playlistScript(), "--curve-secret", keys.Secret)
		if err := <-got; !errors.Is(err, errEnoughTracks) {
			t.Errorf("our subscriber, started first: %v", err)
		}
	})
}

// TestCurveRelayBetweenPyzmq: our relay between a pyzmq CURVE PUB and
// pyzmq CURVE SUBs, every key made by pyzmq: the relay is the PUB's
// client, and the server of a SUB whose key it admits, which reads the
// PUB's tracks through it; a SUB of another key is refused and counted.
func TestCurveRelayBetweenPyzmq(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	var pubKeys, subKeys, relayKeys pyKeys
	for _, k := range []*pyKeys{&pubKeys, &subKeys, &relayKeys} {
		startPython(t, ctx, "testdata/curve.py", "keypair").nextJSON(t, ctx, k)
	}
	parse := func(s string) curve.Key {
		k, err := curve.ParseKey(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	upstream, admitted := parse(pubKeys.Public), parse(subKeys.Public)
	relayPair := curve.KeyPair{Public: parse(relayKeys.Public), Secret: parse(relayKeys.Secret)}
	_, pubEP := startPub(t, ctx, "tcp://127.0.0.1:0", playlistScript(), "--curve-secret", pubKeys.Secret)
	r := relaytest.Start(t, relay.Config{
		Connect: []string{pubEP}, UpstreamCurve: &upstream,
		Curve: &relayPair,
		CurveAdmit: func(k curve.Key) error {
			if k != admitted {
				return errors.New("key not in the allowlist")
			}
			return nil
		},
	})
	sub := startPython(t, ctx, "testdata/sub.py", "--curve-server", relayKeys.Public, "--curve-keys", subKeys.Public, subKeys.Secret,
		r.Endpoints()[0], "the_")
	l := nextMessage(t, ctx, sub)
	if len(l.Text) < 4 || !strings.HasPrefix(l.Text[0], "the_") || !strings.HasPrefix(l.Text[1], "The ") {
		t.Errorf("pyzmq read %q through the relay over CURVE, want a track of a \"The ...\" band", l.Text)
	}
	startPython(t, ctx, "testdata/sub.py", "--curve-server", relayKeys.Public, r.Endpoints()[0], "the_")
	zmtptest.WaitFor(t, 10*time.Second, "the relay's refusal of a pyzmq SUB of another key", func() bool { return r.Stats().CurveRefused > 0 })
	if n := r.Stats().Subscribers; n != 1 {
		t.Errorf("%d subscribers at the relay, want the admitted one", n)
	}
}
