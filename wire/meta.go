package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// parseMeta reads frame 4 into m as encoding/json would. Frame 4 is on
// every message's path through a subscriber, and json.Unmarshal is most
// of what decoding a message costs, so the common case — a flat object of
// numbers and strings without escapes, as trackfeed and the examples
// write it, in any order — is read here by hand; anything else (escapes,
// nested values, nulls, floats, keys in another case) goes to
// json.Unmarshal, which then decides.
func parseMeta(b []byte, m *meta) error {
	if quickMeta(b, m) {
		return nil
	}
	*m = meta{}
	return json.Unmarshal(b, m)
}

// quickMeta is parseMeta's fast path; it reports false, having perhaps
// written part of m, when b is not in the form it reads.
func quickMeta(b []byte, m *meta) bool {
	p := metaParser{b: b}
	if !p.byte('{') {
		return false
	}
	if p.byte('}') {
		return p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return false
		}
		switch string(key) {
		case "v":
			n, ok := p.uint(31)
			if !ok {
				return false
			}
			m.Version = int(n)
		case "seq":
			n, ok := p.uint(64)
			if !ok {
				return false
			}
			m.Seq = n
		case "track", "disc", "year":
			n, ok := p.uint(63)
			if !ok {
				return false
			}
			switch string(key) {
			case "track":
				m.TrackNo = int(n)
			case "disc":
				m.Disc = int(n)
			default:
				m.Year = int(n)
			}
		case "duration_ms":
			n, ok := p.uint(63)
			if !ok {
				return false
			}
			m.DurationMS = int64(n)
		case "sent":
			s, ok := p.str()
			if !ok {
				return false
			}
			// time.Time's own parser, as encoding/json uses it.
			if m.Sent.UnmarshalText(s) != nil {
				return false
			}
		case "path", "genre", "album_artist", "station", "pace", "cover":
			s, ok := p.str()
			if !ok {
				return false
			}
			switch string(key) {
			case "path":
				m.Path = string(s)
			case "genre":
				m.Genre = string(s)
			case "album_artist":
				m.AlbumArtist = string(s)
			case "pace":
				m.Pace = string(s)
			case "cover":
				m.Cover = string(s)
			default:
				m.Station = string(s)
			}
		default:
			// encoding/json matches keys without regard to case: a key
			// that could be one of ours goes to it.
			for _, k := range metaKeys {
				if bytes.EqualFold(key, []byte(k)) {
					return false
				}
			}
			if !p.skip() {
				return false
			}
		}
		if p.byte('}') {
			return p.end()
		}
		if !p.byte(',') {
			return false
		}
	}
}

// metaKeys are frame 4's fields.
var metaKeys = []string{"v", "seq", "sent", "path", "track", "disc", "year", "genre", "album_artist", "station", "duration_ms", "pace", "cover"}

// metaParser reads the simple JSON that quickMeta takes.
type metaParser struct {
	b []byte
	i int
}

func (p *metaParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c, after white space, if it is next.
func (p *metaParser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether nothing but white space is left.
func (p *metaParser) end() bool {
	p.space()
	return p.i == len(p.b)
}

// str reads a string without escapes or control characters, in valid
// UTF-8, and returns its content.
func (p *metaParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// uint reads a non-negative integer that fits in bits bits, in JSON's
// form (no leading zeros, no sign, no fraction or exponent).
func (p *metaParser) uint(bits int) (uint64, bool) {
	p.space()
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseUint(string(digits), 10, bits)
	return n, err == nil
}

// skip passes over the value of a field quickMeta does not know: a
// string or an integer; anything else is left to encoding/json.
func (p *metaParser) skip() bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '"' {
		_, ok := p.str()
		return ok
	}
	_, ok := p.uint(64)
	return ok
}
