package interop

import (
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/subscriber"
)

// The tests in this file are regressions: each showed a bug in the
// subscriber found by these interop tests and fixed since (mid-message
// stalls, oversized messages, unknown versions, heartbeat grace).

// receiveSteadily runs subscriber.Run on a tap to a pyzmq PUB looping over
// script, until it has n tracks; they must come on a single connection,
// with no seq missing.
func receiveSteadily(t *testing.T, tp *tap, opts subscriber.Options, n int) []subscriber.Track {
	t.Helper()
	var logs logRecorder
	var got []subscriber.Track
	opts.Endpoints, opts.Logger = []string{tp.endpoint()}, logs.logger()
	wait := goRun(t, withTimeout(t, 10*time.Second), opts, func(tr subscriber.Track) error {
		if got = append(got, tr); len(got) == n {
			return errEnough
		}
		return nil
	})
	err := wait()
	tp.mu.Lock()
	conns := len(tp.conns)
	tp.mu.Unlock()
	var seqs []uint64
	gaps := 0
	for i, tr := range got {
		seqs = append(seqs, tr.Seq)
		if i > 0 && tr.Seq != got[i-1].Seq+1 {
			gaps++
		}
	}
	if err != errEnough || conns != 1 || gaps > 0 {
		t.Errorf("Run = %v after %d tracks (seq %v), on %d connections; want %d tracks, no seq missing, on one\nlog:\n%s\ntap:\n%s",
			err, len(got), seqs, conns, n, logs.String(), tp.timeline())
	}
	return got
}

// TestRegressionStallMidMessage: when the network stalls in the middle of a
// message for longer than a heartbeat (shorter than the three after which
// the publisher counts as gone), the subscriber's read deadline expires
// mid-frame; receive takes that for a quiet connection and sends a PING,
// but ReadMsg has already consumed the start of the frame, so the next
// ReadMsg reads the middle of a body as a frame header ("malformed frame
// header: flags 0x74"): the connection is dropped and tracks are lost,
// or, should the bytes happen to parse, garbage is read.
func TestRegressionStallMidMessage(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", playlistScript(), "--interval", "50")
	tp := newTap(t, ep, nil)
	tp.stall = func(dir string, message int) time.Duration {
		if dir == "down" && message == 5 {
			return 450 * time.Millisecond // 1.5 heartbeats
		}
		return 0
	}
	receiveSteadily(t, tp, subscriber.Options{Heartbeat: 300 * time.Millisecond}, 20)
}

// TestRegressionOversizedForeignMessage: a message from the PUB with a frame over
// 64 KiB, or more than 16 frames, is not skipped like other foreign
// messages: ReadMsg fails with ErrTooLarge, the subscriber drops the
// connection and reconnects, and the tracks sent meanwhile are lost; a PUB
// that sends such messages often starves it. Yet docs/PROTOCOL.md tells
// clients to ignore frames past the fifth, which a later v1 may add.
func TestRegressionOversizedForeignMessage(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	manyFrames := []string{"the_many_frames"}
	for range 16 {
		manyFrames = append(manyFrames, "x")
	}
	script := []scriptEntry{
		trackEntry(playlist[0]), rawEntry("the_big_frame", strings.Repeat("x", 70<<10)),
		trackEntry(playlist[1]), rawEntry(manyFrames...),
	}
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", script, "--interval", "20")
	receiveSteadily(t, newTap(t, ep, nil), subscriber.Options{}, 10)
}

// TestRegressionUnknownVersion: docs/PROTOCOL.md says a breaking change bumps
// "v", so a v1 client cannot read a message of v 2 and must skip it; the
// subscriber (wire.Decode) accepts any v from 1 up and hands a v 2 message
// over as a v1 track.
func TestRegressionUnknownVersion(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	v2 := trackEntry(playlist[1])
	v2.Track.Extra = map[string]any{"v": 2}
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", []scriptEntry{trackEntry(playlist[0]), v2}, "--interval", "20")
	var logs logRecorder
	n := 0
	wait := goRun(t, ctx, subscriber.Options{Endpoints: []string{ep}, Logger: logs.logger()}, func(tr subscriber.Track) error {
		if tr.Version != 1 {
			t.Errorf("got a track of v %d: %s", tr.Version, tr.Path)
		}
		if n++; n == 6 {
			return errEnough
		}
		return nil
	})
	if err := wait(); err != errEnough {
		t.Fatalf("Run = %v", err)
	}
}

// TestRegressionHeartbeatGrace: subscriber.Options.Heartbeat says a publisher
// silent for three heartbeats is taken for gone (and the subscriber's PING
// asks for a TTL of three heartbeats), but receive gives up one heartbeat
// after its PING: two heartbeats of silence.
func TestRegressionHeartbeatGrace(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	const heartbeat = 300 * time.Millisecond
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", []scriptEntry{trackEntry(playlist[0])}, "--interval", "50")
	tp := newTap(t, ep, dropPongs("down")) // a publisher that stays silent
	goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}, Prefixes: []string{"nobody_"}, Heartbeat: heartbeat},
		func(subscriber.Track) error { return nil })
	tp.waitFor(t, ctx, "the subscriber to give up", func() bool { return len(tp.conns) >= 2 })
	tp.mu.Lock()
	defer tp.mu.Unlock()
	down, up := tp.conns[0].down.events, tp.conns[0].up.events
	lastHeard := down[0].at // READY: the publisher's last word
	gaveUp := up[len(up)-1].at
	if silence := gaveUp.Sub(lastHeard); silence < 3*heartbeat {
		t.Errorf("gave up after %v of silence, want at least three heartbeats (%v)", silence.Round(time.Millisecond), 3*heartbeat)
	}
}
