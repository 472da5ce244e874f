//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"os"
	"path/filepath"

	"github.com/trackfeed/trackfeed/library"
)

// gobEntry is what the scan cache remembers of a file, as encoding/gob
// would store it: the reference that the cache's own format is measured
// against.
type gobEntry struct {
	Path, Artist, AlbumArtist, Album, Title, Genre string
	TrackNo, Disc, Year                            int
	Size, ModTime                                  int64
}

// writeGobCache writes the tracks of root, and their sizes and modification
// times, to path with encoding/gob, and returns the file's size and how
// many files of root are not tracks.
func writeGobCache(ctx context.Context, root, path string) (size int64, skipped int, err error) {
	lib, err := library.Scan(ctx, os.DirFS(root), library.Options{})
	if err != nil {
		return 0, 0, err
	}
	entries := make([]gobEntry, 0, len(lib.Tracks))
	for _, t := range lib.Tracks {
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(t.Path)))
		if err != nil {
			return 0, 0, err
		}
		entries = append(entries, gobEntry{t.Path, t.Artist, t.AlbumArtist, t.Album, t.Title, t.Genre,
			t.TrackNo, t.Disc, t.Year, fi.Size(), fi.ModTime().UnixNano()})
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(entries); err != nil {
		return 0, 0, err
	}
	return int64(b.Len()), len(lib.Skipped), os.WriteFile(path, b.Bytes(), 0o644)
}

// loadGobCache loads a file that writeGobCache wrote into a map by path, as
// OpenCache does with its own, and returns how many entries it holds.
func loadGobCache(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var entries []gobEntry
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&entries); err != nil {
		return 0, err
	}
	byPath := make(map[string]*gobEntry, len(entries))
	for i := range entries {
		byPath[entries[i].Path] = &entries[i]
	}
	return len(byPath), nil
}
