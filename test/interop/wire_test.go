package interop

import (
	"slices"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/subscriber"
)

// hasMessage reports whether log holds a one-frame message equal to frame.
func hasMessage(log *wireLog, frame string) bool {
	return slices.ContainsFunc(log.messages, func(m [][]byte) bool {
		return len(m) == 1 && string(m[0]) == frame
	})
}

// TestPublisherSideFiltering shows, from a tap between them, that a
// trackfeed publisher sends a libzmq SUB only the messages its
// subscriptions match, and stops sending those of a cancelled one. A SUB
// of "" on the same publisher is the control: its connection carries
// every artist.
func TestPublisherSideFiltering(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	tp := newTap(t, ep, nil)
	cure := startPython(t, ctx, "testdata/sub.py", tp.endpoint(), "the_cure")
	all := startPython(t, ctx, "testdata/sub.py", tp.endpoint(), "")
	for range 5 {
		nextMessage(t, ctx, cure)
	}
	for range len(playlist) {
		nextMessage(t, ctx, all)
	}
	// Then change cure's subscriptions: cancel the_cure, add bjork.
	cure.send(t, "unsub the_cure")
	cure.send(t, "sub bjork")
	for {
		var l pyLine
		cure.nextJSON(t, ctx, &l)
		if len(l.Text) > 0 && l.Text[0] == "bjork" {
			break
		}
	}

	tp.mu.Lock()
	defer tp.mu.Unlock()
	var cureConn, allConn *tapConn
	for _, c := range tp.conns {
		switch {
		case hasMessage(&c.up, "\x01the_cure"):
			cureConn = c
		case hasMessage(&c.up, "\x01"):
			allConn = c
		}
	}
	if cureConn == nil || allConn == nil {
		t.Fatalf("tap did not see both subscriptions go by")
	}
	if !hasMessage(&cureConn.up, "\x00the_cure") || !hasMessage(&cureConn.up, "\x01bjork") {
		t.Errorf("tap did not see the_cure cancelled and bjork subscribed")
	}
	count := func(msgs [][][]byte) map[string]int {
		n := map[string]int{}
		for _, m := range msgs {
			n[string(m[0])]++
		}
		return n
	}
	firstBjork := slices.IndexFunc(cureConn.down.messages, func(m [][]byte) bool { return string(m[0]) == "bjork" })
	before, after := count(cureConn.down.messages[:firstBjork]), count(cureConn.down.messages[firstBjork:])
	if len(before) != 1 || before["the_cure"] == 0 {
		t.Errorf("subscribed to the_cure, the publisher sent %v", before)
	}
	if len(after) != 1 || after["bjork"] == 0 {
		t.Errorf("subscribed to bjork only, the publisher sent %v", after)
	}
	sentAll := count(allConn.down.messages)
	if len(sentAll) < 2 {
		t.Errorf("control: the subscriber of \"\" got only %v", sentAll)
	}
	t.Logf("to the SUB of the_cure, then bjork: %d messages, %d bytes (%v, then %v); to the SUB of \"\": %d messages, %d bytes (%v)",
		len(cureConn.down.messages), cureConn.down.dataBytes, before, after, len(allConn.down.messages), allConn.down.dataBytes, sentAll)
}

// TestHandshakeWithLibzmq records, from a tap, what trackfeed and libzmq
// say to each other, as docs/PROTOCOL.md's notes on implementations
// describe it: trackfeed's greeting (from go-zeromq/zmq4) says ZMTP 3.0,
// libzmq's says 3.1; both use NULL; and because of trackfeed's 3.0, libzmq
// sends subscriptions as messages (0x01 and the prefix), not as 3.1
// SUBSCRIBE commands.
func TestHandshakeWithLibzmq(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)

	check := func(t *testing.T, tc *tapConn, trackfeed, libzmq *wireLog, prefix string) {
		t.Helper()
		if v, m := trackfeed.version(), trackfeed.mechanism(); v != "3.0" || m != "NULL" {
			t.Errorf("trackfeed's greeting: ZMTP %s, %s; want 3.0, NULL", v, m)
		}
		if v, m := libzmq.version(), libzmq.mechanism(); v != "3.1" || m != "NULL" {
			t.Errorf("libzmq's greeting: ZMTP %s, %s; want 3.1, NULL", v, m)
		}
		if trackfeed.commands["READY"] != 1 || libzmq.commands["READY"] != 1 {
			t.Errorf("want one READY each way, got %v and %v", trackfeed.commands, libzmq.commands)
		}
		if !hasMessage(&tc.up, "\x01"+prefix) || tc.up.commands["SUBSCRIBE"] != 0 {
			t.Errorf("want the subscription to %q as a message, got messages %q and commands %v", prefix, tc.up.messages, tc.up.commands)
		}
	}

	t.Run("pyzmq SUB, trackfeed publisher", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond), nil)
		sub := startPython(t, ctx, "testdata/sub.py", tp.endpoint(), "the_")
		nextMessage(t, ctx, sub)
		tp.mu.Lock()
		defer tp.mu.Unlock()
		tc := tp.conns[0]
		check(t, tc, &tc.down, &tc.up, "the_")
	})

	t.Run("trackfeed subscriber, pyzmq PUB", func(t *testing.T) {
		t.Parallel()
		_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", []scriptEntry{trackEntry(playlist[0])}, "--interval", "20")
		tp := newTap(t, ep, nil)
		wait := goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}, Prefixes: []string{"the_"}},
			func(subscriber.Track) error { return errEnough })
		if err := wait(); err != errEnough {
			t.Fatalf("Run = %v", err)
		}
		tp.mu.Lock()
		defer tp.mu.Unlock()
		tc := tp.conns[0]
		check(t, tc, &tc.up, &tc.down, "the_")
	})
}
