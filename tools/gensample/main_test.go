package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := librarytest.Files()[0]
	write("README.md", "kept")
	write("Old Band/Old Album/01 Gone.mp3", "stale")
	write("Old Band/cover.jpg", "kept, and so is its folder")
	write("Gone Band/Gone Album/02 Gone.MP3", "stale, and its folders go too")
	write(first.Path, "out of date")

	var stderr bytes.Buffer
	if err := run([]string{dir}, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}

	for _, rel := range []string{"Old Band/Old Album", "Gone Band"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", rel, err)
		}
	}
	for _, rel := range []string{"README.md", "Old Band/cover.jpg"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err != nil {
			t.Errorf("%s: %v", rel, err)
		}
	}
	for _, f := range librarytest.Files() {
		want, err := f.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not written (%v)", f.Path, err)
		}
	}
	if want := "removed 2 stale"; !bytes.Contains(stderr.Bytes(), []byte(want)) {
		t.Errorf("stderr %q does not say %q", stderr.String(), want)
	}
}

func TestRunMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sample-music")
	if err := run([]string{dir}, new(bytes.Buffer)); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(librarytest.Files()[0].Path))); err != nil {
		t.Error(err)
	}
}

func TestRunUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"a", "b"}} {
		if err := run(args, new(bytes.Buffer)); err == nil {
			t.Errorf("run(%q): no error", args)
		}
	}
}
