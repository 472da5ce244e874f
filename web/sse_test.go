package web

import (
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/subscriber"
)

func TestEventFormat(t *testing.T) {
	ev := func(data string) *event { return &event{data: []byte(data)} }
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"retry", appendRetry(nil, 2*time.Second), "retry: 2000\n"},
		{"retry rounds down to ms", appendRetry(nil, 1500*time.Microsecond), "retry: 1\n"},
		{"track", appendEvent(nil, 42, "track", []byte(`{"topic":"the_cure"}`)),
			"id: 42\nevent: track\ndata: {\"topic\":\"the_cure\"}\n\n"},
		{"appends", appendEvent([]byte("retry: 5\n"), 1, "track", []byte(`{}`)),
			"retry: 5\nid: 1\nevent: track\ndata: {}\n\n"},
		{"empty history", appendHistory(nil, 0, nil), "id: 0\nevent: history\ndata: []\n\n"},
		{"history", appendHistory(nil, 9, []*event{ev(`{"a":1}`), ev(`{"b":2}`)}),
			"id: 9\nevent: history\ndata: [{\"a\":1},{\"b\":2}]\n\n"},
	} {
		if string(tc.got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// A track's JSON stays on one line, whatever its tags hold, or it would
// end the event's data line early.
func TestTrackDataIsOneLine(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	c, _, _, _ := s.hub.subscribe("", 1)
	s.Publish(subscriber.Track{Topic: "x", Artist: "a\nb", Album: "c\r\nd", Title: "e\u2028f\u2029g"})
	e := <-c.events
	for _, b := range e.data {
		if b == '\n' || b == '\r' {
			t.Fatalf("track data holds a line break: %q", e.data)
		}
	}
}
