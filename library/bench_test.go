package library

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// writeLibrary writes artists × albums × tracks tagged MP3s under root.
func writeLibrary(tb testing.TB, root string, artists, albums, tracks int) int {
	tb.Helper()
	n := 0
	for a := range artists {
		for al := range albums {
			dir := filepath.Join(root, fmt.Sprintf("Artist %03d", a), fmt.Sprintf("Album %02d", al))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				tb.Fatal(err)
			}
			for tr := range tracks {
				data := cat(librarytest.Tag(3,
					"TPE1", fmt.Sprintf("Artist %03d", a), "TALB", fmt.Sprintf("Album %02d", al),
					"TIT2", fmt.Sprintf("Song number %d of album %d", tr+1, al),
					"TRCK", fmt.Sprint(tr+1), "TYER", "2001", "TCON", "Rock",
				), audio(2048), id3v1("", "", "", "", byte(tr+1), 17))
				name := filepath.Join(dir, fmt.Sprintf("%02d Song.mp3", tr+1))
				if err := os.WriteFile(name, data, 0o644); err != nil {
					tb.Fatal(err)
				}
				n++
			}
		}
	}
	return n
}

// BenchmarkScan scans 2,000 tagged MP3s from disk (page cache) and reports
// the time per track and the heap the result keeps per track, less the
// bytes of each track's own Path and Title.
func BenchmarkScan(b *testing.B) {
	root := b.TempDir()
	n := writeLibrary(b, root, 20, 10, 10)
	fsys := os.DirFS(root)
	var lib *Library
	for b.Loop() {
		var err error
		if lib, err = Scan(b.Context(), fsys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	if len(lib.Tracks) != n {
		b.Fatalf("got %d tracks, want %d", len(lib.Tracks), n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/track")

	var before, after runtime.MemStats
	lib = nil
	runtime.GC()
	runtime.ReadMemStats(&before)
	lib, _ = Scan(b.Context(), fsys, Options{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	own := 0
	for _, t := range lib.Tracks {
		own += len(t.Path) + len(t.Title)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-int64(own))/float64(n), "heapB/track")
	runtime.KeepAlive(lib)
}

// BenchmarkOpenCache loads a cache file of 20,000 tracks and takes its
// tracks, as trackfeed publish does on a restart before it plays.
func BenchmarkOpenCache(b *testing.B) {
	const n = 20_000
	entries := make(map[string]*cacheEntry, n)
	var in interner
	syntheticTracks(n, func(t Track) {
		in.track(&t)
		entries[t.Path] = &cacheEntry{stamp: stamp{size: 4 << 20, mtime: 1e18}, track: t}
	})
	path := filepath.Join(b.TempDir(), "scan.cache")
	if err := os.WriteFile(path, encodeCache(newCacheView(entries)), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		// From a collected heap, as a program's first load is.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		cache, err := OpenCache(path)
		if err != nil {
			b.Fatal(err)
		}
		if len(cache.Tracks()) != n {
			b.Fatal("tracks missing")
		}
	}
}
