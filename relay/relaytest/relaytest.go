// Package relaytest starts relays for tests, as publishertest starts
// publishers: on kernel-chosen loopback ports, bound when it returns,
// stopped when the test ends.
package relaytest

import (
	"testing"

	"github.com/trackfeed/trackfeed/internal/servicetest"
	"github.com/trackfeed/trackfeed/relay"
)

// Start runs a relay of cfg until the test ends and returns it, bound and
// running. Unset, Bind is a free port of 127.0.0.1. The test fails if the
// relay cannot start, if Run fails, or if it takes more than 5s to stop.
func Start(t testing.TB, cfg relay.Config) *relay.Relay {
	t.Helper()
	r, _ := StartStoppable(t, cfg)
	return r
}

// StartStoppable is Start, also returning a function that stops the relay
// at once (a restart test calls it, then Start again at the same
// endpoint). Calling it more than once does nothing more.
func StartStoppable(t testing.TB, cfg relay.Config) (*relay.Relay, func()) {
	t.Helper()
	if len(cfg.Bind) == 0 {
		cfg.Bind = []string{"tcp://127.0.0.1:0"}
	}
	r, err := relay.New(cfg)
	if err != nil {
		t.Fatalf("relaytest: %v", err)
	}
	return r, servicetest.Run(t, "relaytest", r.Run).Stop
}
