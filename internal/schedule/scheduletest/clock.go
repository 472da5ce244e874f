// Package scheduletest is a clock for tests of what schedule.Hold paces:
// it moves only when the test says, and tells what its sleepers wait for,
// so that a test checks which thing is on the air at a given time without
// waiting for that time.
package scheduletest

import (
	"context"
	"sync"
	"time"
)

// Clock is a schedule.Clock that moves only by Advance.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []*sleep
	changed chan struct{} // closed, and replaced, when sleeps change
}

type sleep struct {
	until time.Time
	wake  chan struct{}
}

// NewClock returns a Clock that reads now.
func NewClock(now time.Time) *Clock {
	return &Clock{now: now, changed: make(chan struct{})}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// SleepUntil returns once Advance has moved the clock to t or past it, or
// when ctx ends.
func (c *Clock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if !t.After(c.now) {
		c.mu.Unlock()
		return ctx.Err()
	}
	s := &sleep{until: t, wake: make(chan struct{})}
	c.sleeps = append(c.sleeps, s)
	c.signal()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, o := range c.sleeps {
			if o == s {
				c.sleeps = append(c.sleeps[:i], c.sleeps[i+1:]...)
				c.signal()
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock on by d, waking the sleepers whose time has
// come.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.sleeps[:0]
	for _, s := range c.sleeps {
		if s.until.After(c.now) {
			kept = append(kept, s)
		} else {
			close(s.wake)
		}
	}
	if len(kept) != len(c.sleeps) {
		c.sleeps = kept
		c.signal()
	}
}

// Sleeper waits until a goroutine sleeps on the clock and returns the
// time it sleeps until (the earliest, if several do). It returns ctx's
// error if ctx ends first.
func (c *Clock) Sleeper(ctx context.Context) (time.Time, error) {
	for {
		c.mu.Lock()
		var first time.Time
		for _, s := range c.sleeps {
			if first.IsZero() || s.until.Before(first) {
				first = s.until
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if !first.IsZero() {
			return first, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// signal tells Sleeper that the sleeps changed; c.mu is held.
func (c *Clock) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}
