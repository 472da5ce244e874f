package library

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// The tests build their files with librarytest; these are its shortest
// forms.

// id3v1 returns a 128-byte ID3v1.1 tag. Strings are written as given, so a
// test can store Latin-1 bytes.
func id3v1(title, artist, album, year string, track, genre byte) []byte {
	return librarytest.ID3v1{Title: title, Artist: artist, Album: album, Year: year, Track: track, Genre: genre}.Append(nil)
}

// audio stands for MPEG audio data: n bytes that hold no tag.
func audio(n int) []byte { return librarytest.Silence(n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// writeFiles creates files under root, with their folders.
func writeFiles(t testing.TB, root string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
