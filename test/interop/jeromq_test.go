package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/subscriber"
)

// jeromqJar is Debian's JeroMQ (libjeromq-java), version 0.3.6: it speaks
// ZMTP 2.0 and nothing newer, and zmq4's greeting cannot go below 3.0, so
// trackfeed and it cannot talk. What trackfeed owes its user is to say so
// once, by name, and not disturb anyone else.
const jeromqJar = "/usr/share/java/jeromq.jar"

var jeromqErr = sync.OnceValue(func() error {
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("no java: %v", err)
	}
	if _, err := os.Stat(jeromqJar); err != nil {
		return fmt.Errorf("no JeroMQ: %v", err)
	}
	return nil
})

// startJeromq runs testdata/Jeromq.java in mode with args.
func startJeromq(t *testing.T, ctx context.Context, mode string, args ...string) *proc {
	t.Helper()
	need(t, jeromqErr(), "install libjeromq-java and a JDK (apt-get install -y libjeromq-java default-jdk-headless)")
	return start(t, ctx, nil, "java", append([]string{"-cp", jeromqJar, "testdata/Jeromq.java", mode}, args...)...)
}

// TestJeromqSubscriber: a JeroMQ 0.3 SUB, which reconnects every 100 ms
// or so, is refused with one warning that names its ZMTP version and
// ours; a libzmq subscriber of the same publisher goes on receiving.
func TestJeromqSubscriber(t *testing.T) {
	ctx := withTimeout(t, 60*time.Second)
	var logs logRecorder
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Logger: logs.logger()})
	ep := p.Endpoints()[0]
	startJeromq(t, ctx, "sub", ep)
	// Refused three times: the first warns, the others are debug lines.
	if err := logs.wait(ctx, func() bool { return logs.countLocked("the peer speaks ZMTP 2.0") >= 3 }); err != nil {
		t.Fatalf("JeroMQ not refused three times: %v; log:\n%s", err, logs.String())
	}
	if n, all := logs.count("WARN peer refused: its ZMTP is too old"), logs.count("peer_zmtp=2.0 min_zmtp=3.0"); n != 1 || all != 1 {
		t.Errorf("%d warnings, %d lines naming ZMTP 2.0 and 3.0; want one warning that names both; log:\n%s", n, all, logs.String())
	}
	sub := startPython(t, ctx, "testdata/sub.py", ep, "the_")
	checkMessage(t, nextMessage(t, ctx, sub), "the_", time.Time{})
}

// TestJeromqPublisher: our subscriber, pointed at a JeroMQ 0.3 PUB, says
// once at warning level that its ZMTP is too old, and keeps trying.
func TestJeromqPublisher(t *testing.T) {
	ctx := withTimeout(t, 60*time.Second)
	pub := startJeromq(t, ctx, "pub", "tcp://127.0.0.1")
	var l pyLine
	pub.nextJSON(t, ctx, &l)
	var logs logRecorder
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- subscriber.Run(runCtx, subscriber.Options{Endpoints: []string{l.Endpoint}, Logger: logs.logger(),
			ReconnectMin: 10 * time.Millisecond, ReconnectMax: 20 * time.Millisecond},
			func(tr subscriber.Track) error { return errors.New("a track from JeroMQ 0.3") })
	}()
	if err := logs.wait(ctx, func() bool { return logs.countLocked("the peer speaks ZMTP 2.0") >= 3 }); err != nil {
		t.Fatalf("our subscriber did not meet JeroMQ's ZMTP 2.0 three times: %v; log:\n%s", err, logs.String())
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("subscriber.Run = %v", err)
	}
	if n, all := logs.count("WARN waiting for the publisher: its ZMTP is too old"), logs.count("peer_zmtp=2.0 min_zmtp=3.0"); n != 1 || all != 1 {
		t.Errorf("%d warnings, %d lines naming ZMTP 2.0 and 3.0; want one warning that names both; log:\n%s", n, all, logs.String())
	}
}
