package web

import (
	"fmt"
	"slices"
	"testing"

	"github.com/trackfeed/trackfeed/subscriber"
)

func publishTopics(h *hub, topics ...string) {
	for _, tp := range topics {
		h.publish(&event{track: subscriber.Track{Topic: tp}})
	}
}

func eventTopics(es []*event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.track.Topic)
	}
	return out
}

func TestHubRecent(t *testing.T) {
	for _, tc := range []struct {
		name      string
		backlog   int
		published []string
		prefix    string
		n         int
		want      []string
	}{
		{"empty", 4, nil, "", 3, nil},
		{"fewer than n", 4, []string{"a", "b"}, "", 3, []string{"a", "b"}},
		{"last n, oldest first", 10, []string{"a", "b", "c", "d", "e"}, "", 3, []string{"c", "d", "e"}},
		{"ring wrapped", 3, []string{"a", "b", "c", "d", "e"}, "", 3, []string{"c", "d", "e"}},
		{"ring wrapped, n above backlog", 3, []string{"a", "b", "c", "d"}, "", 10, []string{"b", "c", "d"}},
		{"filtered", 10, []string{"the_cure", "bjork", "the_streets", "sigur_ros", "the_the"}, "the_", 2, []string{"the_streets", "the_the"}},
		{"filtered reaches back past newer others", 10, []string{"bjork", "abba", "abba", "abba", "abba"}, "bj", 3, []string{"bjork"}},
		{"byte prefix, not word", 10, []string{"the_cure", "theatre"}, "the", 5, []string{"the_cure", "theatre"}},
		{"no match", 10, []string{"a", "b"}, "z", 5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHub(tc.backlog, 1)
			publishTopics(h, tc.published...)
			if got := eventTopics(h.recentMatching(tc.prefix, tc.n)); !slices.Equal(got, tc.want) {
				t.Errorf("recentMatching(%q, %d) = %q, want %q", tc.prefix, tc.n, got, tc.want)
			}
		})
	}
}

func TestHubDropsFullClientOnly(t *testing.T) {
	h := newHub(10, 2)
	slow, _, _, _ := h.subscribe("", 0)
	fast, _, _, _ := h.subscribe("", 0)
	other, _, _, _ := h.subscribe("zzz", 0) // never matches, never fills
	var drops int
	for i := range 5 {
		drops += h.publish(&event{track: subscriber.Track{Topic: fmt.Sprint("t", i)}})
		<-fast.events
	}
	if drops != 1 {
		t.Errorf("dropped %d clients, want 1", drops)
	}
	n := 0
	for range slow.events { // closed by the drop, so the loop ends
		n++
	}
	if n != 2 {
		t.Errorf("slow client got %d events before it was dropped, want its buffer's 2", n)
	}
	if got := h.len(); got != 2 {
		t.Errorf("%d clients left, want 2", got)
	}
	h.unsubscribe(slow) // already dropped: no second close
	h.unsubscribe(fast)
	h.close()
	if _, ok := <-other.events; ok {
		t.Error("close left a client's channel open")
	}
	h.unsubscribe(other) // after close: no second close
	h.close()
	if _, _, _, ok := h.subscribe("", 0); ok {
		t.Error("subscribe after close succeeded")
	}
}

func TestHubSubscribeHasNoGapNorRepeat(t *testing.T) {
	h := newHub(100, 100)
	publishTopics(h, "a", "b")
	c, lastID, history, _ := h.subscribe("", 10)
	publishTopics(h, "c")
	e := <-c.events
	var ids []uint64
	for _, e := range history {
		ids = append(ids, e.id)
	}
	if lastID != 2 || !slices.Equal(ids, []uint64{1, 2}) || e.id != 3 {
		t.Errorf("lastID %d, history ids %v, next id %d; want 2, [1 2], 3", lastID, ids, e.id)
	}
}
