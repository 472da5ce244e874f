package publisher_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
)

// fakeRemote is a Config.Scan that finds the paths it is given.
type fakeRemote struct {
	mu    sync.Mutex
	paths []string
	hold  chan struct{} // the first scan waits for it after its first track
	scans int
}

func (f *fakeRemote) scan(ctx context.Context, opts library.Options) (*library.Library, error) {
	f.mu.Lock()
	paths := slices.Clone(f.paths)
	f.scans++
	n := f.scans
	f.mu.Unlock()
	lib := &library.Library{}
	for i, p := range paths {
		t := library.FromPath(p)
		lib.Tracks = append(lib.Tracks, t)
		opts.OnTrack(t)
		if i == 0 && n == 1 && f.hold != nil {
			select {
			case <-f.hold:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return lib, nil
}

func (f *fakeRemote) set(paths ...string) {
	f.mu.Lock()
	f.paths = paths
	f.mu.Unlock()
}

// waitTracks waits until the publisher plays exactly paths. It looks
// until then: a scan's end is not the moment its tracks are in the
// playlist, which the publisher fills after.
func waitTracks(t *testing.T, p *publisher.Publisher, paths ...string) {
	t.Helper()
	zmtptest.WaitFor(t, 10*time.Second, fmt.Sprintf("the playlist to be %v", paths), func() bool {
		return slices.Equal(pathsOf(p.Tracks()), paths)
	})
}

func pathsOf(tracks []library.Track) []string {
	var out []string
	for _, t := range tracks {
		out = append(out, t.Path)
	}
	return out
}

// TestScannedElsewhere: a library from Config.Scan is on the air with its
// first track, and a rescan (on request, or on a schedule) replaces it,
// the tracks it does not find leaving.
func TestScannedElsewhere(t *testing.T) {
	f := &fakeRemote{hold: make(chan struct{})}
	f.set("A/B/01 One.mp3", "A/B/02 Two.mp3", "A/B/03 Three.mp3")
	p := publishertest.Start(t, publisher.Config{Dir: "tcp://ventilator .", Scan: f.scan, Interval: time.Millisecond})
	select {
	case <-p.OnAir():
	case <-time.After(5 * time.Second):
		t.Fatal("not on the air with the first track of the scan")
	}
	close(f.hold)
	waitTracks(t, p, "A/B/01 One.mp3", "A/B/02 Two.mp3", "A/B/03 Three.mp3")

	f.set("A/B/01 One.mp3", "A/B/04 Four.mp3")
	p.Rescan()
	waitTracks(t, p, "A/B/01 One.mp3", "A/B/04 Four.mp3")
}

func TestRescanOnSchedule(t *testing.T) {
	f := &fakeRemote{}
	f.set("A/B/01 One.mp3")
	p := publishertest.Start(t, publisher.Config{Dir: "tcp://ventilator .", Scan: f.scan, Rescan: 10 * time.Millisecond})
	waitTracks(t, p, "A/B/01 One.mp3")
	f.set("A/B/02 Two.mp3")
	waitTracks(t, p, "A/B/02 Two.mp3")
}
