package subscriber_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testTracks = []library.Track{
	{Path: "The Streets/Original Pirate Material/01 Turn the Page.mp3", Artist: "The Streets", Album: "Original Pirate Material", Title: "Turn the Page", TrackNo: 1, Year: 2002},
	{Path: "The Streets/A Grand/02 Fit.mp3", Artist: "The Streets", Album: "A Grand", Title: "Fit", TrackNo: 2, Year: 2004},
	{Path: "The Cure/Disintegration/01 Plainsong.mp3", Artist: "The Cure", Album: "Disintegration", Title: "Plainsong", TrackNo: 1, Year: 1989},
	{Path: "The Streetsweepers/Brooms/01 Dust.mp3", Artist: "The Streetsweepers", Album: "Brooms", Title: "Dust"},
	{Path: "Sigur Rós/Takk/01 Glósóli.mp3", Artist: "Sigur Rós", Album: "Takk", Title: "Glósóli", Year: 2005},
	{Path: "Björk/Post/01 Army of Me.mp3", Artist: "Björk", Album: "Post", Title: "Army of Me"},
	{Path: "Theatre/Act/01 One.mp3", Artist: "Theatre", Album: "Act", Title: "One"},
}

// startPublisher binds a publisher on a kernel-chosen loopback port.
func startPublisher(t *testing.T, ctx context.Context, interval time.Duration) string {
	t.Helper()
	p := publishertest.Start(t, publisher.Config{Tracks: testTracks, Interval: interval, Order: publisher.Shuffle, Seed: 1})
	return p.Endpoints()[0]
}

var errEnough = errors.New("enough")

// TestPrefixes runs one publisher and three subscribers over loopback TCP;
// each must receive only the artists it asked for, well formed.
func TestPrefixes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ep := startPublisher(t, ctx, time.Millisecond)

	byArtist := map[string]library.Track{}
	for _, tr := range testTracks {
		byArtist[tr.Artist] = tr
	}
	const want = 60
	var wg sync.WaitGroup
	for _, prefix := range []string{"the_", "the_streets", ""} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[string]bool{}
			n := 0
			err := subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{prefix}}, func(tr subscriber.Track) error {
				if !strings.HasPrefix(tr.Topic, prefix) {
					t.Errorf("prefix %q got topic %q", prefix, tr.Topic)
				}
				src, ok := byArtist[tr.Artist]
				if !ok {
					t.Errorf("prefix %q: unknown artist %q", prefix, tr.Artist)
					return errEnough
				}
				if tr.Topic != topics.Slug(src.Artist) || tr.Version != 1 || tr.Seq == 0 || tr.Sent.IsZero() || tr.Path == "" {
					t.Errorf("prefix %q: malformed %+v", prefix, tr)
				}
				seen[tr.Topic] = true
				if n++; n == want {
					return errEnough
				}
				return nil
			})
			if !errors.Is(err, errEnough) {
				t.Errorf("prefix %q: Run = %v after %d tracks", prefix, err, n)
			}
			wantTopics := map[string]bool{}
			for _, tr := range testTracks {
				if s := topics.Slug(tr.Artist); strings.HasPrefix(s, prefix) {
					wantTopics[s] = true
				}
			}
			for topic := range wantTopics {
				if !seen[topic] {
					t.Errorf("prefix %q: never saw %q in %d tracks", prefix, topic, n)
				}
			}
		}()
	}
	wg.Wait()
}
