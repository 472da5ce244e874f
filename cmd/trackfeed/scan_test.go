package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scanLibrary is a folder of three tracks, two files that are skipped, and
// a text file that is not audio.
func scanLibrary(t *testing.T) string {
	t.Helper()
	dir := writeMusic(t, streetsAndCure...)
	for name, data := range map[string][]byte{
		"Bjork/Glacier/02 Empty.mp3":  nil,
		"Bjork/Glacier/03 Broken.mp3": []byte("ID3\x03\x00\x00\x7f\x7f\x7f\x7fnot a tag"),
		"Bjork/Glacier/cover.txt":     []byte("not audio"),
	} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScan(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	dir := scanLibrary(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"text", nil},
		{"json", []string{"--json"}},
		{"verbose", []string{"-v", "--workers", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, ctx, nil, append(append([]string{"scan"}, tc.args...), dir)...)
			if r.err != nil {
				t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
			}
			golden(t, "scan/"+tc.name+"/stdout", r.stdout)
			golden(t, "scan/"+tc.name+"/stderr", r.stderr)
		})
	}
}

func TestScanErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	missing := filepath.Join(t.TempDir(), "Music")
	file := filepath.Join(writeMusic(t, streetsAndCure...), "Bjork", "Glacier", "01 Tundra.mp3")
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"missing folder", missing, missing + ": no such folder (give the path to your music)"},
		{"not a folder", file, file + ": not a folder (give the folder that holds your music, not a file in it)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, ctx, nil, "scan", tc.dir)
			if want := "trackfeed: scan: " + tc.want + "\n"; r.code != 1 || r.stderr != want || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
}

// TestScanSampleMusic scans the bundled sample library: every .mp3 file in
// it is a track, with five tab-separated columns.
func TestScanSampleMusic(t *testing.T) {
	dir := filepath.Join("..", "..", "sample-music")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no sample library at %s (go run ./tools/gensample sample-music makes it): %v", dir, err)
	}
	r := runArgs(t, testContext(t, 20*time.Second), nil, "scan", dir)
	if r.err != nil {
		t.Fatalf("%v\nstderr:\n%s", r.err, r.stderr)
	}
	var files int
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".mp3") {
			files++
		}
		return err
	})
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != files || files == 0 {
		t.Errorf("%d lines for %d .mp3 files", len(lines), files)
	}
	for _, l := range lines {
		if n := strings.Count(l, "\t"); n != 4 {
			t.Errorf("%d tabs in %q, want 4", n, l)
		}
	}
	if !strings.HasSuffix(r.stderr, "; 0 files skipped\n") {
		t.Errorf("stderr %q, want a summary with no file skipped", r.stderr)
	}
}

// TestScanInterrupted: a scan cut off before it finished exits 130, as a
// shell reports Ctrl-C, not 0 with half the output.
func TestScanInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runArgs(t, ctx, nil, "scan", scanLibrary(t))
	if r.code != 130 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q; want 130 and nothing", r.code, r.stderr)
	}
}
