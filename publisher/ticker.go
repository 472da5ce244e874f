package publisher

import (
	"context"
	"time"
)

// A ticker wakes Run once per interval. wait blocks until at least one
// interval has passed since the last wait and returns how many have, so a
// late wake-up is made up; it returns the context's error once the context
// given to newTicker ends. stop releases the ticker.
type ticker interface {
	wait() (uint64, error)
	stop()
}

// timerTicker is the portable ticker: a time.Timer on a schedule. Not a
// time.Ticker, which drops the ticks it misses: at 100 µs on a busy machine
// it missed a third of them (BENCHMARKS.md).
type timerTicker struct {
	ctx      context.Context
	interval time.Duration
	timer    *time.Timer
	next     time.Time
}

func newTimerTicker(ctx context.Context, interval time.Duration) *timerTicker {
	return &timerTicker{ctx: ctx, interval: interval, timer: time.NewTimer(interval), next: time.Now().Add(interval)}
}

func (t *timerTicker) wait() (uint64, error) {
	select {
	case <-t.ctx.Done():
		return 0, t.ctx.Err()
	case <-t.timer.C:
	}
	now := time.Now()
	n := uint64(1)
	if late := now.Sub(t.next); late > 0 {
		n += uint64(late / t.interval)
	}
	t.next = t.next.Add(time.Duration(n) * t.interval)
	t.timer.Reset(t.next.Sub(now))
	return n, nil
}

func (t *timerTicker) stop() { t.timer.Stop() }
