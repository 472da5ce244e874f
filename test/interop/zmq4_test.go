package interop

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// The tests in this file are not about trackfeed: they run go-zeromq/zmq4's
// own SUB and PUB sockets against libzmq with heartbeats, to show why
// trackfeed takes only zmq4's handshake (docs/PROTOCOL.md, "Notes on
// implementations"). Their trackfeed counterparts are in heartbeat_test.go.
// Should zmq4 change, they fail, and the notes need updating.

// zmq4HeartbeatTimeout is the heartbeat timeout of the libzmq SUB on zmq4's
// PUB, longer than in heartbeat_test.go: that test needs the connection to
// last, and a longer timeout survives the stalls of a busy machine.
const zmq4HeartbeatTimeout = "2000" // ms

// zmq4Leaks are goroutines zmq4 v0.17.0's PUB leaves behind after Close
// (TestZmq4PublisherHeartbeats shows how the first gets stuck).
var zmq4Leaks = []string{
	"github.com/go-zeromq/zmq4.(*pubQReader).listen",
	"github.com/go-zeromq/zmq4.(*pubMWriter).run",
}

// TestZmq4SubscriberHeartbeats connects zmq4's SUB to a pyzmq PUB with
// heartbeats: zmq4 hands libzmq's PINGs to the application as messages
// instead of answering them, and libzmq drops the connection.
func TestZmq4SubscriberHeartbeats(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", []scriptEntry{trackEntry(playlist[0])},
		"--heartbeat", heartbeatIvl, heartbeatTimeout, "--interval", "50")
	tp := newTap(t, ep, nil)
	sub := zmq4.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial(tp.endpoint()); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	var tracks, pings int
	var err error
	for err == nil {
		var m zmq4.Msg
		m, err = sub.Recv()
		switch {
		case err != nil:
		case m.Type == zmq4.CmdMsg && len(m.Frames) == 1 && string(m.Frames[0][:5]) == "\x04PING":
			pings++
		case len(m.Frames) == 5:
			tracks++
		default:
			t.Errorf("unexpected message %q", m.Frames)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("zmq4's SUB was not dropped: %v", err)
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	c := tp.conns[0]
	if pings == 0 || c.up.commands["PONG"] != 0 || c.down.commands["PING"] == 0 {
		t.Errorf("got %d PINGs as messages; tap saw %d PINGs, %d PONGs", pings, c.down.commands["PING"], c.up.commands["PONG"])
	}
	t.Logf("zmq4's SUB got %d tracks and %d PINGs as messages, answered none, and was dropped: Recv: %v", tracks, pings, err)
}

// TestZmq4PublisherHeartbeats connects a pyzmq SUB with heartbeats to
// zmq4's PUB, which is kept busy (a libzmq peer drops a connection only when
// nothing at all arrives). zmq4 answers no PING; worse, its reader hands
// whatever is not a subscription to a queue of ten that nothing reads on a
// PUB, so after ten PINGs it is stuck and a new subscription never takes
// effect. The control subscribes after two PINGs, when it still does.
func TestZmq4PublisherHeartbeats(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	for _, tc := range []struct {
		name  string
		pings int  // PINGs before the subscription
		takes bool // whether it takes effect
	}{
		{"control: after 2 PINGs", 2, true},
		{"after 11 PINGs", 11, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tp := newTap(t, startZmq4Pub(t, ctx), nil)
			sub := startPython(t, ctx, "testdata/sub.py", "--heartbeat", heartbeatIvl, zmq4HeartbeatTimeout, tp.endpoint(), "the_cure")
			tp.waitFor(t, ctx, "PINGs", func() bool { return len(tp.conns) > 0 && tp.conns[0].up.commands["PING"] >= tc.pings })
			sub.send(t, "sub bjork")
			// Once the subscription has gone by, up to fifty messages more:
			// with it in effect, half of them are bjork's.
			var sent, bjork int
			tp.waitFor(t, ctx, "bjork, or fifty messages after the subscription", func() bool {
				c := tp.conns[0]
				if sent == 0 && hasMessage(&c.up, "\x01bjork") {
					sent = len(c.down.messages)
				}
				bjork = 0
				for _, m := range c.down.messages {
					if string(m[0]) == "bjork" {
						bjork++
					}
				}
				return bjork > 0 || sent > 0 && len(c.down.messages) >= sent+50
			})
			tp.mu.Lock()
			defer tp.mu.Unlock()
			c := tp.conns[0]
			if got := bjork > 0; got != tc.takes {
				t.Errorf("bjork subscribed after %d PINGs: took effect %v, want %v", c.up.commands["PING"], got, tc.takes)
			}
			if c.down.commands["PONG"] != 0 || len(tp.conns) != 1 {
				t.Errorf("tap saw %d PONGs, %d connections; want none, 1", c.down.commands["PONG"], len(tp.conns))
			}
			t.Logf("zmq4's PUB: %d PINGs, no PONG; bjork subscribed after PING %d: %d of %d messages after it bjork's",
				c.up.commands["PING"], tc.pings, bjork, len(c.down.messages)-sent)
		})
	}
}

// startZmq4Pub runs a zmq4 PUB that sends a the_cure and a bjork message
// every 20 ms, and returns its endpoint.
func startZmq4Pub(t *testing.T, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	pub := zmq4.NewPub(ctx)
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		pub.Close()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, topic := range []string{"the_cure", "bjork"} {
				pub.Send(zmq4.NewMsgFrom([]byte(topic), []byte("a"), []byte("b"), []byte("c"), []byte(`{"v":1}`)))
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return "tcp://" + pub.Addr().String()
}
