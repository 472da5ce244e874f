package schedule

import (
	"context"
	"time"
)

// Clock is the time as Hold sees it: System in production, a clock a test
// moves by hand (package scheduletest) in tests.
type Clock interface {
	Now() time.Time
	// SleepUntil returns once the clock reads t or later, or with ctx's
	// error once ctx ends.
	SleepUntil(ctx context.Context, t time.Time) error
}

// System is the system's clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Hold keeps one thing at a time on the air, each for as long as it says,
// like a radio its tracks: what started at start is held for hold; then
// next is called with the time its own thing starts (the end of the last
// one, not the moment of the wake-up, so that late wake-ups do not add
// up), and returns how long to hold that; a hold of 0 or less takes
// fallback. After a stall of more than a second (a suspended laptop), the
// next thing starts at once, from the clock's time, instead of a burst of
// things to catch up. Hold returns nil when ctx ends.
func Hold(ctx context.Context, c Clock, start time.Time, hold, fallback time.Duration, next func(start time.Time) time.Duration) error {
	if fallback <= 0 {
		fallback = time.Millisecond
	}
	for {
		if hold <= 0 {
			hold = fallback
		}
		due := start.Add(hold)
		if c.SleepUntil(ctx, due) != nil || ctx.Err() != nil {
			return nil
		}
		if now := c.Now(); now.Sub(due) > time.Second {
			due = now
		}
		start = due
		hold = next(start)
	}
}
