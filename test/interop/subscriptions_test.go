package interop

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/subscriber"
)

var errEnough = errors.New("enough tracks")

// goRun runs subscriber.Run in a goroutine until handle returns an error or
// the test ends; the function it returns waits for Run and returns its error.
func goRun(t *testing.T, ctx context.Context, opts subscriber.Options, handle func(subscriber.Track) error) func() error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = subscriber.Run(ctx, opts, handle)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return func() error {
		<-done
		return err
	}
}

// TestSubscribeBeforeBind starts the subscribing side first, on an ipc://
// path where nothing is bound yet, in both directions: each must connect
// once the other binds, and its subscription must then take effect.
func TestSubscribeBeforeBind(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)

	t.Run("trackfeed subscriber then pyzmq PUB", func(t *testing.T) {
		t.Parallel()
		ep := "ipc://" + filepath.Join(t.TempDir(), "feed")
		var logs logRecorder
		got := make(chan subscriber.Track, 1)
		wait := goRun(t, ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{"the_cure"}, Logger: logs.logger()},
			func(tr subscriber.Track) error {
				got <- tr
				return errEnough
			})
		// The subscriber has tried to connect and failed: nothing is bound.
		if err := logs.wait(ctx, func() bool { return len(logs.records) > 0 }); err != nil {
			t.Fatal(err)
		}
		startPub(t, ctx, ep, playlistScript(), "--interval", "5")
		if err := wait(); !errors.Is(err, errEnough) {
			t.Fatalf("Run = %v; log:\n%s", err, logs.String())
		}
		if tr := <-got; tr.Topic != "the_cure" {
			t.Errorf("subscribed to the_cure, got %q", tr.Topic)
		}
	})

	t.Run("pyzmq SUB then trackfeed publisher", func(t *testing.T) {
		t.Parallel()
		ep := "ipc://" + filepath.Join(t.TempDir(), "feed")
		sub := startPython(t, ctx, "testdata/sub.py", "--monitor", ep, "the_cure")
		// libzmq has tried to connect and failed: nothing is bound.
		for {
			var l pyLine
			sub.nextJSON(t, ctx, &l)
			if l.Event == "CONNECT_RETRIED" {
				break
			}
			if l.Event != "CONNECT_DELAYED" && l.Event != "CLOSED" {
				t.Fatalf("sub.py: want the connection to be retried, got %+v", l)
			}
		}
		startPublisher(t, ep, 2*time.Millisecond)
		if l := nextMessage(t, ctx, sub); l.Text[0] != "the_cure" {
			t.Errorf("subscribed to the_cure, got %q", l.Text)
		}
	})
}

// TestSubscribeLater adds and cancels a pyzmq SUB's subscriptions while it is
// connected to a trackfeed publisher.
func TestSubscribeLater(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	sub := startPython(t, ctx, "testdata/sub.py", ep, "the_cure")
	if l := nextMessage(t, ctx, sub); l.Text[0] != "the_cure" {
		t.Fatalf("subscribed to the_cure, got %q", l.Text)
	}
	sub.send(t, "sub bjork")
	var topics []string
	for !slices.Contains(topics, "bjork") {
		var l pyLine
		sub.nextJSON(t, ctx, &l)
		if l.OK != nil {
			continue
		}
		if len(l.Text) == 0 || l.Text[0] != "the_cure" && l.Text[0] != "bjork" {
			t.Fatalf("subscribed to the_cure and bjork, got %+v", l)
		}
		topics = append(topics, l.Text[0])
	}
	t.Logf("topics until the new subscription took effect: %s", strings.Join(topics, " "))
}
