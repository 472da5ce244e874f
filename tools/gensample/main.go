// Command gensample regenerates trackfeed's bundled sample library from the
// catalogue in library/librarytest:
//
//	go run ./tools/gensample sample-music
//
// It writes every catalogued file and image (cover art beside an album),
// removes .mp3 files that the catalogue no longer lists (and folders that
// this leaves empty), and leaves every other file, such as the folder's
// README.md, alone.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gensample:", err)
		os.Exit(1)
	}
}

// run regenerates the library in the folder named by args and reports what
// it did on stderr.
func run(args []string, stderr io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: gensample DIR (e.g. go run ./tools/gensample sample-music)")
	}
	dir := args[0]

	want := make(map[string]bool)
	for _, f := range librarytest.Files() {
		want[f.Path] = true
	}
	removed, err := removeStale(dir, want)
	if err != nil {
		return fmt.Errorf("remove stale files in %s: %w", dir, err)
	}
	if err := librarytest.Write(dir); err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	fmt.Fprintf(stderr, "gensample: wrote %d files to %s, removed %d stale\n", len(want), dir, removed)
	return nil
}

// removeStale removes the .mp3 files under dir whose slash-separated path
// is not in want, then the folders that are left empty, and returns how many
// files it removed. A missing dir has nothing stale.
func removeStale(dir string, want map[string]bool) (int, error) {
	var stale, dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if path != dir {
				dirs = append(dirs, path)
			}
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		// The catalogue's paths are NFC; a file system may hand them back
		// decomposed (macOS HFS+ does).
		if strings.EqualFold(filepath.Ext(path), ".mp3") && !want[norm.NFC.String(filepath.ToSlash(rel))] {
			stale = append(stale, path)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, path := range stale {
		if err := os.Remove(path); err != nil {
			return 0, err
		}
	}
	// Deepest first, so a parent is empty once its children are gone.
	slices.Reverse(dirs)
	for _, d := range dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			if err := os.Remove(d); err != nil {
				return 0, err
			}
		}
	}
	return len(stale), nil
}
