//go:build !linux

package schedule

import (
	"context"
	"time"
)

func newTicker(ctx context.Context, tick time.Duration) ticker {
	return newTimeTicker(ctx, tick)
}
