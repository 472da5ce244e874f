package web

import (
	"slices"
	"sync"

	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

// event is one track on its way to the pages, encoded once for all of them.
type event struct {
	id    uint64 // the stream's event id: 1, 2, 3… for the life of the hub
	track subscriber.Track
	data  []byte // track as JSON, on one line
}

// client is one open event stream. Its channel is closed exactly once, by
// whoever removes it from the hub's map under the hub's lock: the hub when
// the client falls behind or the hub closes, or the client when it leaves.
type client struct {
	prefix string
	events chan *event
}

// hub fans events out to clients. Publish never blocks: each client has
// its own bounded buffer, and a client whose buffer is full is dropped
// (its channel closed) so that it cannot delay the others. It also keeps
// the recent events, to fill the list of a page that connects.
type hub struct {
	buffer int // capacity of each client's channel

	mu      sync.Mutex
	clients map[*client]struct{}
	recent  []*event // ring of the last cap(recent) events; oldest at next once full
	next    int      // where the next event goes in recent, once it is full
	lastID  uint64
	closed  bool
}

func newHub(backlog, buffer int) *hub {
	return &hub{
		buffer:  buffer,
		clients: make(map[*client]struct{}),
		recent:  make([]*event, 0, backlog),
	}
}

// publish sends e to every client whose prefix matches its topic, giving e
// its id. It returns how many clients it dropped for a full buffer.
func (h *hub) publish(e *event) (dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0
	}
	h.lastID++
	e.id = h.lastID
	if len(h.recent) < cap(h.recent) {
		h.recent = append(h.recent, e)
	} else {
		h.recent[h.next] = e
		h.next = (h.next + 1) % len(h.recent)
	}
	for c := range h.clients {
		if !topics.Match(e.track.Topic, c.prefix) {
			continue
		}
		select {
		case c.events <- e:
		default:
			delete(h.clients, c)
			close(c.events)
			dropped++
		}
	}
	return dropped
}

// subscribe adds a client for prefix. It returns the client, the last
// event id, and up to n of the most recent events that match prefix,
// oldest first: the client's channel then carries every later match, with
// no gap and no repeat. ok is false once the hub is closed.
func (h *hub) subscribe(prefix string, n int) (c *client, lastID uint64, history []*event, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, h.lastID, nil, false
	}
	c = &client{prefix: prefix, events: make(chan *event, h.buffer)}
	h.clients[c] = struct{}{}
	return c, h.lastID, h.matching(prefix, n), true
}

// unsubscribe removes c, closing its channel, unless the hub did already.
func (h *hub) unsubscribe(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.events)
	}
}

// recentMatching returns up to n of the most recent events that match
// prefix, oldest first.
func (h *hub) recentMatching(prefix string, n int) []*event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.matching(prefix, n)
}

func (h *hub) matching(prefix string, n int) []*event {
	var out []*event
	// Newest first, from the slot before next, round the ring.
	for i := range len(h.recent) {
		if len(out) == n {
			break
		}
		e := h.recent[(h.next-1-i+2*len(h.recent))%len(h.recent)]
		if topics.Match(e.track.Topic, prefix) {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

// close ends every client's stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c.events)
	}
}

// len is the number of clients.
func (h *hub) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}
