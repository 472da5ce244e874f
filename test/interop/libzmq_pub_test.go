package interop

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

// scriptTrack is a track for testdata/pub.py to encode.
type scriptTrack struct {
	Topic       string         `json:"topic"`
	Artist      string         `json:"artist"`
	Album       string         `json:"album"`
	Title       string         `json:"title"`
	Path        string         `json:"path"`
	TrackNo     int            `json:"track"`
	Disc        int            `json:"disc"`
	Year        int            `json:"year"`
	Genre       string         `json:"genre"`
	AlbumArtist string         `json:"album_artist"`
	Extra       map[string]any `json:"extra,omitempty"`
	ExtraFrames []string       `json:"extra_frames,omitempty"`
}

// scriptEntry is one message of a pub.py script: a track, or raw frames.
type scriptEntry struct {
	Track  *scriptTrack `json:"track,omitempty"`
	Frames []string     `json:"frames,omitempty"`
}

// trackEntry is tr, for pub.py to encode.
func trackEntry(tr library.Track) scriptEntry {
	return scriptEntry{Track: &scriptTrack{
		Topic: topics.Slug(tr.Artist), Artist: tr.Artist, Album: tr.Album, Title: tr.Title,
		Path: tr.Path, TrackNo: tr.TrackNo, Disc: tr.Disc, Year: tr.Year, Genre: tr.Genre, AlbumArtist: tr.AlbumArtist,
	}}
}

// playlistScript is the playlist, for pub.py.
func playlistScript() []scriptEntry {
	var script []scriptEntry
	for _, tr := range playlist {
		script = append(script, trackEntry(tr))
	}
	return script
}

// rawEntry is a message of the given frames, for pub.py to send as they are.
func rawEntry(frames ...string) scriptEntry {
	e := scriptEntry{Frames: []string{}}
	for _, f := range frames {
		e.Frames = append(e.Frames, hex.EncodeToString([]byte(f)))
	}
	return e
}

// startPub writes script to a file and runs testdata/pub.py on it, bound to
// endpoint; it returns the process and the endpoint pub.py bound.
func startPub(t *testing.T, ctx context.Context, endpoint string, script []scriptEntry, args ...string) (*proc, string) {
	t.Helper()
	p := startPython(t, ctx, "testdata/pub.py", append(args, endpoint, writeScript(t, script))...)
	var l pyLine
	p.nextJSON(t, ctx, &l)
	if l.Endpoint == "" {
		t.Fatalf("pub.py: want its endpoint first, got %+v", l)
	}
	return p, l.Endpoint
}

// writeScript writes script to a file for pub.py or peer.mjs, and returns
// its path.
func writeScript(t *testing.T, script []scriptEntry) string {
	t.Helper()
	b, err := json.Marshal(script)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "script.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// theEnd closes every round of the foreign-messages script.
var theEnd = library.Track{Path: "The End/Rounds/99 Over.mp3", Artist: "The End", Album: "Rounds", Title: "Over"}

// foreignScript is one round of the playlist with messages that are not
// trackfeed's between the tracks, all of them with topics that "the_"
// matches so that the PUB sends them to the subscriber; then theEnd. It
// returns the lines a subscriber of "the_" prints for one round.
func foreignScript() (script []scriptEntry, want []string) {
	foreign := []scriptEntry{
		rawEntry("the_one_frame"),
		rawEntry("the_three", "frames", "only"),
		rawEntry("the_\xff\xfe", "\xc3\x28", "\x80abc", "\x00\x01\x02", "\xde\xad\xbe\xef"),
		rawEntry("the_bad_json", "The Bad", "JSON", "Frame", "{not json"),
		rawEntry("the_no_version", "The No", "Version", "Field", `{"seq":1,"sent":"2024-01-02T03:04:05Z"}`),
		rawEntry("the_wrong_types", "The Wrong", "Types", "Here", `{"v":1,"seq":"one","year":"1989"}`),
	}
	for i, tr := range playlist {
		script = append(script, trackEntry(tr), foreign[i%len(foreign)])
		if topics.Match(topics.Slug(tr.Artist), "the_") {
			want = append(want, line(tr))
		}
	}
	script = append(script, foreign...)
	// Not foreign: a v1 client ignores unknown fields and frames past the fifth.
	future := library.Track{Path: "The Future/v1.1/01 Extras.mp3", Artist: "The Future", Album: "v1.1", Title: "Extras"}
	e := trackEntry(future)
	e.Track.Extra = map[string]any{"bpm": 120, "mood": map[string]any{"calm": true}}
	e.Track.ExtraFrames = []string{hex.EncodeToString([]byte("cover art?")), ""}
	script = append(script, e, trackEntry(theEnd))
	want = append(want, line(future), line(theEnd))
	return script, want
}

// checkRound checks the lines a subscriber of "the_" printed: a part of a
// round, then whole rounds; every whole one must be want exactly, in order.
func checkRound(t *testing.T, got, want []string) {
	t.Helper()
	first := slices.Index(got, want[len(want)-1]) // the end of the partial round
	if first < 0 || len(got) < first+1+len(want) {
		t.Fatalf("want a whole round in %d lines, got\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			t.Errorf("printed %q, not a track of the_", l)
		}
	}
	if round := got[first+1 : first+1+len(want)]; !slices.Equal(round, want) {
		t.Errorf("one round printed\n%s\nwant\n%s", strings.Join(round, "\n"), strings.Join(want, "\n"))
	}
}

// TestLibzmqPublisher runs trackfeed's subscriber, as a package and as the
// trackfeed command, on a pyzmq PUB sending tracks in trackfeed's format
// among messages that are not: it prints exactly the tracks it subscribed
// to, warns about the others on stderr and keeps going.
func TestLibzmqPublisher(t *testing.T) {
	// Not parallel with the other tests: building the trackfeed command
	// takes both cores for seconds, which stalls the heartbeat tests.
	ctx := withTimeout(t, 60*time.Second)
	script, want := foreignScript()
	n := 2*len(want) + 1 // holds a whole round after a partial one
	_, ep := startPub(t, ctx, "tcp://127.0.0.1:0", script, "--interval", "2")

	t.Run("subscriber.Run", func(t *testing.T) {
		t.Parallel()
		tp := newTap(t, ep, nil)
		var logs logRecorder
		var got []string
		wait := goRun(t, ctx, subscriber.Options{Endpoints: []string{tp.endpoint()}, Prefixes: []string{"the_"}, Logger: logs.logger()},
			func(tr subscriber.Track) error {
				if tr.Version != 1 || tr.Seq == 0 || tr.Sent.IsZero() {
					t.Errorf("%s: v %d, seq %d, sent %v", tr.Path, tr.Version, tr.Seq, tr.Sent)
				}
				if got = append(got, tr.Artist+" — "+tr.Album+" — "+tr.Title); len(got) == n {
					return errEnough
				}
				return nil
			})
		if err := wait(); !errors.Is(err, errEnough) {
			t.Fatalf("Run = %v after %d tracks; log:\n%s", err, len(got), logs.String())
		}
		checkRound(t, got, want)
		checkOneConnection(t, tp)
		if logs.count("WARN") == 0 {
			t.Errorf("want a warning about foreign messages; log:\n%s", logs.String())
		}
	})

	t.Run("trackfeed subscribe", func(t *testing.T) {
		t.Parallel()
		exe := buildTrackfeed(t, ctx)
		tp := newTap(t, ep, nil)
		p := start(t, ctx, nil, exe, "subscribe", "--connect", tp.endpoint(), "--count", strconv.Itoa(n), "the_")
		got, err := p.wait(t, ctx)
		if err != nil {
			t.Fatalf("trackfeed subscribe: %v; stderr:\n%s", err, p.stderr.String())
		}
		checkRound(t, got, want)
		checkOneConnection(t, tp)
		if stderr := p.stderr.String(); !strings.Contains(stderr, "WARN") || !strings.Contains(stderr, "not in trackfeed format") {
			t.Errorf("want a warning about foreign messages on stderr, got:\n%s", stderr)
		}
	})
}

// checkOneConnection checks that the tap saw a single connection: nothing
// made the subscriber reconnect.
func checkOneConnection(t *testing.T, tp *tap) {
	t.Helper()
	tp.mu.Lock()
	n := len(tp.conns)
	tp.mu.Unlock()
	if n != 1 {
		t.Errorf("the subscriber connected %d times, want once; the tap saw:\n%s", n, tp.timeline())
	}
}

// buildTrackfeed builds cmd/trackfeed into a temporary directory.
func buildTrackfeed(t *testing.T, ctx context.Context) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "trackfeed")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "./cmd/trackfeed")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/trackfeed: %v\n%s", err, out)
	}
	return exe
}
