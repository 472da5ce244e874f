package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/topics"
)

// pyLine is a line that testdata/sub.py or testdata/pub.py prints.
type pyLine struct {
	Frames   []string        `json:"frames"` // hex
	Text     []string        `json:"text"`   // frames 0-3 as Python decoded them
	Meta     json.RawMessage `json:"meta"`   // frame 4 as Python parsed it, re-encoded
	Error    string          `json:"error"`
	Event    string          `json:"event"`
	OK       *string         `json:"ok"`
	Endpoint string          `json:"endpoint"`
	Query    string          `json:"query"` // the X-Query property of the connection, as libzmq reads it
}

// frames decodes the hex frames.
func (l *pyLine) frames(t *testing.T) [][]byte {
	t.Helper()
	out := make([][]byte, len(l.Frames))
	for i, f := range l.Frames {
		b, err := hex.DecodeString(f)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		out[i] = b
	}
	return out
}

// nextMessage returns the next message sub.py prints, skipping its other
// lines (monitor events, answers to commands).
func nextMessage(t *testing.T, ctx context.Context, p *proc) pyLine {
	t.Helper()
	for {
		var l pyLine
		if p.nextJSON(t, ctx, &l); l.Frames != nil {
			return l
		}
	}
}

// metaFields are frame 4's fields and their JSON types, as documented.
var metaFields = map[string]string{
	"v": "int", "seq": "int", "sent": "time", "path": "string",
	"track": "int", "disc": "int", "year": "int", "genre": "string", "album_artist": "string", "station": "string",
}

// optionalMetaFields are frame 4's fields left out when they have
// nothing to say, and their JSON types.
var optionalMetaFields = map[string]string{"duration_ms": "int", "pace": "string", "cover": "string"}

// checkMessage checks one message from a trackfeed publisher as a libzmq
// subscriber of prefix received it, and returns its source track and seq.
func checkMessage(t *testing.T, l pyLine, prefix string, notBefore time.Time) (library.Track, int64) {
	t.Helper()
	frames := l.frames(t)
	if len(frames) != 5 || l.Error != "" || len(l.Text) != 4 {
		t.Fatalf("want five frames, four of UTF-8 text and one of JSON; got %q (%s)", frames, l.Error)
	}
	for i, f := range frames {
		if !utf8.Valid(f) {
			t.Errorf("frame %d is not UTF-8: %q", i, f)
		}
	}
	topic, artist, album, title := l.Text[0], l.Text[1], l.Text[2], l.Text[3]
	if !strings.HasPrefix(topic, prefix) {
		t.Errorf("subscribed to %q, got topic %q", prefix, topic)
	}
	if topic != topics.Slug(artist) {
		t.Errorf("topic %q, want the slug of %q, %q", topic, artist, topics.Slug(artist))
	}
	i := slices.IndexFunc(playlist, func(tr library.Track) bool {
		return tr.Artist == artist && tr.Album == album && tr.Title == title
	})
	if i < 0 {
		t.Fatalf("no such track in the playlist: %q", l.Text)
	}
	src := playlist[i]

	// Python's json module parsed frame 4; check what it found.
	d := json.NewDecoder(bytes.NewReader(l.Meta))
	d.UseNumber()
	var meta map[string]any
	if err := d.Decode(&meta); err != nil {
		t.Fatalf("frame 4 %q: %v", frames[4], err)
	}
	for k := range metaFields {
		if _, ok := meta[k]; !ok {
			t.Errorf("frame 4 %s: field %q missing (every field is always present)", frames[4], k)
		}
	}
	for k, v := range meta {
		typ, ok := metaFields[k]
		if !ok {
			typ, ok = optionalMetaFields[k]
		}
		if !ok {
			t.Errorf("frame 4 has undocumented field %q (document it in docs/PROTOCOL.md)", k)
		}
		switch typ {
		case "int":
			if n, ok := v.(json.Number); !ok || strings.ContainsAny(n.String(), ".eE-") {
				t.Errorf("field %q = %#v, want a non-negative integer", k, v)
			}
		case "string":
			if _, ok := v.(string); !ok {
				t.Errorf("field %q = %#v, want a string", k, v)
			}
		case "time":
			s, _ := v.(string)
			sent, err := time.Parse(time.RFC3339Nano, s)
			if err != nil || !strings.HasSuffix(s, "Z") {
				t.Errorf("field %q = %#v, want an RFC 3339 time in UTC (%v)", k, v, err)
			} else if sent.Before(notBefore) || sent.After(time.Now()) {
				t.Errorf("field %q = %s, not between %s and now", k, s, notBefore.Format(time.RFC3339Nano))
			}
		}
	}
	want := map[string]string{
		"v": "1", "path": src.Path, "track": strconv.Itoa(src.TrackNo), "disc": strconv.Itoa(src.Disc),
		"year": strconv.Itoa(src.Year), "genre": src.Genre, "album_artist": src.AlbumArtist,
	}
	if src.Duration > 0 {
		want["duration_ms"] = strconv.FormatInt(src.Duration.Milliseconds(), 10)
	}
	for k, w := range want {
		if got := fmt.Sprint(meta[k]); got != w {
			t.Errorf("%s: field %q = %v, want %v", src.Path, k, got, w)
		}
	}
	seq, _ := meta["seq"].(json.Number).Int64()
	return src, seq
}

// TestLibzmqSubscriber runs a pyzmq SUB on a trackfeed publisher: it gets
// the artists it subscribed to and no others, every message five frames of
// valid UTF-8 with frame 4 the documented JSON.
func TestLibzmqSubscriber(t *testing.T) {
	t.Parallel()
	ctx := withTimeout(t, 20*time.Second)
	start := time.Now()
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)

	t.Run("sub.py", func(t *testing.T) {
		t.Parallel()
		sub := startPython(t, ctx, "testdata/sub.py", ep, "the_")
		want := matching("the_")
		seen := map[string]bool{}
		var lastSeq int64
		// Three rounds of the playlist hold at least two whole ones.
		for range 3 * len(want) {
			src, seq := checkMessage(t, nextMessage(t, ctx, sub), "the_", start)
			seen[src.Path] = true
			if seq <= lastSeq {
				t.Errorf("seq %d after %d: want increasing", seq, lastSeq)
			}
			lastSeq = seq
		}
		for _, tr := range want {
			if !seen[tr.Path] {
				t.Errorf("never received %s", tr.Path)
			}
		}
	})

	t.Run("examples/subscribe.py", func(t *testing.T) {
		t.Parallel()
		sub := startPython(t, ctx, filepath.Join(moduleRoot, "examples/subscribe.py"), ep, "the_cure", "the_do")
		checkLines(t, ctx, sub, 3*len(matching("the_cure"))+3*len(matching("the_do")), "the_cure", "the_do")
	})
}

// checkLines reads n lines from p, each "artist — album — title" of a
// track matching one of prefixes, and checks that every such track came.
func checkLines(t *testing.T, ctx context.Context, p *proc, n int, prefixes ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, prefix := range prefixes {
		for _, tr := range matching(prefix) {
			want[line(tr)] = false
		}
	}
	for range n {
		l := p.next(t, ctx)
		if _, ok := want[l]; !ok {
			t.Errorf("%s printed %q: not a track matching %q", p.name, l, prefixes)
		}
		want[l] = true
	}
	for l, seen := range want {
		if !seen {
			t.Errorf("%s never printed %q", p.name, l)
		}
	}
}

// TestLibzmqReadsQuery: libzmq reads the query socket a trackfeed
// publisher names in its handshake (X-Query) as a property of every
// message, and none from a publisher without a query socket.
func TestLibzmqReadsQuery(t *testing.T) {
	needPyzmq(t)
	ctx := withTimeout(t, 20*time.Second)
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Query: []string{"tcp://127.0.0.1:0"}})
	if l := nextMessage(t, ctx, startPython(t, ctx, "testdata/sub.py", p.Endpoints()[0], "")); l.Query != p.QueryEndpoints()[0] {
		t.Errorf("X-Query %q, want %q", l.Query, p.QueryEndpoints()[0])
	}
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	if l := nextMessage(t, ctx, startPython(t, ctx, "testdata/sub.py", ep, "")); l.Query != "" {
		t.Errorf("X-Query %q from a publisher without a query socket", l.Query)
	}
}

// TestCSubscriber builds examples/subscribe.c and runs it on a trackfeed
// publisher, with a count given both ways.
func TestCSubscriber(t *testing.T) {
	// Not parallel with the other tests: see TestLibzmqPublisher.
	ctx := withTimeout(t, 20*time.Second)
	exe := buildC(t, ctx, filepath.Join(moduleRoot, "examples/subscribe.c"), t.TempDir())
	ep := startPublisher(t, "tcp://127.0.0.1:0", 2*time.Millisecond)
	n := 2 * len(matching("the_")) // holds a whole round
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"-n", nil, []string{"-n", strconv.Itoa(n), ep, "the_"}},
		{"TRACKFEED_COUNT", []string{"TRACKFEED_COUNT=" + strconv.Itoa(n)}, []string{ep, "the_"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := start(t, ctx, tc.env, exe, tc.args...)
			checkLines(t, ctx, p, n, "the_")
			rest, err := p.wait(t, ctx)
			if err != nil || len(rest) > 0 {
				t.Errorf("after %d lines: exit %v, then printed %q; want exit 0 and nothing more\nstderr:\n%s", n, err, rest, p.stderr.String())
			}
		})
	}
}
