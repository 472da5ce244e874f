// Package servicetest runs a service's Run for a test, as the helpers
// publishertest, relaytest and ventilatortest do for theirs: in a
// goroutine of its own, stopped when the test ends or when asked, and
// checked to end on time and without an error.
package servicetest

import (
	"context"
	"sync"
	"testing"
	"time"
)

// StopTimeout is how long a service may take to stop.
const StopTimeout = 5 * time.Second

// Service is a Run in progress.
type Service struct {
	t      testing.TB
	name   string
	cancel context.CancelFunc
	ended  chan struct{}
	err    error // run's, once ended is closed
	once   sync.Once
}

// Run runs run until the test ends or Stop is called. The test fails if
// run returns an error, or takes longer than StopTimeout to stop once
// asked. name labels the test's messages.
func Run(t testing.TB, name string, run func(context.Context) error) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{t: t, name: name, cancel: cancel, ended: make(chan struct{})}
	go func() {
		s.err = run(ctx)
		close(s.ended)
	}()
	t.Cleanup(s.Stop)
	return s
}

// Ended is closed when run has returned, asked to or not.
func (s *Service) Ended() <-chan struct{} { return s.ended }

// Err is what run returned, once Ended is closed.
func (s *Service) Err() error { return s.err }

// Stop stops run and waits for it to return; calling it again does
// nothing more.
func (s *Service) Stop() {
	s.once.Do(func() {
		s.cancel()
		select {
		case <-s.ended:
			if s.err != nil {
				s.t.Errorf("%s: Run: %v", s.name, s.err)
			}
		case <-time.After(StopTimeout):
			s.t.Errorf("%s: Run still running %v after it was stopped", s.name, StopTimeout)
		}
	})
}
