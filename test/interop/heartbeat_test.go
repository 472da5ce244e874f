package interop

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/subscriber"
)

// libzmq's heartbeats in these tests: a PING every heartbeatIvl, and the
// connection dropped when nothing at all arrives within heartbeatTimeout of
// one.
const (
	heartbeatIvl     = "100" // ms
	heartbeatTimeout = "500" // ms
	// steady is how long a connection must last without a reconnection.
	steady = 5 * time.Second
)

// dropPongs makes a tap leave out the PONG commands going dir.
func dropPongs(dir string) func(string, string) bool {
	return func(d, command string) bool { return d == dir && command == "PONG" }
}

// brokenEvents are the libzmq monitor events of a connection that ended.
var brokenEvents = []string{"DISCONNECTED", "CLOSED", "CONNECT_RETRIED", "HANDSHAKE_FAILED_NO_DETAIL", "HANDSHAKE_FAILED_PROTOCOL"}

// seqOf returns frame 4's seq.
func seqOf(t *testing.T, l pyLine) uint64 {
	t.Helper()
	var m struct{ Seq uint64 }
	if err := json.Unmarshal(l.Meta, &m); err != nil || m.Seq == 0 {
		t.Fatalf("frame 4 %s: no seq (%v)", l.Meta, err)
	}
	return m.Seq
}

// TestLibzmqSubscriberHeartbeats connects a pyzmq SUB with heartbeats to a
// trackfeed publisher through a tap. The publisher sends a track every
// 600 ms, longer than libzmq's heartbeat timeout, so only its PONGs keep
// the connection up: first with a subscription that matches nothing, for
// at least ten PINGs, then with one added that matches everything, for
// five seconds in which no seq may be missing and the tap must see a single
// connection. The control drops the publisher's PONGs in the tap: libzmq
// must then give up on the connection.
func TestLibzmqSubscriberHeartbeats(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	ep := startPublisher(t, "tcp://127.0.0.1:0", 600*time.Millisecond)

	t.Run("answered", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, ep, nil)
		sub := startPython(t, ctx, "testdata/sub.py", "--monitor", "--heartbeat", heartbeatIvl, heartbeatTimeout, tp.endpoint(), "nobody_")
		tp.waitFor(t, ctx, "ten PINGs answered", func() bool {
			return len(tp.conns) > 0 && tp.conns[0].up.commands["PING"] >= 10 && tp.conns[0].down.commands["PONG"] >= 10
		})
		sub.send(t, "sub ")
		var first time.Time
		var seq uint64
		for first.IsZero() || time.Since(first) < steady {
			var l pyLine
			sub.nextJSON(t, ctx, &l)
			switch {
			case l.Frames != nil:
				n := seqOf(t, l)
				if seq == 0 {
					first = time.Now()
				} else if n != seq+1 {
					t.Errorf("seq %d after %d: messages lost", n, seq)
				}
				seq = n
			case l.Event != "":
				if slices.Contains(brokenEvents, l.Event) {
					t.Fatalf("libzmq: %s at %s\n%s", l.Event, time.Now().Format("15:04:05.000"), tp.timeline())
				}
			}
		}
		checkOneConnection(t, tp)
		tp.mu.Lock()
		defer tp.mu.Unlock()
		t.Logf("%d PINGs from libzmq, %d PONGs from trackfeed; last seq %d",
			tp.conns[0].up.commands["PING"], tp.conns[0].down.commands["PONG"], seq)
	})

	t.Run("control: PONGs dropped", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, ep, dropPongs("down"))
		sub := startPython(t, ctx, "testdata/sub.py", "--monitor", "--heartbeat", heartbeatIvl, heartbeatTimeout, tp.endpoint(), "")
		for {
			var l pyLine
			sub.nextJSON(t, ctx, &l)
			if l.Event == "DISCONNECTED" {
				break
			}
		}
		tp.waitFor(t, ctx, "libzmq to reconnect", func() bool { return len(tp.conns) >= 2 })
	})
}

// TestLibzmqPublisherHeartbeats connects trackfeed's subscriber to a pyzmq
// PUB with heartbeats through a tap: the subscriber answers the PINGs and
// keeps its connection for five seconds with no seq missing. The control
// drops its PONGs in the tap: libzmq must then drop it, and it must
// reconnect. The other way round, on a PUB without heartbeats and a quiet
// feed, libzmq must answer the subscriber's own PINGs, and when the tap
// drops the answers, the subscriber must reconnect.
func TestLibzmqPublisherHeartbeats(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 30*time.Second)
	script := playlistScript()
	startHeartbeatPub := func(t *testing.T) string {
		_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", script, "--heartbeat", heartbeatIvl, heartbeatTimeout, "--interval", "50")
		return ep
	}

	t.Run("answered", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, startHeartbeatPub(t), nil)
		var logs logRecorder
		var first time.Time
		var seq uint64
		wait := goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}, Logger: logs.logger()},
			func(tr subscriber.Track) error {
				if seq == 0 {
					first = time.Now()
				} else if tr.Seq != seq+1 {
					t.Errorf("seq %d after %d: messages lost", tr.Seq, seq)
				}
				seq = tr.Seq
				if time.Since(first) >= steady {
					return errEnough
				}
				return nil
			})
		if err := wait(); !errors.Is(err, errEnough) {
			t.Fatalf("Run = %v; log:\n%s", err, logs.String())
		}
		checkOneConnection(t, tp)
		tp.mu.Lock()
		defer tp.mu.Unlock()
		c := tp.conns[0]
		if c.down.commands["PING"] < 10 || c.up.commands["PONG"] < c.down.commands["PING"]-1 {
			t.Errorf("libzmq sent %d PINGs, trackfeed answered %d", c.down.commands["PING"], c.up.commands["PONG"])
		}
		t.Logf("%d PINGs from libzmq, %d PONGs from trackfeed; last seq %d",
			c.down.commands["PING"], c.up.commands["PONG"], seq)
	})

	t.Run("control: PONGs dropped", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, startHeartbeatPub(t), dropPongs("up"))
		goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}},
			func(subscriber.Track) error { return nil })
		tp.waitFor(t, ctx, "libzmq to drop the subscriber and the subscriber to reconnect", func() bool { return len(tp.conns) >= 2 })
	})

	// quiet runs the subscriber on a pyzmq PUB without heartbeats, through a
	// tap, subscribed to nothing that PUB sends: it PINGs every 500 ms.
	quiet := func(t *testing.T, drop func(string, string) bool) *tap {
		_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", script, "--interval", "50")
		tp := newTap(t, ep, drop)
		goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}, Prefixes: []string{"nobody_"}, Heartbeat: 500 * time.Millisecond},
			func(tr subscriber.Track) error {
				t.Errorf("subscribed to nobody_, got %s", tr.Topic)
				return nil
			})
		return tp
	}

	t.Run("subscriber's PINGs answered", func(t *testing.T) {
		t.Parallel()
		tp := quiet(t, nil)
		tp.waitFor(t, ctx, "four PINGs answered", func() bool {
			return len(tp.conns) > 0 && tp.conns[0].up.commands["PING"] >= 4 && tp.conns[0].down.commands["PONG"] >= 4
		})
		checkOneConnection(t, tp)
	})

	t.Run("control: subscriber's PINGs unanswered", func(t *testing.T) {
		t.Parallel()
		tp := quiet(t, dropPongs("down"))
		tp.waitFor(t, ctx, "the subscriber to reconnect", func() bool { return len(tp.conns) >= 2 })
	})
}
