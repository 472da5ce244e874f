// Package publishertest starts publishers for tests, the way
// net/http/httptest starts servers: on a kernel-chosen loopback port,
// ready when it returns, stopped when the test ends.
package publishertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/servicetest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
)

// Start runs a publisher of cfg until the test ends and returns it once its
// first track is on the air. Unset, Bind is a free port of 127.0.0.1, Order
// is Sequential with Seed 1, and Tracks are Tracks(10). The test fails if
// the publisher cannot start, if Run fails, or if it takes more than 5s to
// stop.
func Start(t testing.TB, cfg publisher.Config) *publisher.Publisher {
	t.Helper()
	p, _ := start(t, cfg)
	return p
}

// StartStoppable is Start, also returning a function that stops the
// publisher at once (a restart test calls it, then Start again at the same
// endpoint). Calling it more than once does nothing more.
func StartStoppable(t testing.TB, cfg publisher.Config) (*publisher.Publisher, func()) {
	t.Helper()
	return start(t, cfg)
}

func start(t testing.TB, cfg publisher.Config) (*publisher.Publisher, func()) {
	t.Helper()
	if len(cfg.Bind) == 0 {
		cfg.Bind = []string{"tcp://127.0.0.1:0"}
	}
	if cfg.Order == publisher.Shuffle && cfg.Seed == 0 {
		cfg.Order, cfg.Seed = publisher.Sequential, 1
	}
	if cfg.Dir == "" && len(cfg.Tracks) == 0 {
		cfg.Tracks = Tracks(10)
	}
	p, err := publisher.New(cfg)
	if err != nil {
		t.Fatalf("publishertest: %v", err)
	}
	run := servicetest.Run(t, "publishertest", p.Run)
	select {
	case <-p.OnAir():
	case <-run.Ended():
		t.Fatalf("publishertest: Run ended before the first track: %v", run.Err())
	case <-time.After(10 * time.Second):
		run.Stop()
		t.Fatalf("publishertest: no track on the air within 10s")
	}
	return p, run.Stop
}

// Tracks returns n tracks of "The Streets", numbered from 1, each at a path
// of its own.
func Tracks(n int) []library.Track {
	out := make([]library.Track, n)
	for i := range out {
		out[i] = library.Track{
			Path:   fmt.Sprintf("The Streets/Original Pirate Material/%02d Track %d.mp3", i+1, i+1),
			Artist: "The Streets", Album: "Original Pirate Material",
			Title: fmt.Sprintf("Track %d", i+1), TrackNo: i + 1, Year: 2002,
		}
	}
	return out
}
