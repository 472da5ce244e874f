//go:build unix

package publisher_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
)

// TestRunEmptied: a publisher that sends as fast as it can (Unpaced)
// whose every file is removed waits without burning a CPU, and sends again
// once a file is back.
func TestRunEmptied(t *testing.T) {
	dir, files := writeSample(t, 1)
	p := publishertest.Start(t, publisher.Config{Dir: dir, Watch: true, Interval: publisher.Unpaced})
	waitScanned(t, p)
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(files[0].Path))); err != nil {
		t.Fatal(err)
	}
	zmtptest.WaitFor(t, 10*time.Second, "the playlist to empty", func() bool { return len(p.Tracks()) == 0 })

	// A measure over a span of time, not a wait for something to happen:
	// a loop that spins uses the span's whole length in CPU time.
	before := cpuTime(t)
	time.Sleep(300 * time.Millisecond)
	if used := cpuTime(t) - before; used > 100*time.Millisecond {
		t.Errorf("with an empty playlist, Run used %v of CPU in 300ms", used)
	}

	back := librarytest.Files()[1]
	writeFile(t, dir, back, time.Now())
	zmtptest.WaitFor(t, 10*time.Second, back.Path+" to be sent", func() bool {
		tr, ok := p.Now()
		return ok && tr.Path == back.Path
	})
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
	start := time.Now()
	p := publishertest.Start(t, publisher.Config{Interval: 200 * time.Microsecond})
	time.Sleep(500 * time.Millisecond)
	sent := p.Stats().Sent
	elapsed := time.Since(start)
	want := uint64(elapsed / (200 * time.Microsecond))
	if sent < want*8/10 || sent > want+1 {
		t.Errorf("sent %d tracks in %v at one per 200µs, want about %d", sent, elapsed, want)
	}
}
