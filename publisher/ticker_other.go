//go:build !linux

package publisher

import (
	"context"
	"time"
)

func newTicker(ctx context.Context, interval time.Duration) ticker {
	return newTimerTicker(ctx, interval)
}
