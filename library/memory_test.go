package library

import (
	"bytes"
	"log/slog"
	"runtime"
	"strconv"
	"testing"
)

// syntheticTracks calls add with n tracks as the scan's workers make them:
// every string freshly allocated, as a tag reader decodes it. A library of
// 1,000,000 tracks holds 25,000 artists of 3 or 4 albums of 11 tracks, and
// 20 genres.
func syntheticTracks(n int, add func(Track)) {
	genres := []string{"Rock", "Pop", "Jazz", "Electronic", "Hip-Hop", "Classical", "Folk", "Metal",
		"Ambient", "Soul", "Blues", "Country", "Reggae", "Punk", "Techno", "Soundtrack", "Alternative",
		"Dance", "Funk", "Hard Rock"}
	for i := range n {
		artist, album, no := i/40, i/11, 1+i%11
		t := Track{
			Artist:  "Artist number " + strconv.Itoa(artist),
			Album:   "An album called " + strconv.Itoa(album),
			Title:   "A song with a title of some length " + strconv.Itoa(i),
			Genre:   string(append([]byte(nil), genres[album%len(genres)]...)),
			TrackNo: no,
			Year:    1960 + album%60,
		}
		t.Path = t.Artist + "/" + t.Album + "/" + strconv.Itoa(no) + " " + t.Title + ".mp3"
		add(t)
	}
}

// BenchmarkTrackMemory measures the heap that a library of 1,000,000
// tracks keeps (runtime.MemStats.HeapInuse after a GC, less before), and
// reports it per track beyond the bytes of the strings themselves (each path
// and title, and each distinct artist, album and genre once). The tracks go
// through collect, the last stage of Scan, in batches of 64 as workers send
// them, so that they are shared and stored as a scan stores them. The
// "library+cache" case is what a restart with Options.Cache keeps: the
// Cache as OpenCache loads it, and the tracks taken from it.
//
//	go test -run '^$' -bench TrackMemory -benchtime 1x ./library/
func BenchmarkTrackMemory(b *testing.B) {
	const n = 1_000_000
	b.Run("library", func(b *testing.B) {
		for b.Loop() {
			perTrack, strBytes := heapPerTrack(n, func() any {
				results := make(chan resultBatch, 4)
				go func() {
					defer close(results)
					batch := resultBatch{}
					syntheticTracks(n, func(t Track) {
						batch.results = append(batch.results, result{track: t})
						if len(batch.results) == maxBatch {
							results <- batch
							batch = resultBatch{seq: batch.seq + 1}
						}
					})
					results <- batch
				}()
				lib, _ := collect(b.Context(), results, nil, slog.New(slog.DiscardHandler), nil)
				return lib
			})
			b.ReportMetric(perTrack, "B/track")
			b.ReportMetric(strBytes, "strB/track")
		}
	})
	b.Run("library+cache", func(b *testing.B) {
		for b.Loop() {
			perTrack, strBytes := heapPerTrack(n, func() any {
				entries := make(map[string]*cacheEntry, n)
				var in interner
				syntheticTracks(n, func(t Track) {
					in.track(&t)
					// A file's size and time as a file system gives them:
					// their varints take as many bytes as a real cache's.
					st := stamp{size: 5<<20 + int64(len(t.Path)), mtime: 1_700_000_000_000_000_000 + int64(len(t.Title))}
					entries[t.Path] = &cacheEntry{stamp: st, track: t}
				})
				// A copy of its own size, as OpenCache reads the file.
				data := bytes.Clone(encodeCache(newCacheView(entries)))
				entries, in = nil, interner{}
				cache := NewCache("")
				v, err := decodeCache(data)
				if err != nil {
					b.Fatal(err)
				}
				cache.v = v
				results := make(chan resultBatch, 4)
				go func() {
					defer close(results)
					batch := resultBatch{}
					for _, e := range v.entries() {
						batch.results = append(batch.results, e.result())
						if len(batch.results) == maxBatch {
							results <- batch
							batch = resultBatch{seq: batch.seq + 1}
						}
					}
					results <- batch
				}()
				lib, seen := collect(b.Context(), results, nil, slog.New(slog.DiscardHandler), v)
				cache.update(v, seen, true)
				return []any{lib, cache}
			})
			b.ReportMetric(perTrack, "B/track")
			b.ReportMetric(strBytes, "strB/track")
		}
	})
}

// heapPerTrack returns the heap in use that what build returns keeps, per
// track and beyond the strings' own bytes, and those bytes per track.
func heapPerTrack(n int, build func() any) (perTrack, strBytes float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := build()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)

	own := 0
	syntheticTracks(n, func(t Track) { own += len(t.Path) + len(t.Title) })
	distinct := make(map[string]bool)
	syntheticTracks(n, func(t Track) {
		for _, s := range [...]string{t.Artist, t.Album, t.Genre} {
			if !distinct[s] {
				distinct[s] = true
				own += len(s)
			}
		}
	})
	runtime.KeepAlive(kept)
	delta := float64(int64(after.HeapInuse) - int64(before.HeapInuse))
	return (delta - float64(own)) / float64(n), float64(own) / float64(n)
}
