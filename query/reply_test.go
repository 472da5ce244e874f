package query

import (
	"encoding/json"
	"testing"
	"time"
)

// TestReplyNames: artists and stations are written under the feed's
// names and their earlier ones, and read under either.
func TestReplyNames(t *testing.T) {
	b, err := json.Marshal([]Artist{{Slug: "simon_garfunkel", Name: "Simon & Garfunkel", Tracks: 2}})
	if want := `[{"topic":"simon_garfunkel","artist":"Simon \u0026 Garfunkel","tracks":2,"slug":"simon_garfunkel","name":"Simon \u0026 Garfunkel"}]`; err != nil || string(b) != want {
		t.Errorf("artists: %s, %v; want %s", b, err, want)
	}
	for _, in := range []string{
		`{"topic":"the_cure","artist":"The Cure","tracks":3}`,
		`{"slug":"the_cure","name":"The Cure","tracks":3}`, // an earlier publisher
	} {
		var a Artist
		if err := json.Unmarshal([]byte(in), &a); err != nil || a != (Artist{Slug: "the_cure", Name: "The Cure", Tracks: 3}) {
			t.Errorf("%s: read %+v, %v", in, a, err)
		}
	}
	last := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	b, err = json.Marshal(Station{Name: "kitchen", Messages: 4, Last: last})
	if want := `{"station":"kitchen","messages":4,"last":"2026-12-02T20:00:00Z","name":"kitchen"}`; err != nil || string(b) != want {
		t.Errorf("station: %s, %v; want %s", b, err, want)
	}
	for _, in := range []string{
		`{"station":"kitchen","messages":4,"last":"2026-12-02T20:00:00Z"}`,
		`{"name":"kitchen","messages":4,"last":"2026-12-02T20:00:00Z"}`,
	} {
		var s Station
		if err := json.Unmarshal([]byte(in), &s); err != nil || s.Name != "kitchen" || s.Messages != 4 || !s.Last.Equal(last) {
			t.Errorf("%s: read %+v, %v", in, s, err)
		}
	}
}

func TestAdvertise(t *testing.T) {
	for _, tc := range []struct {
		binds, endpoints []string
		want             string
	}{
		{[]string{"tcp://*:10002"}, []string{"tcp://127.0.0.1:10002"}, "tcp://*:10002"},
		{[]string{"tcp://0.0.0.0:0", "ipc:///tmp/q"}, []string{"tcp://127.0.0.1:40123", "ipc:///tmp/q"}, "tcp://*:40123,ipc:///tmp/q"},
		{[]string{"tcp://[::]:7"}, []string{"tcp://127.0.0.1:7"}, "tcp://*:7"},
		{[]string{"tcp://192.0.2.7:10002"}, []string{"tcp://192.0.2.7:10002"}, "tcp://192.0.2.7:10002"},
	} {
		if got := Advertise(tc.binds, tc.endpoints); got != tc.want {
			t.Errorf("Advertise(%q, %q) = %q, want %q", tc.binds, tc.endpoints, got, tc.want)
		}
	}
}

func TestAdvertised(t *testing.T) {
	for _, tc := range []struct{ feed, advertised, want string }{
		{"tcp://music.local:10001", "tcp://*:10002", "tcp://music.local:10002"},
		{"tcp://192.0.2.7:5555", "tcp://*:6666", "tcp://192.0.2.7:6666"},
		{"tcp://[2001:db8::1]:5555", "tcp://*:6666", "tcp://[2001:db8::1]:6666"},
		{"tcp://music.local:10001", "ipc:///tmp/q,tcp://*:6666", "tcp://music.local:6666"},
		{"tcp://music.local:10001", "tcp://192.0.2.9:6666", "tcp://192.0.2.9:6666"},
		{"tcp://127.0.0.1:10001", "tcp://127.0.0.1:6666", "tcp://127.0.0.1:6666"},
		// Bound to loopback only: out of reach of a client on another machine.
		{"tcp://music.local:10001", "tcp://127.0.0.1:6666", ""},
		{"ipc:///tmp/feed", "ipc:///tmp/q", "ipc:///tmp/q"},
		{"ipc:///tmp/feed", "tcp://*:6666", "tcp://localhost:6666"},
		{"tcp://music.local:10001", "", ""},
		{"tcp://music.local:10001", "tcp://nonsense", ""},
	} {
		if got := Advertised(tc.feed, tc.advertised); got != tc.want {
			t.Errorf("Advertised(%q, %q) = %q, want %q", tc.feed, tc.advertised, got, tc.want)
		}
	}
}
