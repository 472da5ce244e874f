package library

import (
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/library/tags"
)

// Stamp is what tells a changed file from an unchanged one: its size and
// modification time.
type Stamp struct {
	Size    int64
	ModTime int64 // nanoseconds since 1970
}

// FileResult is what FileReader.Read found in one file: a track, a skip,
// or that the file is unchanged since the stamp the caller knew.
type FileResult struct {
	Track     Track // when Skip is nil and Unchanged is false
	Skip      *Skip
	Unchanged bool
	// Stamp is the file's size and modification time as the reader found
	// them; zero when the file could not be stat'd.
	Stamp Stamp
	// Settled says that a scan cache may remember the result: the file was
	// read, the result depends on nothing but its bytes, and it last changed
	// long enough ago that a change at the same size would show in its
	// modification time.
	Settled bool
}

// FileReader reads one file after another as Scan's workers do, for a
// caller that reads files where they are and sends the results elsewhere
// (a worker of the task system). It is not safe for concurrent use; each
// goroutine has its own. The zero value is ready to use.
type FileReader struct {
	r tags.Reader
}

// Read reads the audio file at p in fsys; link says that ListDir found a
// symbolic link there. If known is not nil and the file has that size and
// modification time, it is not opened and the result is Unchanged.
func (fr *FileReader) Read(fsys fs.FS, p string, link bool, known *Stamp) FileResult {
	if known != nil {
		fi, err := fs.Stat(fsys, p)
		if err == nil && fi.Mode().IsRegular() && stampOf(fi) == (stamp{known.Size, known.ModTime}) {
			return FileResult{Unchanged: true, Stamp: *known}
		}
	}
	res, st, ok := readTrack(fsys, job{path: p, symlink: link}, &fr.r)
	out := FileResult{Track: res.track, Stamp: Stamp{st.size, st.mtime}}
	if res.skipped {
		out.Track = Track{}
		out.Skip = &res.skip
	}
	out.Settled = ok && st.mtime < time.Now().Add(-racyWindow).UnixNano() && newCacheEntry(res, st) != nil
	return out
}

// Assembly builds a Library from folders listed and files read elsewhere,
// as Scan builds one from its walk: the client of a remote scan adds what
// the workers found, in any order, and takes a Library identical to a
// local scan's. It uses the Cache, OnTrack and Logger of its Options (not
// Workers). It is not safe for concurrent use.
type Assembly struct {
	onTrack func(Track)
	log     *slog.Logger
	cache   *Cache
	known   *cacheView
	in      interner
	seen    []*cacheEntry
	lib     Library
}

// NewAssembly starts an assembly with opts.
func NewAssembly(opts Options) *Assembly {
	a := &Assembly{onTrack: opts.OnTrack, log: opts.Logger, cache: opts.Cache}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.cache != nil {
		a.known = a.cache.view()
		a.in.seed(a.known.sharedStrings())
	}
	return a
}

// Known returns the stamp the cache holds for the file at p, for the
// worker to answer Unchanged if the file still has it.
func (a *Assembly) Known(p string) (Stamp, bool) {
	if a.known == nil {
		return Stamp{}, false
	}
	e := a.known.lookup(p)
	if e == nil {
		return Stamp{}, false
	}
	return Stamp{e.stamp.size, e.stamp.mtime}, true
}

// errNotCached is the Skip.Err of a file answered Unchanged that the cache
// does not hold.
var errNotCached = errors.New("answered unchanged, but the scan cache does not hold it")

// AddSkip records an entry that a listing left out.
func (a *Assembly) AddSkip(s Skip) {
	a.lib.Skipped = append(a.lib.Skipped, s)
	a.log.Debug("skip", "path", s.Path, "reason", string(s.Reason), "err", s.Err)
}

// Add records what was read of the file at p.
func (a *Assembly) Add(p string, fr FileResult) {
	var res result
	switch {
	case fr.Unchanged:
		var e *cacheEntry
		if a.known != nil {
			e = a.known.lookup(p)
		}
		if e == nil {
			a.AddSkip(Skip{Path: p, Reason: ReasonUnreadable, Err: errNotCached})
			return
		}
		res = e.result()
	case fr.Skip != nil:
		res = skipped(p, fr.Skip.Reason, fr.Skip.Err)
	default:
		res = result{track: fr.Track}
		res.track.Path = p
		a.in.track(&res.track)
	}
	if a.known != nil {
		if res.entry == nil && fr.Settled {
			res.entry = newCacheEntry(res, stamp{fr.Stamp.Size, fr.Stamp.ModTime})
		}
		if res.entry != nil {
			a.seen = append(a.seen, res.entry)
		}
	}
	if res.skipped {
		a.AddSkip(res.skip)
		return
	}
	a.lib.Tracks = append(a.lib.Tracks, res.track)
	if a.onTrack != nil {
		a.onTrack(res.track)
	}
}

// Library returns the library assembled, sorted as Scan sorts it. With
// complete, every file of the library was added, and the cache is left
// holding exactly those; otherwise it only gains what was read.
func (a *Assembly) Library(complete bool) *Library {
	a.cache.update(a.known, a.seen, complete)
	slices.SortFunc(a.lib.Tracks, func(x, y Track) int { return strings.Compare(x.Path, y.Path) })
	slices.SortFunc(a.lib.Skipped, func(x, y Skip) int { return strings.Compare(x.Path, y.Path) })
	return &a.lib
}
