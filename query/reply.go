package query

import "time"

// The replies of the query socket, as documented in docs/PROTOCOL.md
// ("Query socket"). The Server encodes them with encoding/json; the Client
// decodes them.

// ErrorReply is the first frame of an error reply; the second is a
// one-line message. A reply is an error when it has exactly these two
// frames: a "now" reply whose topic is "error" has five.
const ErrorReply = "error"

// Artist is one element of the JSON array in frame 1 of the reply to
// "artists".
type Artist struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Tracks int    `json:"tracks"`
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
// their "station" field ("" for publishers that send none).
type Station struct {
	Name     string    `json:"name"`
	Messages uint64    `json:"messages"` // forwarded since the relay started
	Last     time.Time `json:"last"`     // when the last one was forwarded
}
