package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/subscriber"
)

var feedTracks = []library.Track{
	{Path: "The Streets/Corner Shop/01 Bus Stop.mp3", Artist: "The Streets", AlbumArtist: "The Streets", Album: "Corner Shop", Title: "Bus Stop", Genre: "Hip-Hop", TrackNo: 1, Disc: 1, Year: 2004},
	{Path: "The Cure/Paper Moths/02 Spider Silk.mp3", Artist: "The Cure", Album: "Paper Moths", Title: "Spider Silk", TrackNo: 2, Year: 1989},
	{Path: "Sigur Rós/Hafgola/01 Snjóbráð.mp3", Artist: "Sigur Rós", Album: "Hafgola", Title: "Snjóbráð", TrackNo: 1},
	{Path: "Björk/Glacier Songs/01 Tundra Light.mp3", Artist: "Björk", Album: "Glacier Songs", Title: "Tundra Light", TrackNo: 1, Year: 1995},
}

// startFeed runs a publisher of feedTracks on a kernel-chosen loopback
// port, built from the publisher package, until the test ends.
func startFeed(t *testing.T, ctx context.Context) string {
	t.Helper()
	return publishertest.Start(t, publisher.Config{Tracks: feedTracks, Interval: time.Millisecond}).Endpoints()[0]
}

func TestSubscribe(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	for _, tc := range []struct {
		name   string
		args   []string
		lineOK func(string) bool
	}{
		{"default line", []string{"--count", "6"}, func(l string) bool {
			for _, tr := range feedTracks {
				if l == tr.Artist+" — "+tr.Album+" — "+tr.Title {
					return true
				}
			}
			return false
		}},
		{"prefixes", []string{"--count", "6", "sigur", "bj"}, func(l string) bool {
			return strings.HasPrefix(l, "Sigur Rós — ") || strings.HasPrefix(l, "Björk — ")
		}},
		{"format", []string{"--count", "6", "--format", "{{.Artist}} – {{.Title}} ({{.TrackNo}})", "the_"}, func(l string) bool {
			return l == "The Streets – Bus Stop (1)" || l == "The Cure – Spider Silk (2)"
		}},
		{"format ending in a newline", []string{"--count", "6", "--format", "{{.Topic}}\n", "the_streets"}, func(l string) bool {
			return l == "the_streets"
		}},
		{"count from the environment", []string{"the_cure"}, func(l string) bool {
			return l == "The Cure — Paper Moths — Spider Silk"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"subscribe", "-c", ep}, tc.args...)
			r := runArgs(t, ctx, map[string]string{"TRACKFEED_COUNT": "6"}, args...)
			if r.err != nil {
				t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) != 6 {
				t.Errorf("got %d lines, want 6:\n%s", len(lines), r.stdout)
			}
			for _, l := range lines {
				if !tc.lineOK(l) {
					t.Errorf("unexpected line %q", l)
				}
			}
		})
	}
}

// TestSubscribeJSON checks that --json prints every field of a track.
func TestSubscribeJSON(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	r := runArgs(t, ctx, nil, "subscribe", "-c", ep, "--json", "--count", "1", "the_streets")
	if r.err != nil {
		t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &fields); err != nil {
		t.Fatalf("%v: %q", err, r.stdout)
	}
	for _, k := range []string{"topic", "artist", "album", "title", "v", "seq", "sent", "path", "track", "disc", "year", "genre", "album_artist"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("field %q missing from %s", k, r.stdout)
		}
	}
	var got subscriber.Track
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	src := feedTracks[0]
	want := subscriber.Track{Topic: "the_streets", Artist: src.Artist, Album: src.Album, Title: src.Title, Version: 1,
		Seq: got.Seq, Sent: got.Sent, Path: src.Path, TrackNo: src.TrackNo, Disc: src.Disc, Year: src.Year,
		Genre: src.Genre, AlbumArtist: src.AlbumArtist, Station: got.Station}
	if !reflect.DeepEqual(got, want) || got.Station == "" {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestSubscribeBadTemplate checks that a template that cannot work is
// reported before connecting: no publisher is needed to see the error.
func TestSubscribeBadTemplate(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	for _, tc := range []struct{ format, want string }{
		{"{{.Artist", "template: format:1: unclosed action"},
		{"{{.Nope}}", `template: format:1:2: executing "format" at <.Nope>: map has no entry for key "Nope"`},
	} {
		r := runArgs(t, ctx, nil, "subscribe", "--format", tc.format)
		want := "trackfeed: subscribe: --format: " + tc.want + " (fields are listed in 'trackfeed subscribe --help')\n"
		if r.code != 2 || r.stderr != want {
			t.Errorf("--format %q: exit %d, stderr %q; want 2, %q", tc.format, r.code, r.stderr, want)
		}
	}
}

// TestSubscribeStop checks that cancelling the context (Ctrl-C in main)
// ends subscribe with no error, even with no publisher to connect to.
func TestSubscribeStop(t *testing.T) {
	ctx, cancel := context.WithCancel(testContext(t, 10*time.Second))
	done := make(chan result, 1)
	var stderr syncBuffer
	go func() {
		var stdout syncBuffer
		err := run(ctx, []string{"subscribe", "--log-level", "info", "-c", "tcp://127.0.0.1:1"}, &stdout, &stderr, mapEnv(nil))
		done <- result{err: err, stdout: stdout.String()}
	}()
	if _, err := stderr.waitFor(ctx, func(l string) bool { return strings.Contains(l, "msg=subscribing") }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case r := <-done:
		if r.err != nil || r.stdout != "" {
			t.Errorf("err %v, stdout %q; want nil and nothing", r.err, r.stdout)
		}
	case <-time.After(time.Second):
		t.Fatal("subscribe still running a second after cancel")
	}
}

// failingWriter fails every write as os.File does.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: "/dev/stdout", Err: w.err}
}

// TestSubscribeWriteError checks that a reader closing the pipe ends
// subscribe quietly, and that other write errors are reported.
func TestSubscribeWriteError(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	for _, tc := range []struct {
		name     string
		err      error
		wantCode int
		want     string
	}{
		{"closed pipe", syscall.EPIPE, 0, ""},
		{"full disk", syscall.ENOSPC, 1, "trackfeed: subscribe: write to stdout: no space left on device\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr syncBuffer
			err := run(ctx, []string{"subscribe", "--log-level", "warn", "-c", ep}, failingWriter{tc.err}, &stderr, mapEnv(nil))
			if ctx.Err() != nil {
				t.Fatal("subscribe did not stop at the write error")
			}
			if code := report(&stderr, err); code != tc.wantCode || stderr.String() != tc.want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr.String(), tc.wantCode, tc.want)
			}
		})
	}
}

// TestSubscribeNames: an artist's name given as a prefix subscribes to
// its topic, and stderr says so once, and nothing else when stdout is not
// a terminal.
func TestSubscribeNames(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	// stdout is not a terminal: no INFO lines unless asked for.
	r := runArgs(t, ctx, nil, "subscribe", "-c", ep, "--count", "2", "The Streets", "Sigur Rós")
	if r.err != nil {
		t.Fatalf("subscribe: %v\n%s", r.err, r.stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if !strings.HasPrefix(l, "The Streets — ") && !strings.HasPrefix(l, "Sigur Rós — ") {
			t.Errorf("line %q is by neither artist", l)
		}
	}
	want := `trackfeed: subscribe: topics are slugs of names: "The Streets" → the_streets, "Sigur Rós" → sigur_ros` + "\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

// TestSubscribePrefixesOnce: with its log showing, subscribe says its
// prefixes in one line, the names they came from beside them.
func TestSubscribePrefixesOnce(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	r := runArgs(t, ctx, nil, "subscribe", "-c", ep, "--count", "1", "--log-level", "info", "The Streets", "the_")
	if r.err != nil {
		t.Fatalf("subscribe: %v\n%s", r.err, r.stderr)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "the_streets") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], `prefixes="\"the_streets\" (from \"The Streets\"), \"the_\""`) {
		t.Errorf("lines naming the prefixes: %q, want one that names both and the name", lines)
	}
}

func TestAppendJSON(t *testing.T) {
	got, err := appendJSON([]byte("x"), &subscriber.Track{Artist: "Simon & Garfunkel <live>"})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(got); !strings.HasPrefix(s, `x{"topic":"","artist":"Simon & Garfunkel <live>",`) || !strings.HasSuffix(s, "}\n") {
		t.Errorf("got %s", s)
	}
}

// TestSubscribeFormatEscapes: \t and \n in --format are a tab and a
// newline, as in docker's --format.
func TestSubscribeFormatEscapes(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := startFeed(t, ctx)
	r := runArgs(t, ctx, nil, "subscribe", "-c", ep, "--count", "1", "--format", `{{.Topic}}\t{{.Title}}\n`, "the_streets")
	if r.err != nil || r.stdout != "the_streets\tBus Stop\n" {
		t.Errorf("stdout %q, %v; want %q", r.stdout, r.err, "the_streets\tBus Stop\n")
	}
}

// TestFormatFields: every field of --json is a --format field of the same
// name with the same value, and --help lists it; the Go names of earlier
// versions still work (TestSubscribeBadTemplate: an unknown one).
func TestFormatFields(t *testing.T) {
	tr := subscriber.Track{Topic: "the_streets", Artist: "The Streets", Album: "A Grand Don't Come for Free",
		Title: "Blinded by the Lights", Version: 1, Seq: 42, Sent: time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC),
		Path: "The Streets/x.mp3", TrackNo: 7, Disc: 1, Year: 2004, Genre: "Hip-Hop", AlbumArtist: "The Streets",
		Station: "kitchen", DurationMS: 283_000, Pace: "real"}
	b, err := appendJSON(nil, &tr)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	var c subscribeCmd
	fs := pflag.NewFlagSet("subscribe", pflag.ContinueOnError)
	c.flags(fs)
	usage := fs.Lookup("format").Usage
	for key, v := range fields {
		c.format = "{{." + key + "}}"
		format, err := c.formatter()
		if err != nil {
			t.Errorf("--format %s: %v", c.format, err)
			continue
		}
		got, err := format(nil, &tr)
		want := fmt.Sprint(v)
		if key == "sent" {
			want = tr.Sent.String()
		}
		if err != nil || strings.TrimSuffix(string(got), "\n") != want {
			t.Errorf("--format %s: %q, %v; want %q", c.format, got, err, want)
		}
		if !strings.Contains(usage, "{{."+key+"}}") {
			t.Errorf("--help does not list {{.%s}}", key)
		}
	}
	for _, tc := range []struct{ format, want string }{
		{"{{.TrackNo}} {{.AlbumArtist}} {{.Artist}} {{.Sent.Year}}", "7 The Streets The Streets 2026\n"},
		{"{{.track}}/{{.disc}} {{.album_artist}}", "7/1 The Streets\n"},
	} {
		c.format = tc.format
		format, err := c.formatter()
		if err != nil {
			t.Fatalf("--format %s: %v", tc.format, err)
		}
		if got, err := format(nil, &tr); err != nil || string(got) != tc.want {
			t.Errorf("--format %s: %q, %v; want %q", tc.format, got, err, tc.want)
		}
	}
}
