package schedule

import (
	"context"
	"time"
)

// minTick is the shortest time Run sleeps between sends. With a shorter
// interval it wakes once per minTick and sends the tracks due since: at
// 10,000 msg/s a wake-up per track cost half again as much CPU, and the
// subscribers' writers lost the batching that one flush per burst gives
// (BENCHMARKS.md, "Latency").
const minTick = time.Millisecond

// A ticker wakes Run every tick (Run counts the calls due from the clock,
// so a late or lost wake-up costs nothing but latency). wait returns the
// context's error once the context given to newTicker ends; stop releases
// the ticker.
type ticker interface {
	wait() error
	stop()
}

// timeTicker is the portable ticker.
type timeTicker struct {
	ctx context.Context
	t   *time.Ticker
}

func newTimeTicker(ctx context.Context, tick time.Duration) *timeTicker {
	return &timeTicker{ctx: ctx, t: time.NewTicker(tick)}
}

func (t *timeTicker) wait() error {
	select {
	case <-t.ctx.Done():
		return t.ctx.Err()
	case <-t.t.C:
		return nil
	}
}

func (t *timeTicker) stop() { t.t.Stop() }
