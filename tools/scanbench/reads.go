//go:build linux

package main

import (
	"context"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/trackfeed/trackfeed/library"
)

// readCount is what a scan read of the library's files: calls to Read
// and ReadAt, and the bytes they returned.
type readCount struct {
	calls, bytes atomic.Int64
}

// countReads scans root once with opts through a file system that counts
// the reads of the files it opens; folder listings and stats are not
// counted. Unlike a time, the count is the same on any machine.
func countReads(ctx context.Context, root string, opts library.Options) (files int, calls, bytes int64, err error) {
	var c readCount
	files, err = scanFS(ctx, countingFS{os.DirFS(root).(dirFS), &c}, opts)
	return files, c.calls.Load(), c.bytes.Load(), err
}

// dirFS is what os.DirFS gives: a file system that also lists and stats.
type dirFS interface {
	fs.ReadDirFS
	fs.StatFS
}

// countingFS is a dirFS whose files count their reads in c.
type countingFS struct {
	dirFS
	c *readCount
}

func (f countingFS) Open(name string) (fs.File, error) {
	file, err := f.dirFS.Open(name)
	if err != nil {
		return nil, err
	}
	return &countingFile{file.(*os.File), f.c}, nil
}

// countingFile counts the reads of an *os.File; it has ReadAt, as the
// tag reader prefers, and Stat, as the scan needs.
type countingFile struct {
	*os.File
	c *readCount
}

func (f *countingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.c.calls.Add(1)
	f.c.bytes.Add(int64(n))
	return n, err
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.c.calls.Add(1)
	f.c.bytes.Add(int64(n))
	return n, err
}

var _ io.ReaderAt = (*countingFile)(nil)
