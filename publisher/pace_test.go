package publisher_test

import (
	"context"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/schedule/scheduletest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/wire"
)

// TestPaceReal checks which track is on the air as a hand-moved clock
// goes: each for its duration, the interval for one of unknown duration,
// and every message saying when it started, for how long, and that the
// pace is real.
func TestPaceReal(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	clk := scheduletest.NewClock(t0)
	tracks := []library.Track{
		{Path: "A/B/1.mp3", Artist: "A", Album: "B", Title: "One", Duration: 3*time.Minute + 41*time.Second + 250*time.Millisecond},
		{Path: "A/B/2.mp3", Artist: "A", Album: "B", Title: "Two"}, // unknown: the interval
		{Path: "A/B/3.mp3", Artist: "A", Album: "B", Title: "Three", Duration: 2 * time.Minute},
	}
	const interval = 10 * time.Second
	p := publishertest.Start(t, publisher.WithClock(publisher.Config{
		Tracks: tracks, Order: publisher.Sequential, Pace: publisher.PaceReal, Interval: interval,
	}, clk))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	onAir := func(step string, title string, started time.Time, durationMS int64, until time.Time) {
		t.Helper()
		wake, err := clk.Sleeper(ctx)
		if err != nil {
			t.Fatalf("%s: the publisher does not wait for the next track: %v", step, err)
		}
		now, ok := p.Now()
		switch {
		case !ok || now.Title != title:
			t.Fatalf("%s: on the air %q, want %q", step, now.Title, title)
		case !now.Sent.Equal(started) || now.DurationMS != durationMS || now.Pace != wire.PaceReal:
			t.Errorf("%s: sent %v, duration_ms %d, pace %q; want %v, %d, %q",
				step, now.Sent, now.DurationMS, now.Pace, started, durationMS, wire.PaceReal)
		case !wake.Equal(until):
			t.Errorf("%s: next track at %v, want %v", step, wake.Sub(t0), until.Sub(t0))
		}
	}
	end1 := t0.Add(tracks[0].Duration)
	onAir("start", "One", t0, 221250, end1)
	clk.Advance(tracks[0].Duration - time.Millisecond)
	onAir("a millisecond before its end", "One", t0, 221250, end1)
	clk.Advance(time.Millisecond)
	onAir("its end", "Two", end1, 0, end1.Add(interval))
	clk.Advance(interval)
	onAir("after the interval", "Three", end1.Add(interval), 120000, end1.Add(interval+2*time.Minute))
	clk.Advance(2 * time.Minute)
	onAir("round two", "One", end1.Add(interval+2*time.Minute), 221250, end1.Add(interval+2*time.Minute).Add(tracks[0].Duration))
}

// TestPaceInterval: at the default pace, messages carry no pace, and
// their duration when known.
func TestPaceInterval(t *testing.T) {
	tracks := publishertest.Tracks(2)
	tracks[0].Duration = 1500 * time.Millisecond
	p := publishertest.Start(t, publisher.Config{Tracks: tracks, Order: publisher.Sequential, Interval: time.Hour})
	now, ok := p.Now()
	if !ok || now.Pace != "" || now.DurationMS != 1500 {
		t.Errorf("Now = %+v, %v; want no pace, duration_ms 1500", now, ok)
	}
}

func TestPaceRealUnpaced(t *testing.T) {
	_, err := publisher.New(publisher.Config{Tracks: publishertest.Tracks(1), Pace: publisher.PaceReal, Interval: publisher.Unpaced})
	if err == nil {
		t.Fatal("New with PaceReal and Unpaced: no error")
	}
}
