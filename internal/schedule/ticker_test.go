package schedule

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTickers: both tickers wake once per tick and end with their context.
// (Run uses the timerfd one on Linux; the portable one elsewhere.)
func TestTickers(t *testing.T) {
	for name, newT := range map[string]func(context.Context, time.Duration) ticker{
		"newTicker":     newTicker,
		"newTimeTicker": func(ctx context.Context, d time.Duration) ticker { return newTimeTicker(ctx, d) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tk := newT(ctx, 5*time.Millisecond)
			defer tk.stop()
			start := time.Now()
			for range 4 {
				if err := tk.wait(); err != nil {
					t.Fatal(err)
				}
			}
			if d := time.Since(start); d < 15*time.Millisecond {
				t.Errorf("4 ticks of 5ms in %v", d)
			}
			done := make(chan error, 1)
			go func() {
				for {
					if err := tk.wait(); err != nil {
						done <- err
						return
					}
				}
			}()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("wait after cancel: %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("wait did not return after cancel")
			}
		})
	}
}
