// Package wire is trackfeed's message format, version 1, as documented in
// docs/PROTOCOL.md: five frames, all UTF-8 —
//
//	0 topic (the artist slug)   1 artist   2 album   3 title   4 JSON object
//
// The publisher encodes with Encode, the subscriber decodes with Decode.
package wire

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// Version is the value of the "v" field this package writes.
const Version = 1

// PaceReal is Track.Pace of a publisher that holds each track for its
// duration, like a radio.
const PaceReal = "real"

// Frames is the number of frames of a message; later versions may append
// frames, which Decode ignores.
const Frames = 5

// Track is one message of the feed. DurationMS is the track's length in
// milliseconds, 0 when unknown; Pace is PaceReal when the publisher holds
// each track on the air for its duration ("" at a fixed interval), so that
// Sent and DurationMS tell how far the track has played.
type Track struct {
	Topic       string    `json:"topic"`
	Artist      string    `json:"artist"`
	Album       string    `json:"album"`
	Title       string    `json:"title"`
	Version     int       `json:"v"`
	Seq         uint64    `json:"seq"`
	Sent        time.Time `json:"sent"`
	Path        string    `json:"path"`
	TrackNo     int       `json:"track"`
	Disc        int       `json:"disc"`
	Year        int       `json:"year"`
	Genre       string    `json:"genre"`
	AlbumArtist string    `json:"album_artist"`
	Station     string    `json:"station"`
	DurationMS  int64     `json:"duration_ms,omitempty"`
	Pace        string    `json:"pace,omitempty"`
	// Cover names the track's cover art, for the query socket's
	// "cover ID" request; "" when the track has none.
	Cover string `json:"cover,omitempty"`
}

// meta is frame 4.
type meta struct {
	Version     int       `json:"v"`
	Seq         uint64    `json:"seq"`
	Sent        time.Time `json:"sent"`
	Path        string    `json:"path"`
	TrackNo     int       `json:"track"`
	Disc        int       `json:"disc"`
	Year        int       `json:"year"`
	Genre       string    `json:"genre"`
	AlbumArtist string    `json:"album_artist"`
	Station     string    `json:"station"`
	DurationMS  int64     `json:"duration_ms,omitempty"`
	Pace        string    `json:"pace,omitempty"`
	Cover       string    `json:"cover,omitempty"`
}

// Encode returns the ZMTP wire form of t: the five frames, ready for a
// socket to send as they are.
func Encode(t *Track) []byte {
	var meta [320]byte
	return zmtp.AppendMsg(make([]byte, 0, 64+len(t.Topic)+len(t.Artist)+len(t.Album)+len(t.Title)+256),
		[]byte(t.Topic), []byte(t.Artist), []byte(t.Album), []byte(t.Title), AppendMeta(meta[:0], t))
}

// AppendMeta appends frame 4 of t to dst. It writes the same JSON as
// encoding/json would, without reflection: the publisher encodes every
// message once and this is on its hot path.
func AppendMeta(dst []byte, t *Track) []byte {
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, Version, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, t.Seq, 10)
	dst = append(dst, `,"sent":"`...)
	dst = t.Sent.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","path":`...)
	dst = appendString(dst, t.Path)
	dst = append(dst, `,"track":`...)
	dst = strconv.AppendInt(dst, int64(t.TrackNo), 10)
	dst = append(dst, `,"disc":`...)
	dst = strconv.AppendInt(dst, int64(t.Disc), 10)
	dst = append(dst, `,"year":`...)
	dst = strconv.AppendInt(dst, int64(t.Year), 10)
	dst = append(dst, `,"genre":`...)
	dst = appendString(dst, t.Genre)
	dst = append(dst, `,"album_artist":`...)
	dst = appendString(dst, t.AlbumArtist)
	dst = append(dst, `,"station":`...)
	dst = appendString(dst, t.Station)
	if t.DurationMS > 0 {
		dst = append(dst, `,"duration_ms":`...)
		dst = strconv.AppendInt(dst, t.DurationMS, 10)
	}
	if t.Pace != "" {
		dst = append(dst, `,"pace":`...)
		dst = appendString(dst, t.Pace)
	}
	if t.Cover != "" {
		dst = append(dst, `,"cover":`...)
		dst = appendString(dst, t.Cover)
	}
	return append(dst, '}')
}

const hex = "0123456789abcdef"

// safeASCII marks the bytes appendString copies as they are.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as with encoding/json.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		// Copy the run of bytes that need no escaping in one go.
		j := i
		for j < len(s) && safeASCII[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// ErrForeign reports a message that is not in trackfeed's format.
var ErrForeign = errors.New("not a trackfeed message")

// Decode parses the frames of one message. Frames past the fifth are
// ignored; fields of frame 4 that this version does not know are ignored.
func Decode(frames [][]byte) (Track, error) {
	if len(frames) < Frames {
		return Track{}, fmt.Errorf("%w: %d frame(s), want %d", ErrForeign, len(frames), Frames)
	}
	for i, f := range frames[:4] {
		if !utf8.Valid(f) {
			return Track{}, fmt.Errorf("%w: frame %d is not UTF-8", ErrForeign, i)
		}
	}
	var m meta
	if err := parseMeta(frames[4], &m); err != nil {
		return Track{}, fmt.Errorf("%w: frame 4: %v", ErrForeign, err)
	}
	switch {
	case m.Version == 0:
		return Track{}, fmt.Errorf("%w: frame 4 has no version field \"v\"", ErrForeign)
	case m.Version != Version:
		// A new version is a breaking change: skip what we cannot read.
		return Track{}, fmt.Errorf("%w: version %d, this client reads version %d", ErrForeign, m.Version, Version)
	}
	return Track{
		Topic:       string(frames[0]),
		Artist:      string(frames[1]),
		Album:       string(frames[2]),
		Title:       string(frames[3]),
		Version:     m.Version,
		Seq:         m.Seq,
		Sent:        m.Sent,
		Path:        m.Path,
		TrackNo:     m.TrackNo,
		Disc:        m.Disc,
		Year:        m.Year,
		Genre:       m.Genre,
		AlbumArtist: m.AlbumArtist,
		Station:     m.Station,
		DurationMS:  m.DurationMS,
		Pace:        m.Pace,
		Cover:       m.Cover,
	}, nil
}
