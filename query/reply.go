package query

import (
	"bytes"
	"cmp"
	"encoding/json"
	"time"
)

// The replies of the query socket, as documented in docs/PROTOCOL.md
// ("Query socket"). The Server encodes them with encoding/json; the Client
// decodes them.

// ErrorReply is the first frame of an error reply; the second is a
// one-line message. A reply is an error when it has exactly these two
// frames: a "now" reply whose topic is "error" has five.
const ErrorReply = "error"

// Artist is one element of the JSON array in frame 1 of the reply to
// "artists". Its JSON names its fields as the feed's messages do, "topic"
// (Slug) and "artist" (Name), and also by their first names, "slug" and
// "name", which clients of earlier versions read.
type Artist struct {
	Slug   string
	Name   string
	Tracks int
}

// marshalPlain is json.Marshal without HTML escapes: the encoder that
// calls a MarshalJSON escapes its output if it is told to, not otherwise.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// artistJSON is Artist on the wire.
type artistJSON struct {
	Topic  string `json:"topic"`
	Artist string `json:"artist"`
	Tracks int    `json:"tracks"`
	Slug   string `json:"slug"` // deprecated: topic
	Name   string `json:"name"` // deprecated: artist
}

// MarshalJSON writes a's fields under both names.
func (a Artist) MarshalJSON() ([]byte, error) {
	return marshalPlain(artistJSON{Topic: a.Slug, Artist: a.Name, Tracks: a.Tracks, Slug: a.Slug, Name: a.Name})
}

// UnmarshalJSON reads either name of each field, as a publisher of this
// version or an earlier one writes it.
func (a *Artist) UnmarshalJSON(b []byte) error {
	var j artistJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Artist{Slug: cmp.Or(j.Topic, j.Slug), Name: cmp.Or(j.Artist, j.Name), Tracks: j.Tracks}
	return nil
}

// Stats is the JSON object in frame 1 of the reply to "stats".
type Stats struct {
	Tracks        int     `json:"tracks"`         // in the playlist now
	Artists       int     `json:"artists"`        // distinct artists in the playlist
	Albums        int     `json:"albums"`         // distinct (album artist, album) pairs
	Skipped       int     `json:"skipped"`        // files the scan left out, known when it ends
	Subscribers   int     `json:"subscribers"`    // connected to the feed now
	UptimeSeconds float64 `json:"uptime_seconds"` // since the query socket was bound
	Sent          uint64  `json:"sent"`           // feed messages sent: the last seq
	Queued        uint64  `json:"queued"`         // copies queued for subscribers
	Dropped       uint64  `json:"dropped"`        // copies dropped for a full queue
	Refused       uint64  `json:"refused"`        // connections refused past the subscriber limit
	CurveRefused  uint64  `json:"curve_refused"`  // CURVE handshakes refused: a client key not admitted
}

// Station is one element of the JSON array in frame 1 of the reply to
// "stations": a publisher a relay has forwarded messages of, by the name in
// their "station" field ("" for publishers that send none). Its JSON names
// that "station", as the messages do, and also "name", as earlier versions
// did.
type Station struct {
	Name     string
	Messages uint64    // forwarded since the relay started
	Last     time.Time // when the last one was forwarded
}

// stationJSON is Station on the wire.
type stationJSON struct {
	Station  string    `json:"station"`
	Messages uint64    `json:"messages"`
	Last     time.Time `json:"last"`
	Name     string    `json:"name"` // deprecated: station
}

// MarshalJSON writes s's name under both names.
func (s Station) MarshalJSON() ([]byte, error) {
	return marshalPlain(stationJSON{Station: s.Name, Messages: s.Messages, Last: s.Last, Name: s.Name})
}

// UnmarshalJSON reads either name.
func (s *Station) UnmarshalJSON(b []byte) error {
	var j stationJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Station{Name: cmp.Or(j.Station, j.Name), Messages: j.Messages, Last: j.Last}
	return nil
}
