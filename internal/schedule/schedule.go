// Package schedule calls a function once per interval of elapsed time, as
// the publisher sends tracks: a late wake-up is made up at once, and a
// short interval is served by one wake-up a millisecond that makes the
// calls due since. On Linux it wakes through a timerfd, which costs a
// thread wake-up a tick where a time.Ticker costs about four.
package schedule

import (
	"context"
	"fmt"
	"time"
)

// Run calls f once per interval of time elapsed since Run began, until ctx
// ends; then it returns nil. After a long stall (a suspended laptop: more
// than a second's worth of calls due at once) it calls f once and goes on
// from there instead of bursting. It returns an error only if the timer
// fails.
func Run(ctx context.Context, interval time.Duration, f func()) error {
	tk := newTicker(ctx, max(interval, minTick))
	defer tk.stop()
	start := time.Now()
	var done uint64
	for {
		err := tk.wait()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("interval timer: %w", err)
		}
		due := uint64(time.Since(start) / interval)
		n := due - done
		done = due
		if time.Duration(n)*interval > time.Second {
			n = 1
		}
		for range n {
			f()
		}
	}
}
