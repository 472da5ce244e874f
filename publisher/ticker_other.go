//go:build !linux

package publisher

import (
	"context"
	"time"
)

func newTicker(ctx context.Context, tick time.Duration) ticker {
	return newTimeTicker(ctx, tick)
}
