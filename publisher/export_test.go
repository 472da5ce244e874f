package publisher

import "github.com/trackfeed/trackfeed/internal/schedule"

// WithClock is cfg with c pacing PaceReal instead of the system's clock.
func WithClock(cfg Config, c schedule.Clock) Config {
	cfg.clock = c
	return cfg
}
