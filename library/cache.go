package library

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Cache remembers what a scan read from each file, keyed by the file's path,
// size and modification time, so that the next scan of the same library
// opens only the files that changed. Pass it in Options.Cache; Save writes
// it to disk and OpenCache reads it back.
//
// A cache belongs to one library root. After a scan that ran to the end, it
// holds exactly the files that scan found: entries for files that are gone
// are dropped, and Save writes what is left. A scan that was cancelled adds
// what it read and drops nothing.
//
// A Cache is safe for concurrent use: a Save may run during a Scan, and two
// scans may share a cache, the last to end deciding what it holds.
type Cache struct {
	path   string
	saveMu sync.Mutex // one Save at a time

	// createTemp makes Save's temporary file; nil means os.CreateTemp.
	// Tests set it to fail where a disk would.
	createTemp func(dir, pattern string) (tempFile, error)

	mu    sync.Mutex
	v     *cacheView
	dirty bool // v differs from the file at path
}

// cacheView is one state of a cache. It is never changed once a Cache
// holds it, so scans read it without locking; an update makes a new one.
type cacheView struct {
	n int // entries
	// byPath holds the entries by path. A view read from a file decodes
	// them when first needed (the first lookup of a scan), not as it loads.
	byPathOnce sync.Once
	byPath     map[string]*cacheEntry
	// file is the checked file the view was read from, if it was: its
	// entries are decoded from it when needed.
	file *cacheFile
	// shared lists the artist, album artist, album and genre strings that
	// the entries share, to seed a scan's interner; nil until needed.
	sharedOnce sync.Once
	shared     []string
}

// newCacheView returns a view of the entries, which it keeps.
func newCacheView(entries map[string]*cacheEntry) *cacheView {
	return &cacheView{n: len(entries), byPath: entries}
}

// entries returns the view's entries by path.
func (v *cacheView) entries() map[string]*cacheEntry {
	v.byPathOnce.Do(func() {
		if v.byPath == nil {
			v.byPath = v.file.entries(v.n)
		}
	})
	return v.byPath
}

// stamp is what tells a changed file from an unchanged one.
type stamp struct {
	size  int64
	mtime int64 // nanoseconds since 1970
}

func stampOf(fi fs.FileInfo) stamp {
	return stamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// cacheEntry is what a cache remembers of one file: the track it holds, or
// why it was skipped. track.Path is the file's path either way.
type cacheEntry struct {
	stamp stamp
	track Track
	skip  *cachedSkip // nil for a track; a pointer, as skips are rare
}

// cachedSkip is why a file was skipped.
type cachedSkip struct {
	reason Reason
	err    error
}

// newCacheEntry returns what a cache should remember of a file read into
// res, or nil if it should not remember it.
func newCacheEntry(res result, st stamp) *cacheEntry {
	if !res.skipped {
		return &cacheEntry{stamp: st, track: res.track}
	}
	switch res.skip.Reason {
	case ReasonEmpty, ReasonCorrupt, ReasonNoTitle, ReasonPanic:
		// What the file holds decides these; another read would find the
		// same until the file changes.
		return &cacheEntry{stamp: st, track: Track{Path: res.skip.Path},
			skip: &cachedSkip{reason: res.skip.Reason, err: res.skip.Err}}
	}
	return nil
}

// result returns the entry as a scan result.
func (e *cacheEntry) result() result {
	if e.skip != nil {
		return result{skip: Skip{Path: e.track.Path, Reason: e.skip.reason, Err: e.skip.err}, skipped: true,
			entry: e, cached: true}
	}
	return result{track: e.track, entry: e, cached: true}
}

func (v *cacheView) lookup(p string) *cacheEntry { return v.entries()[p] }

// Tracks returns the tracks the cache remembers, as the last scan left
// them, in no particular order: a publisher can play them at once while a
// scan with this cache checks them against the files. For a cache read by
// OpenCache, their strings keep the whole cache file in memory (see
// OpenCache).
func (c *Cache) Tracks() []Track {
	v := c.view()
	tracks := make([]Track, 0, v.n)
	for chunk := range c.TrackChunks() {
		tracks = append(tracks, chunk...)
	}
	return tracks
}

// TrackChunks yields the tracks of Tracks a chunk of about a thousand at a
// time. From a cache read from a file, the first chunk comes as soon as it
// is decoded and the others are decoded in parallel meanwhile: a publisher
// puts the first on the air at once, whatever the size of the cache. Their
// strings keep the whole cache file in memory, as those of Tracks do.
func (c *Cache) TrackChunks() iter.Seq[[]Track] {
	v := c.view()
	if v.file != nil {
		return v.file.trackChunks
	}
	var tracks []Track
	for _, e := range v.byPath {
		if e.skip == nil {
			tracks = append(tracks, e.track)
		}
	}
	return slices.Chunk(tracks, chunkEntries)
}

// sharedStrings returns the distinct artist, album artist, album and genre
// strings of the entries.
func (v *cacheView) sharedStrings() []string {
	v.sharedOnce.Do(func() {
		if v.shared != nil {
			return
		}
		set := make(map[string]struct{})
		for _, e := range v.entries() {
			for _, s := range [...]string{e.track.Artist, e.track.AlbumArtist, e.track.Album, e.track.Genre} {
				if s != "" {
					set[s] = struct{}{}
				}
			}
		}
		v.shared = make([]string, 0, len(set))
		for s := range set {
			v.shared = append(v.shared, s)
		}
	})
	return v.shared
}

// NewCache returns an empty cache that Save writes to path.
func NewCache(path string) *Cache {
	return &Cache{path: path, v: newCacheView(map[string]*cacheEntry{})}
}

// CacheWarning is the error OpenCache returns when it cannot use the file
// at Path: it is missing something, damaged, of another version, or not a
// cache at all. The cache returned with it is empty and ready to use, the
// scan reads every file again, and Save replaces the file. Log it and go on.
type CacheWarning struct {
	Path string
	Err  error
}

func (w *CacheWarning) Error() string {
	return fmt.Sprintf("library: ignoring scan cache %s (every file will be read again): %v", w.Path, w.Err)
}

func (w *CacheWarning) Unwrap() error { return w.Err }

// OpenCache reads the cache at path, which Save will write back. A missing
// file gives an empty cache and no error. A file that cannot be used gives
// an empty cache and a *CacheWarning; OpenCache returns no other error, so
// a broken cache never stops a scan.
//
// The file is read into memory in one piece, and the strings of the tracks
// that come from it (their paths, titles, artists, albums and genres, from
// Tracks, TrackChunks, or a Scan that finds a file unchanged) point into
// that piece rather than being copied out of it, which would cost the
// memory of the file again and a load's time. The other side of it is that
// the whole file, about 100 bytes a track, stays in memory for as long as
// any one of those strings is reachable, even after the Cache is gone.
// A program that keeps a few such tracks long after dropping the cache
// and its scan's Library should strings.Clone what it keeps.
func OpenCache(path string) (*Cache, error) {
	c := NewCache(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err == nil {
		var v *cacheView
		if v, err = decodeCache(data); err == nil {
			c.v = v
			return c, nil
		}
	}
	c.dirty = true // replace the bad file at the next Save
	return c, &CacheWarning{Path: path, Err: err}
}

// DefaultCachePath returns where the cache of the library at root lives by
// default: trackfeed/<hash of root's absolute path>.cache in userCacheDir,
// the user's cache folder (os.UserCacheDir, or $XDG_CACHE_HOME, or
// ~/.cache: the caller decides, so that tests need not touch the real one).
func DefaultCachePath(userCacheDir, root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("library: cache path for %s: %w", root, err)
	}
	if userCacheDir == "" {
		return "", fmt.Errorf("library: cache path for %s: no cache folder", root)
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(userCacheDir, "trackfeed", hex.EncodeToString(sum[:8])+".cache"), nil
}

// Path returns the file that Save writes.
func (c *Cache) Path() string { return c.path }

// Len returns how many files the cache knows.
func (c *Cache) Len() int { return c.view().n }

func (c *Cache) view() *cacheView {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v
}

// update records what a scan that started from view found: seen holds an
// entry for every file it read or took from the cache. After a complete
// scan the cache holds exactly seen; otherwise seen is added to it.
func (c *Cache) update(from *cacheView, seen []*cacheEntry, complete bool) {
	if c == nil {
		return
	}
	unchanged := 0
	known := from.entries()
	for _, e := range seen {
		if known[e.track.Path] == e {
			unchanged++
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v == from && unchanged == len(seen) && (!complete || unchanged == from.n) {
		return // nothing new, nothing gone
	}
	var entries map[string]*cacheEntry
	if complete {
		entries = make(map[string]*cacheEntry, len(seen))
	} else {
		entries = make(map[string]*cacheEntry, c.v.n+len(seen))
		for p, e := range c.v.entries() {
			entries[p] = e
		}
	}
	for _, e := range seen {
		entries[e.track.Path] = e
	}
	c.v = newCacheView(entries)
	c.dirty = true
}

// Save writes the cache to its file, if it changed since it was read or
// last saved. It writes a temporary file in the same folder, syncs it to
// disk and renames it over the old one, so that a crash or a full disk
// leaves the old cache whole; the folder is made if it is missing.
func (c *Cache) Save() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	c.mu.Lock()
	v, dirty := c.v, c.dirty
	c.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := writeAtomic(c.path, encodeCache(v), c.createTemp); err != nil {
		return fmt.Errorf("library: save scan cache %s: %w (the previous cache file, if any, is unchanged)", c.path, err)
	}
	c.mu.Lock()
	if c.v == v {
		c.dirty = false
	}
	c.mu.Unlock()
	return nil
}

// tempFile is the part of *os.File that writeAtomic uses; a test's
// Cache.createTemp returns one that fails where a disk would.
type tempFile interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
	Name() string
}

// writeAtomic replaces the file at path with data, or leaves it as it was.
// It makes the temporary file with createTemp, or os.CreateTemp if nil.
func writeAtomic(path string, data []byte, createTemp func(dir, pattern string) (tempFile, error)) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if createTemp == nil {
		createTemp = func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
	}
	f, err := createTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable. Some file systems cannot sync a
	// folder; the data is safe either way, so that error is not reported.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
