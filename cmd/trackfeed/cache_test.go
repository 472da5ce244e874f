package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublishCache: the first start writes the scan cache at its default
// place, the second uses it, a damaged cache is a warning and rebuilt,
// never fatal, and --no-cache leaves it alone.
func TestPublishCache(t *testing.T) {
	music := writeMusic(t, streetsAndCure...)
	// The cache does not keep files changed in the last seconds (their
	// mtime may not show a second change yet): make these an hour old.
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(music, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	cacheDir := filepath.Join(home, ".cache", "trackfeed")

	start := func(ctx context.Context) *syncBuffer {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, log := startPublish(t, ctx, env, "--bind", "tcp://127.0.0.1:0", "--log-level", "debug", "--watch=false", music)
		if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"saved the scan cache"`) }); err != nil {
			t.Fatalf("no scan cache saved: %v\n%s", err, log)
		}
		return log
	}
	cacheFile := func() string {
		files, _ := filepath.Glob(filepath.Join(cacheDir, "*.cache"))
		if len(files) != 1 {
			t.Fatalf("cache files under ~/.cache/trackfeed: %v, want one", files)
		}
		return files[0]
	}

	ctx := testContext(t, 30*time.Second)
	start(ctx)
	path := cacheFile()

	// How the cache's tracks and the scan's combine is the publisher
	// package's to test (TestCacheBeforeScan); here, that the command
	// finds the cache at its default place again.
	log := start(ctx)
	if !strings.Contains(log.String(), `"msg":"playing the tracks of the scan cache while the scan checks them","tracks":3`) {
		t.Errorf("second start did not use the cache:\n%s", log)
	}

	if err := os.WriteFile(path, []byte("not a cache at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	log = start(ctx)
	if !strings.Contains(log.String(), "ignoring scan cache") {
		t.Errorf("a damaged cache was not reported:\n%s", log)
	}

	// --no-cache reads everything and leaves the file alone.
	before, _ := os.Stat(path)
	_, log = startPublish(t, ctx, env, "--bind", "tcp://127.0.0.1:0", "--log-level", "debug", "--watch=false", "--no-cache", music)
	if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"scanned library"`) }); err != nil {
		t.Fatalf("no scan: %v\n%s", err, log)
	}
	if strings.Contains(log.String(), `"msg":"scan cache"`) {
		t.Errorf("--no-cache opened the cache:\n%s", log)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("--no-cache rewrote the cache")
	}
}
