package schedule_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/schedule"
	"github.com/trackfeed/trackfeed/internal/schedule/scheduletest"
)

// TestHold checks, on a clock moved by hand, what is on the air when:
// each thing for its own hold, the fallback for a hold of 0, starts that
// follow from the last end, and one start after a stall rather than a
// burst.
func TestHold(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	clk := scheduletest.NewClock(t0)
	holds := []time.Duration{2 * time.Minute, 0, 3 * time.Minute}
	var (
		mu     sync.Mutex
		starts []time.Time
	)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- schedule.Hold(ctx, clk, t0, 3*time.Minute, time.Second, func(start time.Time) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			starts = append(starts, start)
			return holds[(len(starts)-1)%len(holds)]
		})
	}()
	// expect checks that Hold sleeps until wake, having started n things
	// after the first, the last at last.
	expect := func(step string, wake time.Time, n int, last time.Time) {
		t.Helper()
		until, err := clk.Sleeper(ctx)
		if err != nil {
			t.Fatalf("%s: no sleeper: %v", step, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !until.Equal(wake) || len(starts) != n || n > 0 && !starts[n-1].Equal(last) {
			t.Fatalf("%s: sleeps until %v after %d starts (%v); want until %v after %d, the last at %v",
				step, until.Sub(t0), len(starts), starts, wake.Sub(t0), n, last.Sub(t0))
		}
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	expect("first thing on", at(3*time.Minute), 0, time.Time{})
	clk.Advance(3*time.Minute - time.Nanosecond)
	expect("a nanosecond before its end", at(3*time.Minute), 0, time.Time{})
	clk.Advance(time.Nanosecond)
	expect("second thing, held 2m", at(5*time.Minute), 1, at(3*time.Minute))
	clk.Advance(2 * time.Minute)
	expect("third thing, no hold: the fallback", at(5*time.Minute+time.Second), 2, at(5*time.Minute))
	clk.Advance(time.Second)
	expect("fourth thing, held 3m", at(8*time.Minute+time.Second), 3, at(5*time.Minute+time.Second))
	clk.Advance(time.Hour)                             // a stall
	now := at(time.Hour + 5*time.Minute + time.Second) // the clock, 3m late
	expect("one start after a stall, from the clock", now.Add(2*time.Minute), 4, now)

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Hold = %v after its context ended, want nil", err)
	}
}

// TestSystemClockSleep: the system clock's sleep ends at its time, or
// with its context.
func TestSystemClockSleep(t *testing.T) {
	if err := schedule.System.SleepUntil(t.Context(), time.Now().Add(time.Millisecond)); err != nil {
		t.Errorf("SleepUntil = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := schedule.System.SleepUntil(ctx, time.Now().Add(time.Hour)); err != context.Canceled {
		t.Errorf("SleepUntil after cancel = %v, want context.Canceled", err)
	}
}
