package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the demo on the bundled sample library for a second.
func TestDemo(t *testing.T) {
	dir := filepath.Join("..", "..", "sample-music")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no sample library at %s (go run ./tools/gensample sample-music makes it): %v", dir, err)
	}
	ctx := testContext(t, 20*time.Second)
	start := time.Now()
	r := runArgs(t, ctx, nil, "demo", "--duration", "1s", dir)
	if r.err != nil {
		t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("demo --duration 1s took %v", d)
	}
	var all, the int
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "[all ] "):
			all++
		case strings.HasPrefix(l, "[the_] The "):
			the++
		default:
			t.Errorf("unexpected line %q", l)
		}
		if strings.Count(l, " — ") < 2 {
			t.Errorf("line %q is not artist — album — title", l)
		}
	}
	// At 100ms a track, a second gives about ten; allow for a slow start.
	if all == 0 || the > all {
		t.Errorf("%d lines for [all ], %d for [the_]: want some, and no more [the_] than [all ]\n%s", all, the, r.stdout)
	}
	if !strings.Contains(r.stderr, "demo running") {
		t.Errorf("stderr does not say the demo runs:\n%s", r.stderr)
	}
}

// TestDemoAnywhere runs the demo away from the repository (as after go
// install): it plays the sample library, written to a temporary folder
// that it removes when it ends.
func TestDemoAnywhere(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TMPDIR", dir)
	r := runArgs(t, testContext(t, 20*time.Second), nil, "demo", "--duration", "1s")
	if r.err != nil {
		t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stderr, "playing the sample library, written to a temporary folder") || !strings.Contains(r.stdout, "[all ] ") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the demo left %v behind", left)
	}
}

// TestDemoNoFolder: a DIR that is not there is named.
func TestDemoNoFolder(t *testing.T) {
	r := runArgs(t, testContext(t, 10*time.Second), nil, "demo", "--duration", "1ms", "/no/such/music")
	want := "trackfeed: demo: /no/such/music: no such folder (give the path to your music)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}
