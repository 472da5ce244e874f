package subscriber_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/relay/relaytest"
	"github.com/trackfeed/trackfeed/subscriber"
)

// TestOnQuery: a publisher's feed and a relay's name their query socket in
// the handshake, a wildcard host made the feed's; a feed with no query
// socket names none.
func TestOnQuery(t *testing.T) {
	p := publishertest.Start(t, publisher.Config{Tracks: testTracks, Interval: time.Hour, Query: []string{"tcp://127.0.0.1:0"}})
	r := relaytest.Start(t, relay.Config{Connect: []string{p.Endpoints()[0]}, Query: []string{"tcp://*:0"}})
	bare := publishertest.Start(t, publisher.Config{Tracks: testTracks, Interval: time.Hour})
	_, relayPort, err := net.SplitHostPort(strings.TrimPrefix(r.QueryEndpoints()[0], "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, feed, want string }{
		{"publisher", p.Endpoints()[0], p.QueryEndpoints()[0]},
		{"relay, its query socket on every interface", r.Endpoints()[0], "tcp://127.0.0.1:" + relayPort},
		{"publisher without a query socket", bare.Endpoints()[0], ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var (
				mu        sync.Mutex
				got       string
				connected bool
			)
			err := subscriber.Run(ctx, subscriber.Options{Endpoints: []string{tc.feed},
				OnQuery: func(_, q string) {
					mu.Lock()
					defer mu.Unlock()
					got = q
				},
				OnConnect: func(string) {
					mu.Lock()
					defer mu.Unlock()
					connected = true
					cancel()
				},
			}, func(subscriber.Track) error { return nil })
			mu.Lock()
			defer mu.Unlock()
			if err != nil || !connected || got != tc.want {
				t.Errorf("Run = %v, connected %v, query %q; want %q", err, connected, got, tc.want)
			}
		})
	}
}
