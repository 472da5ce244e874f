package relay

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/wire"
)

// lastSeen is what the relay forwarded last, overall and per station, for
// the query socket's "now" and "stations". It keeps messages in wire form
// and decodes one only when asked.
type lastSeen struct {
	mu        sync.Mutex
	last      []byte
	byStation map[string]*station
}

// station is what one station (a publisher, by the name in its messages'
// "station" field) sent last.
type station struct {
	msg      []byte
	at       time.Time
	messages uint64
}

func (l *lastSeen) init() { l.byStation = make(map[string]*station) }

// maxStations bounds the stations remembered: names come from upstream,
// and an upstream that sends a new one with every message must not grow
// the relay without end.
const maxStations = 1024

// note remembers msg, the wire form of frames, if it can be a track (five
// frames or more).
func (l *lastSeen) note(frames [][]byte, msg []byte) {
	if len(frames) < wire.Frames {
		return
	}
	name := stationOf(frames[4])
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last = msg
	s := l.byStation[name]
	if s == nil {
		if len(l.byStation) >= maxStations {
			return
		}
		s = &station{}
		l.byStation[name] = s
	}
	s.msg, s.at = msg, now
	s.messages++
}

// stationKey is how the field starts in frame 4 as trackfeed writes it.
var stationKey = []byte(`"station":"`)

// stationOf is the "station" field of frame 4, or "" if it has none. The
// usual case (trackfeed's encoding, no escapes in the name) is found
// without a JSON decoder; anything else goes through one.
func stationOf(meta []byte) string {
	i := bytes.Index(meta, stationKey)
	if i < 0 {
		if !bytes.Contains(meta, []byte(`"station"`)) {
			return ""
		}
	} else {
		rest := meta[i+len(stationKey):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 && bytes.IndexByte(rest[:j], '\\') < 0 {
			return string(rest[:j])
		}
	}
	var m struct {
		Station string `json:"station"`
	}
	json.Unmarshal(meta, &m)
	return m.Station
}

// now is the track forwarded last, of station if it is not "".
func (l *lastSeen) now(name string) (wire.Track, bool) {
	l.mu.Lock()
	msg := l.last
	if name != "" {
		msg = nil
		if s := l.byStation[name]; s != nil {
			msg = s.msg
		}
	}
	l.mu.Unlock()
	if msg == nil {
		return wire.Track{}, false
	}
	t, err := wire.Decode(zmtp.SplitMsg(msg))
	return t, err == nil
}

// stations lists the stations seen, sorted by name.
func (l *lastSeen) stations() []query.Station {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]query.Station, 0, len(l.byStation))
	for _, name := range slices.Sorted(maps.Keys(l.byStation)) {
		s := l.byStation[name]
		out = append(out, query.Station{Name: name, Messages: s.messages, Last: s.at.UTC()})
	}
	return out
}

// source is a Relay as the query socket's Source.
type source Relay

func (s *source) Now() (wire.Track, bool)              { return s.last.now("") }
func (s *source) NowAt(name string) (wire.Track, bool) { return s.last.now(name) }
func (s *source) Artists() map[string]int              { return nil }
func (s *source) Stats() query.Stats                   { return (*Relay)(s).Stats() }
func (s *source) Stations() []query.Station            { return s.last.stations() }
