//go:build linux

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// readBound is the floor that library.Scan is measured against: it walks
// the tree as Scan does, and with the same number of workers reads the
// bytes that hold each file's tags, parsing nothing but the ID3v2 header's
// size. Each file is opened, stat'd (the size says where the ID3v1 tail
// is), read with one pread of its first 4 KiB (the header, and the whole
// tag if it fits), one more for the rest of a larger tag, one of its last
// 128 bytes unless the first read held them, and closed. A 4 KiB read
// costs no more than a 10-byte one, and saves a second read for most tags.
//
// Paths go to the workers in batches, so that channel hand-offs cost
// nothing worth measuring. It returns how many audio files it read.
func readBound(ctx context.Context, root string, workers int) (int, error) {
	return walkFiles(ctx, root, workers, func(p string, _ fs.DirEntry, buf *[]byte) error {
		return readTagBytes(root, p, buf)
	})
}

// statFloor is the floor of a restart with the scan cache: it walks the
// tree as Scan does and, with the given number of workers, stats every
// file through its walk entry (fs.DirEntry.Info), as a cache check does.
func statFloor(ctx context.Context, root string, workers int) (int, error) {
	return walkFiles(ctx, root, workers, func(_ string, d fs.DirEntry, _ *[]byte) error {
		_, err := d.Info()
		return err
	})
}

// walkFiles walks root with fs.WalkDir over os.DirFS, as library.Scan does,
// and calls visit for every audio file on one of workers goroutines, each
// with a buffer of its own. It returns how many files it visited.
func walkFiles(ctx context.Context, root string, workers int, visit func(p string, d fs.DirEntry, buf *[]byte) error) (int, error) {
	const batchSize = 64
	type file struct {
		path  string
		entry fs.DirEntry
	}
	batches := make(chan []file, 2*workers)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		files   int
		readErr error
	)
	for range workers {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			n := 0
			var err error
			for batch := range batches {
				for _, f := range batch {
					if err == nil {
						err = visit(f.path, f.entry, &buf)
					}
					n++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			files += n
			readErr = cmpOrErr(readErr, err)
		})
	}
	var batch []file
	walkErr := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !audioExt(p) {
			return nil
		}
		batch = append(batch, file{p, d})
		if len(batch) == batchSize {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]file, 0, batchSize)
		}
		return nil
	})
	if len(batch) > 0 && walkErr == nil {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	return files, cmpOrErr(walkErr, readErr)
}

func cmpOrErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// readTagBytes reads the tag bytes of the file at root/p into *buf,
// growing it for a tag larger than it holds.
func readTagBytes(root, p string, buf *[]byte) error {
	f, err := os.Open(root + "/" + p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	have, err := f.ReadAt((*buf)[:min(size, 4<<10)], 0)
	if err != nil && have < int(min(size, 4<<10)) {
		return err
	}
	end := int64(have)
	if bytes.HasPrefix((*buf)[:have], []byte("ID3")) && have >= 10 {
		h := (*buf)[:10]
		tagEnd := min(size, 10+int64(h[6]&0x7F)<<21|int64(h[7]&0x7F)<<14|int64(h[8]&0x7F)<<7|int64(h[9]&0x7F))
		if tagEnd > int64(len(*buf)) {
			*buf = make([]byte, tagEnd)
		}
		if tagEnd > end {
			if _, err := f.ReadAt((*buf)[end:tagEnd], end); err != nil {
				return err
			}
			end = tagEnd
		}
	}
	if size-128 >= end {
		// The ID3v1 tail, unless the first read held it.
		var tail [128]byte
		if _, err := f.ReadAt(tail[:], size-128); err != nil {
			return err
		}
	}
	return nil
}

// audioExt reports whether p has the extension of a format library.Scan
// reads (the bound reads every file the scan reads).
func audioExt(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".mp3", ".flac", ".m4a", ".m4b", ".m4p", ".ogg", ".oga", ".opus", ".dsf", ".wav", ".aif", ".aiff":
		return true
	}
	return false
}
