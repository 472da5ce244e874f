//go:build !linux

package worker

import (
	"io/fs"
	"os"
	"slices"
	"strings"
)

// readDir reads the entries of the open folder f.
func readDir(f *os.File, _ func(string) (fs.FileInfo, error)) ([]fs.DirEntry, error) {
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}
