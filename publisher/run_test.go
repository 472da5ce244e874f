//go:build unix

package publisher_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
)

// TestRunEmptied empties the playlist of a publisher that sends as fast as
// it can (interval 0), as a watcher does when every file goes: it waits
// without burning a CPU, and sends again once a track is back.
func TestRunEmptied(t *testing.T) {
	sock, err := publisher.Listen([]string{"tcp://127.0.0.1:0"}, publisher.SocketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	list := publisher.NewPlaylist(publisher.Sequential, 1)
	first := library.Track{Path: "A/B/01 One.mp3", Artist: "A", Title: "One"}
	list.Add(first)
	pub := publisher.New(sock, list, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()

	lastIs := func(path string) {
		t.Helper()
		for ctx.Err() == nil {
			if tr, ok := pub.Last(); ok && tr.Path == path {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("%s not sent within 10s", path)
	}
	lastIs(first.Path)
	list.Remove(first.Path)

	// A measure over a span of time, not a wait for something to happen:
	// a loop that spins uses the span's whole length in CPU time.
	before := cpuTime(t)
	time.Sleep(300 * time.Millisecond)
	if used := cpuTime(t) - before; used > 100*time.Millisecond {
		t.Errorf("with an empty playlist, Run used %v of CPU in 300ms", used)
	}

	list.Add(library.Track{Path: "A/B/02 Two.mp3", Artist: "A", Title: "Two"})
	lastIs("A/B/02 Two.mp3")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// cpuTime is the CPU time the process has used so far.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRunKeepsSchedule: at a short interval the publisher sends one track
// per interval of elapsed time, making up for late wake-ups (a ticker
// drops the ticks it misses).
func TestRunKeepsSchedule(t *testing.T) {
	sock, err := publisher.Listen([]string{"tcp://127.0.0.1:0"}, publisher.SocketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	list := publisher.NewPlaylist(publisher.Shuffle, 1)
	list.Add(library.Track{Path: "A/B/01 One.mp3", Artist: "A", Title: "One"})
	pub := publisher.New(sock, list, 200*time.Microsecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- pub.Run(ctx) }()
	time.Sleep(500 * time.Millisecond)
	tr, _ := pub.Last()
	elapsed := time.Since(start)
	cancel()
	<-done
	want := uint64(elapsed / (200 * time.Microsecond))
	if tr.Seq < want*9/10 || tr.Seq > want+1 {
		t.Errorf("sent %d tracks in %v at one per 200µs, want about %d", tr.Seq, elapsed, want)
	}
}
