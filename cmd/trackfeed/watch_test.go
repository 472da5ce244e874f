package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublishWatch runs publish through run() and adds a file by an artist
// of its own to the folder: a subscriber to that artist gets it within
// seconds, without a new scan. Removed, it leaves the playlist.
func TestPublishWatch(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	music := writeMusic(t, streetsAndCure...)
	eps, log := startPublish(t, ctx, nil, "--bind", "tcp://127.0.0.1:0", "--interval", "1ms", "--log-level", "debug", music)

	start := time.Now()
	added := writeMusic(t, testTrack{"Watched Artist 7f3a/Live/01 Hello.mp3", "Watched Artist 7f3a", "Live", "Hello", "1"})
	name := filepath.Join(music, "Watched Artist 7f3a")
	if err := os.Rename(filepath.Join(added, "Watched Artist 7f3a"), name); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, ctx, nil, "subscribe", "--connect", eps[0], "--count", "1", "watched_artist_7f3a")
	if r.err != nil {
		t.Fatalf("subscribe: %v\nstderr:\n%s\npublish log:\n%s", r.err, r.stderr, log)
	}
	if want := "Watched Artist 7f3a — Live — Hello\n"; r.stdout != want {
		t.Errorf("subscribe printed %q, want %q", r.stdout, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the new track took %v to reach a subscriber", took)
	}
	if !strings.Contains(log.String(), `"msg":"library: +1 −0 tracks"`) ||
		!strings.Contains(log.String(), `"msg":"library: added","path":"Watched Artist 7f3a/Live/01 Hello.mp3"`) {
		t.Errorf("the log does not show the track added:\n%s", log)
	}
	if !strings.Contains(log.String(), `"msg":"watching the library for changes"`) {
		t.Errorf("the log does not say the library is watched:\n%s", log)
	}
	if strings.Count(log.String(), `"msg":"scanned library"`) != 1 {
		t.Errorf("the library was scanned again:\n%s", log)
	}

	if err := os.RemoveAll(name); err != nil {
		t.Fatal(err)
	}
	line, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"library: +0 −1 tracks"`) })
	if err != nil {
		t.Fatalf("no removal logged: %v\nlog:\n%s", err, log)
	}
	if !strings.Contains(line, `"tracks":3,"artists":2`) {
		t.Errorf("after the removal: %s, want 3 tracks by 2 artists", line)
	}
}

// TestPublishNoWatch checks that --watch=false (here from the environment)
// starts no watcher. Watching starts before the scan, so before publish
// logs "publishing".
func TestPublishNoWatch(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	_, log := startPublish(t, ctx, map[string]string{"TRACKFEED_WATCH": "false"},
		"--bind", "tcp://127.0.0.1:0", "--log-level", "debug", music)
	if strings.Contains(log.String(), "watching the library") {
		t.Errorf("a watcher started with TRACKFEED_WATCH=false:\n%s", log)
	}
}
