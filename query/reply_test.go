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
