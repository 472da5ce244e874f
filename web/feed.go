package web

import (
	"encoding/json"
	"sync"
	"time"
)

// Feed states, as /events reports them and the page shows them.
const (
	feedConnecting = "connecting" // no connection yet since the start
	feedLive       = "live"       // connected to at least one publisher
	feedOffline    = "offline"    // every connection lost, since Since
)

// feedStatus follows the server's connections to the feed's publishers.
// Pages learn of each change through the channel that changed returns,
// which is closed (and replaced) on every change.
type feedStatus struct {
	mu     sync.Mutex
	conns  map[string]bool // endpoints connected now
	state  string
	since  time.Time
	notify chan struct{}
}

func newFeedStatus(now time.Time) *feedStatus {
	return &feedStatus{conns: make(map[string]bool), state: feedConnecting, since: now, notify: make(chan struct{})}
}

// set records whether endpoint is connected. changed, if the state
// changes, sees the new one before any page does.
func (f *feedStatus) set(endpoint string, connected bool, now time.Time, changed func(state string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if connected {
		f.conns[endpoint] = true
	} else {
		delete(f.conns, endpoint)
	}
	state := feedOffline
	if len(f.conns) > 0 {
		state = feedLive
	}
	if state == f.state {
		return
	}
	f.state, f.since = state, now
	changed(state)
	close(f.notify)
	f.notify = make(chan struct{})
}

// feedView is the state as the page gets it, in a "feed" event.
type feedView struct {
	State string    `json:"state"`
	Since time.Time `json:"since"`
}

// get returns the state, and a channel closed at its next change.
func (f *feedStatus) get() (feedView, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return feedView{State: f.state, Since: f.since.UTC().Truncate(time.Second)}, f.notify
}

// json is v as the data of a "feed" event.
func (v feedView) json() []byte {
	b, _ := json.Marshal(v) // a string and a time: cannot fail
	return b
}
