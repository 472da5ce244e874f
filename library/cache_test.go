package library

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// countFS counts the audio files it opens.
type countFS struct {
	fs.FS
	opens *atomic.Int64
}

func (c countFS) Open(name string) (fs.File, error) {
	if isAudio(name) {
		c.opens.Add(1)
	}
	return c.FS.Open(name)
}

func (c countFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(c.FS, name) }

// cacheLibrary is a small library with tracks and files that are skipped
// for what they hold, each kind of which the cache remembers.
func cacheLibrary() fstest.MapFS {
	mtime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	fsys := fstest.MapFS{}
	for name, data := range taggedFiles {
		fsys[name] = &fstest.MapFile{Data: data, ModTime: mtime}
	}
	for _, name := range []string{"empty.mp3", "short-header.mp3", "01.mp3", "flac-truncated.flac"} {
		fsys["Broken/"+name] = &fstest.MapFile{Data: brokenFiles[name].data, ModTime: mtime}
	}
	return fsys
}

// scanWith scans fsys with cache, counting the files opened.
func scanWith(t *testing.T, fsys fs.FS, cache *Cache) (*Library, int64) {
	t.Helper()
	var opens atomic.Int64
	lib, err := Scan(testCtx(t), countFS{fsys, &opens}, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	return lib, opens.Load()
}

// sameLibrary compares two scans, skip errors by their text.
func sameLibrary(t *testing.T, got, want *Library) {
	t.Helper()
	checkTracks(t, got.Tracks, want.Tracks)
	if len(got.Skipped) != len(want.Skipped) {
		t.Fatalf("Skipped = %v, want %v", got.Skipped, want.Skipped)
	}
	for i, s := range got.Skipped {
		w := want.Skipped[i]
		if s.Path != w.Path || s.Reason != w.Reason || fmt.Sprint(s.Err) != fmt.Sprint(w.Err) {
			t.Errorf("Skipped[%d] = %v, want %v", i, s, w)
		}
	}
}

func TestCacheHit(t *testing.T) {
	fsys := cacheLibrary()
	want, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scan.cache")
	cache, err := OpenCache(path)
	if err != nil || cache.Len() != 0 {
		t.Fatalf("OpenCache of a missing file = %d entries, %v; want an empty cache, no error", cache.Len(), err)
	}
	first, opens := scanWith(t, fsys, cache)
	sameLibrary(t, first, want)
	if n := int64(len(want.Tracks) + len(want.Skipped)); opens != n {
		t.Errorf("first scan opened %d files, want %d", opens, n)
	}
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}

	again, err := OpenCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() != cache.Len() {
		t.Errorf("reloaded cache has %d entries, want %d", again.Len(), cache.Len())
	}
	second, opens := scanWith(t, fsys, again)
	sameLibrary(t, second, want)
	if opens != 0 {
		t.Errorf("a scan of an unchanged library with its cache opened %d files, want 0", opens)
	}
	for _, s := range second.Skipped {
		if s.Reason != ReasonEmpty && s.Err == nil {
			t.Errorf("cached skip %v lost its error", s)
		}
	}
	// Strings from the cache are shared as a scan shares them.
	a, b := findTrack(second, "Various/Mix/01 Whatever.mp3"), findTrack(second, "Mixed/05 Half.mp3")
	if a.Genre != "Rock" || b.Genre != "" {
		t.Fatalf("unexpected genres %q, %q", a.Genre, b.Genre)
	}
}

func findTrack(lib *Library, p string) Track {
	for _, tr := range lib.Tracks {
		if tr.Path == p {
			return tr
		}
	}
	return Track{}
}

func TestCacheSharesStrings(t *testing.T) {
	mtime := time.Now().Add(-time.Hour)
	fsys := fstest.MapFS{}
	for i := range 4 {
		fsys[fmt.Sprintf("x/%02d.mp3", i+1)] = &fstest.MapFile{ModTime: mtime, Data: cat(librarytest.Tag(3,
			"TPE1", "Same Artist", "TALB", "Same Album", "TIT2", fmt.Sprint("T", i)))}
	}
	path := filepath.Join(t.TempDir(), "c")
	cache := NewCache(path)
	scanWith(t, fsys, cache)
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	// One file changes: it is read again, and its artist must be the
	// string the cached tracks share.
	fsys["x/02.mp3"].ModTime = mtime.Add(time.Second)
	cache, err := OpenCache(path)
	if err != nil {
		t.Fatal(err)
	}
	lib, opens := scanWith(t, fsys, cache)
	if opens != 1 {
		t.Errorf("opened %d files, want 1", opens)
	}
	for _, tr := range lib.Tracks[1:] {
		if !sameString(tr.Artist, lib.Tracks[0].Artist) || !sameString(tr.Album, lib.Tracks[0].Album) {
			t.Errorf("%s: artist and album not shared with the other tracks", tr.Path)
		}
	}
}

func TestCacheChanges(t *testing.T) {
	fsys := cacheLibrary()
	cache := NewCache(filepath.Join(t.TempDir(), "scan.cache"))
	scanWith(t, fsys, cache)
	n := cache.Len()

	// Same size, new time; new size, same time; a new file; a file gone.
	touched := fsys["Björk/Homogenic/02 Jóga.mp3"]
	touched.ModTime = touched.ModTime.Add(time.Nanosecond)
	touched.Data = cat(librarytest.Tag(4, "TIT2", "Jóga (new tag)"), audio(len(touched.Data)-len(librarytest.Tag(4, "TIT2", "Jóga (new tag)"))))
	grown := fsys["Old/Latin1/03_Old_Song.mp3"]
	grown.Data = cat(audio(1), grown.Data)
	fsys["New/Album/01 New.mp3"] = &fstest.MapFile{Data: audio(100), ModTime: touched.ModTime}
	delete(fsys, "Motörhead/Ace of Spades/01 Ace of Spades.mp3")

	lib, opens := scanWith(t, fsys, cache)
	if opens != 3 {
		t.Errorf("opened %d files, want the 3 that changed or are new", opens)
	}
	if tr := findTrack(lib, "Björk/Homogenic/02 Jóga.mp3"); tr.Title != "Jóga (new tag)" {
		t.Errorf("changed file read as %+v", tr)
	}
	want, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameLibrary(t, lib, want)
	if cache.Len() != n {
		t.Errorf("cache holds %d files, want %d (one new, one gone)", cache.Len(), n)
	}
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	reloaded, err := OpenCache(cache.Path())
	if err != nil {
		t.Fatal(err)
	}
	if e := reloaded.view().lookup("Motörhead/Ace of Spades/01 Ace of Spades.mp3"); e != nil {
		t.Errorf("the deleted file is still in the saved cache")
	}
	if _, opens := scanWith(t, fsys, reloaded); opens != 0 {
		t.Errorf("third scan opened %d files, want 0", opens)
	}
}

// TestCacheRacyFiles: a file changed just before the scan is read again at
// the next, since a change within the same tick of the file system's clock
// would not show in its modification time.
func TestCacheRacyFiles(t *testing.T) {
	fsys := cacheLibrary()
	fresh := fsys["Various/Mix/01 Whatever.mp3"]
	fresh.ModTime = time.Now()
	cache := NewCache(filepath.Join(t.TempDir(), "scan.cache"))
	scanWith(t, fsys, cache)
	if _, opens := scanWith(t, fsys, cache); opens != 1 {
		t.Errorf("second scan opened %d files, want the one changed just before the first", opens)
	}
	fresh.ModTime = time.Now().Add(-racyWindow - time.Second)
	scanWith(t, fsys, cache)
	if _, opens := scanWith(t, fsys, cache); opens != 0 {
		t.Errorf("once the file is older, a scan opened %d files, want 0", opens)
	}
}

// TestCacheCancelledScan: a scan that stops early keeps what it read and
// drops nothing.
func TestCacheCancelledScan(t *testing.T) {
	fsys := cacheLibrary()
	cache := NewCache(filepath.Join(t.TempDir(), "scan.cache"))
	scanWith(t, fsys, cache)
	n := cache.Len()
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	if _, err := Scan(ctx, fsys, Options{Cache: cache}); err == nil {
		t.Fatal("cancelled scan succeeded")
	}
	if cache.Len() != n {
		t.Errorf("after a cancelled scan the cache holds %d files, want %d", cache.Len(), n)
	}
}

func TestOpenCacheIgnoresBadFiles(t *testing.T) {
	fsys := cacheLibrary()
	dir := t.TempDir()
	goodPath := filepath.Join(dir, "good.cache")
	good := NewCache(goodPath)
	scanWith(t, fsys, good)
	if err := good.Save(); err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(goodPath)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(valid)
	flipped[len(flipped)/2] ^= 0x40
	otherVersion := bytes.Clone(valid)
	otherVersion[len(cacheMagic)]++
	random := make([]byte, 5000)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}

	for _, tc := range []struct {
		name    string
		data    []byte // nil: make a folder in its place
		saveErr bool
	}{
		{"random bytes", random, false},
		{"truncated", valid[:len(valid)/2], false},
		{"empty", []byte{}, false},
		{"other magic", append([]byte("GIF89a.."), valid[8:]...), false},
		{"other version", otherVersion, false},
		{"flipped bit", flipped, false},
		{"a folder", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "scan.cache")
			if tc.data == nil {
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			cache, err := OpenCache(path)
			var w *CacheWarning
			if !errors.As(err, &w) || w.Path != path {
				t.Fatalf("OpenCache = %v, want a *CacheWarning for %s", err, path)
			}
			t.Log(err)
			if cache == nil || cache.Len() != 0 {
				t.Fatalf("OpenCache gave %v, want an empty cache", cache)
			}
			lib, opens := scanWith(t, fsys, cache)
			if len(lib.Tracks) != len(taggedTracks) || opens == 0 {
				t.Errorf("scan with an ignored cache: %d tracks, %d opens", len(lib.Tracks), opens)
			}
			err = cache.Save()
			if tc.saveErr {
				if err == nil || !strings.Contains(err.Error(), path) {
					t.Errorf("Save over a folder = %v, want an error that names %s", err, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rebuilt, err := OpenCache(path)
			if err != nil || rebuilt.Len() != good.Len() {
				t.Errorf("rebuilt cache: %d entries, %v; want %d, no error", rebuilt.Len(), err, good.Len())
			}
		})
	}
}

// TestDecodeCacheNeverPanics cuts and damages a valid file everywhere,
// with its checksum as it was and made right again, so that the damage
// reaches the decoder.
func TestDecodeCacheNeverPanics(t *testing.T) {
	cache := NewCache("")
	scanWith(t, cacheLibrary(), cache)
	valid := encodeCache(cache.view())
	if _, err := decodeCache(valid); err != nil {
		t.Fatal(err)
	}
	for i := range len(valid) {
		if _, err := decodeCache(valid[:i]); err == nil {
			t.Errorf("a file cut to %d of %d bytes decoded", i, len(valid))
		}
		damaged := bytes.Clone(valid)
		damaged[i] ^= 0xFF
		decodeCache(damaged) // must not panic; the checksum catches most
		if i < len(valid)-4 {
			checkDecodes(t, withChecksum(damaged[:len(damaged)-4]))
		}
	}
}

// withChecksum returns body with the checksum a cache file ends with.
func withChecksum(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, crcTable))
}

// checkDecodes decodes data, if it is a cache file, every way a cache
// does: its tracks and its entries by path must agree with its counts.
func checkDecodes(t *testing.T, data []byte) {
	t.Helper()
	v, err := decodeCache(data)
	if err != nil {
		return
	}
	tracks := (&Cache{v: v}).Tracks()
	entries := v.entries()
	n := 0
	for _, e := range entries {
		if e.skip == nil {
			n++
		}
	}
	if len(entries) != v.n || len(tracks) != n {
		t.Errorf("a file of %d entries decoded to %d entries, %d tracks of %d", v.n, len(entries), len(tracks), n)
	}
}

// FuzzDecodeCache feeds damaged cache files to the decoder, their checksum
// made right so that the damage reaches it. The seeds are made here, in
// the current format, so they never go stale.
func FuzzDecodeCache(f *testing.F) {
	entries := map[string]*cacheEntry{
		"a.mp3": {stamp: stamp{1, 2}, track: Track{Path: "a.mp3", Artist: "A", Title: "One", TrackNo: 1}},
		"b.mp3": {stamp: stamp{3, -4}, track: Track{Path: "b.mp3"}, skip: &cachedSkip{reason: ReasonEmpty, err: errors.New("empty")}},
	}
	for _, v := range []*cacheView{NewCache("").view(), newCacheView(entries), syntheticView(chunkEntries + 3)} {
		data := encodeCache(v)
		f.Add(data[:len(data)-4])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodes(t, withChecksum(body))
	})
}

// syntheticView returns a view of n synthetic tracks and a skipped file.
func syntheticView(n int) *cacheView {
	entries := make(map[string]*cacheEntry, n+1)
	syntheticTracks(n, func(t Track) {
		entries[t.Path] = &cacheEntry{stamp: stamp{size: int64(len(t.Path)), mtime: int64(t.TrackNo) << 40}, track: t}
	})
	entries["Broken/empty.mp3"] = &cacheEntry{track: Track{Path: "Broken/empty.mp3"},
		skip: &cachedSkip{reason: ReasonEmpty, err: errors.New("the file is empty")}}
	return newCacheView(entries)
}

// TestCacheFileRoundTrip writes a cache of several chunks and reads it
// back.
func TestCacheFileRoundTrip(t *testing.T) {
	want := syntheticView(2*chunkEntries + 100)
	got, err := decodeCache(encodeCache(want))
	if err != nil {
		t.Fatal(err)
	}
	if got.n != want.n || len(got.file.chunks) != 3 {
		t.Fatalf("decoded %d entries in %d chunks, want %d in 3", got.n, len(got.file.chunks), want.n)
	}
	tracks := (&Cache{v: got}).Tracks()
	if len(tracks) != want.n-1 || !slices.IsSortedFunc(tracks, func(a, b Track) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("Tracks gave %d tracks, in order %v; want %d in order", len(tracks),
			slices.IsSortedFunc(tracks, func(a, b Track) int { return strings.Compare(a.Path, b.Path) }), want.n-1)
	}
	for _, tr := range tracks {
		if w := want.byPath[tr.Path]; w == nil || w.track != tr {
			t.Fatalf("Tracks gave %+v, want %+v", tr, w)
		}
	}
	entries := got.entries()
	for p, w := range want.byPath {
		e := entries[p]
		switch {
		case e == nil:
			t.Fatalf("%s is missing", p)
		case e.stamp != w.stamp || e.track != w.track || (e.skip == nil) != (w.skip == nil):
			t.Fatalf("%s decoded to %+v, want %+v", p, e, w)
		case e.skip != nil && (e.skip.reason != w.skip.reason || e.skip.err.Error() != w.skip.err.Error()):
			t.Fatalf("%s decoded to %+v, want %+v", p, e.skip, w.skip)
		}
	}
}

// TestCacheTrackChunks: TrackChunks yields the cache's tracks, in order, a
// chunk at a time, from a cache read from a file and from one a scan made,
// and stops when the loop does.
func TestCacheTrackChunks(t *testing.T) {
	made := syntheticView(2*chunkEntries + 100)
	read, err := decodeCache(encodeCache(made))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]*cacheView{"read": read, "made": made} {
		t.Run(name, func(t *testing.T) {
			c := &Cache{v: v}
			var got []Track
			chunks := 0
			for chunk := range c.TrackChunks() {
				if len(chunk) == 0 || len(chunk) > chunkEntries {
					t.Errorf("chunk of %d tracks", len(chunk))
				}
				got = append(got, chunk...)
				chunks++
			}
			// What went in, by path: the file's order.
			byPath := func(a, b Track) int { return strings.Compare(a.Path, b.Path) }
			var want []Track
			for _, e := range made.byPath {
				if e.skip == nil {
					want = append(want, e.track)
				}
			}
			slices.SortFunc(want, byPath)
			if name == "made" { // from a map: in no particular order
				slices.SortFunc(got, byPath)
			}
			if chunks < 3 || !slices.Equal(got, want) {
				t.Errorf("%d chunks, %d tracks, the same as went in: %v; want 3 or more chunks, %d tracks",
					chunks, len(got), slices.Equal(got, want), len(want))
			}
			for range c.TrackChunks() {
				break // must not panic or go on
			}
		})
	}
}

func TestCacheSaveIsAtomic(t *testing.T) {
	fsys := cacheLibrary()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "scan.cache") // Save makes sub
	cache := NewCache(path)
	scanWith(t, fsys, cache)
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "scan.cache" {
		t.Errorf("folder holds %v, want scan.cache alone (no temporary file left)", entries)
	}
	old, _ := os.ReadFile(path)

	// Change the library so that the next Save has something to write.
	fsys["New/01 Added.mp3"] = &fstest.MapFile{Data: audio(100)}
	scanWith(t, fsys, cache)

	t.Run("full disk", func(t *testing.T) {
		cache.createTemp = func(dir, pattern string) (tempFile, error) {
			f, err := os.CreateTemp(dir, pattern)
			return fullDisk{f}, err
		}
		defer func() { cache.createTemp = nil }()
		err := cache.Save()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "unchanged") {
			t.Errorf("Save on a full disk = %v, want ENOSPC, saying the old cache is unchanged", err)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
			t.Errorf("the old cache file changed")
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
			t.Errorf("folder holds %v after a failed Save, want the old cache alone", entries)
		}
	})

	t.Run("read-only folder", func(t *testing.T) {
		if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(filepath.Dir(path), 0o755)
		if f, err := os.CreateTemp(filepath.Dir(path), "probe"); err == nil {
			f.Close()
			os.Remove(f.Name())
			t.Skip("this user (root?) writes to read-only folders; see the next case")
		}
		err := cache.Save()
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), filepath.Dir(path)) {
			t.Errorf("Save into a read-only folder = %v, want a permission error naming the folder", err)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
			t.Errorf("the old cache file changed")
		}
	})

	t.Run("folder is a file", func(t *testing.T) {
		blocker := filepath.Join(dir, "blocker")
		if err := os.WriteFile(blocker, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		c := NewCache(filepath.Join(blocker, "scan.cache"))
		scanWith(t, fsys, c)
		err := c.Save()
		if err == nil || !strings.Contains(err.Error(), blocker) {
			t.Errorf("Save under a file = %v, want an error naming %s", err, blocker)
		}
		t.Log(err)
	})

	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	reloaded, err := OpenCache(path)
	if err != nil || reloaded.Len() != cache.Len() {
		t.Errorf("after a good Save: %d entries, %v; want %d", reloaded.Len(), err, cache.Len())
	}
}

// fullDisk is a temporary file whose writes fail as on a full disk.
type fullDisk struct{ *os.File }

func (fullDisk) Write(p []byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: "cache", Err: syscall.ENOSPC}
}

func TestCacheSaveUnchangedWritesNothing(t *testing.T) {
	fsys := cacheLibrary()
	path := filepath.Join(t.TempDir(), "scan.cache")
	cache := NewCache(path)
	scanWith(t, fsys, cache)
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	cache, _ = OpenCache(path)
	before, _ := os.Stat(path)
	scanWith(t, fsys, cache)
	if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Dir(path), 0o755)
	if err := cache.Save(); err != nil {
		t.Errorf("Save with nothing changed = %v, want no write at all", err)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("Save rewrote an unchanged cache")
	}
}

// TestCacheConcurrent runs scans, saves and loads of one cache at once;
// run it with -race.
func TestCacheConcurrent(t *testing.T) {
	fsys := cacheLibrary()
	for i := range 50 {
		fsys[fmt.Sprintf("Many/%02d/%02d Song.mp3", i%5, i)] = &fstest.MapFile{Data: audio(200)}
	}
	want, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scan.cache")
	cache := NewCache(path)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			lib, err := Scan(testCtx(t), fsys, Options{Cache: cache, Workers: 1 + i%3})
			if err != nil {
				t.Error(err)
				return
			}
			if len(lib.Tracks) != len(want.Tracks) || len(lib.Skipped) != len(want.Skipped) {
				t.Errorf("concurrent scan: %v, want %v", lib.Summary(), want.Summary())
			}
		})
		wg.Go(func() {
			if err := cache.Save(); err != nil {
				t.Error(err)
			}
			if _, err := OpenCache(path); err != nil {
				t.Error(err)
			}
			_ = cache.Len()
		})
	}
	wg.Wait()
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	reloaded, err := OpenCache(path)
	if err != nil {
		t.Fatal(err)
	}
	lib, opens := scanWith(t, fsys, reloaded)
	sameLibrary(t, lib, want)
	if opens != 0 {
		t.Errorf("scan after concurrent use opened %d files, want 0", opens)
	}
}

func TestDefaultCachePath(t *testing.T) {
	a, err := DefaultCachePath("/tmp/xdg-cache", "/music")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DefaultCachePath("/tmp/xdg-cache", "/music/")
	c, _ := DefaultCachePath("/tmp/xdg-cache", "/other")
	if _, err := DefaultCachePath("", "/music"); err == nil {
		t.Error("DefaultCachePath with no cache folder: no error")
	}
	if a != b || a == c {
		t.Errorf("paths %q, %q, %q: want the first two equal, the third different", a, b, c)
	}
	if dir := filepath.Dir(a); dir != "/tmp/xdg-cache/trackfeed" || !strings.HasSuffix(a, ".cache") {
		t.Errorf("DefaultCachePath = %q, want /tmp/xdg-cache/trackfeed/<hash>.cache", a)
	}
}

func TestEncodeCacheIsDeterministic(t *testing.T) {
	fsys := cacheLibrary()
	a, b := NewCache(""), NewCache("")
	scanWith(t, fsys, a)
	scanWith(t, fsys, b)
	x, y := encodeCache(a.view()), encodeCache(b.view())
	if !bytes.Equal(x, y) {
		t.Errorf("two caches of one library encode differently")
	}
	v, err := decodeCache(x)
	if err != nil {
		t.Fatal(err)
	}
	paths := slices.Sorted(func(yield func(string) bool) {
		for p := range v.entries() {
			if !yield(p) {
				return
			}
		}
	})
	if len(paths) != a.Len() {
		t.Errorf("decoded %d entries, want %d", len(paths), a.Len())
	}
}

func ExampleOpenCache() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	fsys := fstest.MapFS{ // os.DirFS(root) in production
		"Daft Punk/Discovery/01 One More Time.mp3": {Data: audio(4000), ModTime: time.Date(2001, 3, 12, 0, 0, 0, 0, time.UTC)},
	}
	path := filepath.Join(dir, "scan.cache") // DefaultCachePath(root) in production

	for range 2 { // two runs of a program
		cache, err := OpenCache(path)
		var warning *CacheWarning
		switch {
		case errors.As(err, &warning):
			fmt.Println(warning) // log it: the scan reads every file, Save rebuilds the file
		case err != nil:
			fmt.Println(err)
			return
		}
		known := cache.Len()
		lib, err := Scan(context.Background(), fsys, Options{Cache: cache})
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := cache.Save(); err != nil {
			fmt.Println(err) // the old cache file is intact; the next run reads more files
		}
		fmt.Printf("%v; the cache knew %d files\n", lib.Summary(), known)
	}
	// Output:
	// 1 track, 1 artist, 1 album; 0 files skipped; the cache knew 0 files
	// 1 track, 1 artist, 1 album; 0 files skipped; the cache knew 1 files
}

func TestCacheTracks(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "music")
	writeFiles(t, root, map[string][]byte{
		"A/B/01 One.mp3":   cat(librarytest.Tag(3, "TPE1", "A", "TIT2", "One"), audio(100)),
		"A/B/02 Empty.mp3": nil,
	})
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	cache := NewCache(filepath.Join(dir, "scan.cache"))
	if _, err := Scan(context.Background(), os.DirFS(root), Options{Cache: cache}); err != nil {
		t.Fatal(err)
	}
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenCache(cache.Path())
	if err != nil {
		t.Fatal(err)
	}
	got := again.Tracks()
	if len(got) != 1 || got[0].Path != "A/B/01 One.mp3" || got[0].Artist != "A" || got[0].Title != "One" {
		t.Errorf("Tracks = %+v, want the one track (not the skipped file)", got)
	}
}
