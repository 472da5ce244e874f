package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/library/tags"
)

// Options tune a scan. The zero value is ready to use.
type Options struct {
	// Workers is how many files are read at once; 0 or less means
	// runtime.GOMAXPROCS(0).
	Workers int

	// Logger receives each skipped file at Debug level, with its path,
	// reason and error. Nil discards.
	Logger *slog.Logger

	// OnTrack, if set, is called with each track as soon as it has been
	// read, in no particular order, so that a consumer can start before the
	// scan ends. Calls come one at a time from the goroutine that called
	// Scan; a slow OnTrack slows the scan down. The tracks are the same
	// values that end up in Library.Tracks.
	OnTrack func(Track)

	// Cache, if set, remembers every file's tags by path, size and
	// modification time: a file that the cache holds and that has not
	// changed is not opened. The scan updates the cache; Cache.Save
	// writes it. A cache belongs to one library root. A file modified less
	// than two seconds before the scan began is read but not remembered,
	// as a second change within one tick of the file system's clock would
	// not show in its modification time. The tracks of unchanged files
	// come from the cache, and with a cache read by OpenCache their
	// strings keep the whole cache file in memory (see OpenCache).
	Cache *Cache

	// SkipCovers leaves Track.Cover empty: the scan does not locate the
	// pictures in the files, nor look for cover images in the folders,
	// which costs it a little (BENCHMARKS.md, "Cover art").
	SkipCovers bool
}

// errNoTitle is the Skip.Err of ReasonNoTitle.
var errNoTitle = errors.New("neither the tags nor the file name give a title")

// Scan walks fsys from its root and returns the audio files it holds as
// tracks. In production fsys is os.DirFS(root).
//
// Files are picked by extension, in any case: .mp3, .flac, .m4a, .m4b, .m4p,
// .ogg, .oga, .opus, .dsf, .wav, .aif and .aiff. Names that start with a dot, and folders so
// named, are left out. Symbolic links to files are read; links to folders
// are not followed, as fs.WalkDir does not follow them, so a link loop
// cannot trap the scan. Folders are read with fs.ReadDir.
//
// A file that cannot be used is recorded in Library.Skipped with a Reason,
// and the scan goes on; only an unreadable root fails it. If ctx is
// cancelled, Scan stops and returns ctx's error. Either way, every goroutine
// that Scan started has ended when it returns.
func Scan(ctx context.Context, fsys fs.FS, opts Options) (*Library, error) {
	ctx, cancel := context.WithCancel(ctx)
	log := orDiscard(opts.Logger)
	var (
		known     *cacheView
		racySince int64
	)
	if opts.Cache != nil {
		known = opts.Cache.view()
		racySince = time.Now().Add(-racyWindow).UnixNano()
	}

	covers := !opts.SkipCovers
	p := startPool(ctx, workerCount(opts.Workers), minBatch,
		func(j job, r *tags.Reader) result {
			r.SkipPictures = !covers
			return withFolderCover(readFile(fsys, j, r, known, racySince), j.cover)
		},
		func(f *feeder) error { return walk(fsys, f, covers) })
	// Even if OnTrack panics, stop the pipeline and wait for it to end.
	defer func() {
		cancel()
		for range p.results {
		}
	}()

	lib, seen := collect(ctx, p.results, opts.OnTrack, log, known)

	if walkErr := p.err; walkErr != nil {
		if errors.Is(walkErr, ErrRoot) {
			return nil, fmt.Errorf("library: %w", walkErr)
		}
		opts.Cache.update(known, seen, false)
		return nil, fmt.Errorf("library: scan: %w", walkErr)
	}
	if err := ctx.Err(); err != nil {
		opts.Cache.update(known, seen, false)
		return nil, fmt.Errorf("library: scan: %w", err)
	}
	opts.Cache.update(known, seen, true)
	byPath := func(a, b Track) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(lib.Tracks, byPath) {
		// Only if an fs.FS lists a folder out of order.
		slices.SortFunc(lib.Tracks, byPath)
	}
	slices.SortFunc(lib.Skipped, func(a, b Skip) int { return strings.Compare(a.Path, b.Path) })
	return lib, nil
}

// job is a file for a worker to read.
type job struct {
	path    string
	entry   fs.DirEntry // the walk's entry, whose Info a cache check uses
	symlink bool
	cover   Cover // the folder's, for a file that holds no picture
}

// result is what a worker or the walker found: a track, or a skip.
type result struct {
	track   Track
	skip    Skip
	skipped bool

	// entry, when a cache is in use, is what it should remember of the
	// file; nil for what it should not (files that could not be read).
	entry *cacheEntry
	// cached says that entry came from the cache unchanged, so that its
	// strings are shared already.
	cached bool
}

func skipped(p string, reason Reason, err error) result {
	return result{skip: Skip{Path: p, Reason: reason, Err: err}, skipped: true}
}

// ErrRoot is wrapped by the error Scan returns when the root of the file
// system cannot be read or is not a folder.
var ErrRoot = errors.New("cannot read the library root")

// walk feeds every audio file under fsys's root to the pool's workers, and
// reports every folder or entry it must skip. With covers, each file goes
// with its folder's cover image.
func walk(fsys fs.FS, f *feeder, covers bool) error {
	w := walker{fsys: fsys, feeder: f, covers: covers}
	return w.tree(".", Cover{})
}

// walker walks a tree as fs.WalkDir does, reading each folder with
// fs.ReadDir, but visits a folder's entries in the order of their paths: a
// subfolder "a" comes where "a/" sorts among its siblings, after "a b" and
// before "a0", as strings.Compare orders "a b/x", "a/x", "a0/x". So the
// files come out sorted by path, and the scan's tracks need no sort. Links
// to folders are not followed, so a link loop cannot trap the walk.
type walker struct {
	fsys fs.FS
	*feeder
	covers bool
}

// tree visits the entries of folder dir, then those of its subfolders.
// parent is the cover of dir's parent folder.
func (w *walker) tree(dir string, parent Cover) error {
	l, err := listDir(w.fsys, dir, w.covers)
	if err != nil {
		return err
	}
	cover := l.Cover
	if inheritsCover(dir, cover) {
		cover = parent
	}
	for _, s := range l.Skipped {
		if err := w.skip(s.Path, s.Reason, s.Err); err != nil {
			return err
		}
	}
	for _, e := range l.Entries {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if e.Kind == KindFolder {
			err = w.tree(e.Path, cover)
		} else {
			err = w.add(job{path: e.Path, entry: e.d, symlink: e.Kind == KindLink, cover: cover})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// pathOrder orders a folder's entries as their paths sort: by name, a
// folder's name followed by a slash.
func pathOrder(a, b fs.DirEntry) int {
	x, y := a.Name(), b.Name()
	n := min(len(x), len(y))
	if c := strings.Compare(x[:n], y[:n]); c != 0 {
		return c
	}
	next := func(name string, dir bool) int {
		switch {
		case len(name) > n:
			return int(name[n])
		case dir:
			return '/'
		}
		return -1
	}
	return next(x, a.IsDir()) - next(y, b.IsDir())
}

// isAudio reports whether a file name has an extension of a format whose
// tags library/tags reads.
func isAudio(name string) bool {
	ext := path.Ext(name)
	for _, e := range []string{".mp3", ".flac", ".m4a", ".m4b", ".m4p", ".ogg", ".oga", ".opus", ".dsf", ".wav", ".aif", ".aiff"} {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// racyWindow is how long before a scan a file must have last changed for
// the cache to remember it. A file system stamps modification times with a
// clock that ticks every few milliseconds (ext4), every second or two (FAT,
// some network file systems): a file changed again, at the same size,
// within the tick in which the scan read it would look unchanged. So, as
// git does with its index, such a file is read again at the next scan.
const racyWindow = 2 * time.Second

// readFile reads one file, or takes it from the cache if the cache knows it
// and its size and modification time have not changed. A file modified
// after racySince is read but not remembered.
func readFile(fsys fs.FS, j job, r *tags.Reader, known *cacheView, racySince int64) result {
	if known == nil {
		res, _, _ := readTrack(fsys, j, r)
		return res
	}
	if e := known.lookup(j.path); e != nil {
		var fi fs.FileInfo
		var err error
		if j.symlink {
			fi, err = fs.Stat(fsys, j.path)
		} else {
			fi, err = j.entry.Info()
		}
		if err == nil && fi.Mode().IsRegular() && e.stamp == stampOf(fi) {
			return e.result()
		}
	}
	res, st, ok := readTrack(fsys, j, r)
	if ok && st.mtime < racySince {
		res.entry = newCacheEntry(res, st)
	}
	return res
}

// readTrack reads one file into a track: its tags first, then its path
// for what they leave out. It also returns the file's size and modification
// time as it found them before reading, and whether the result is worth
// remembering: false when the file could not be stat'd or read.
func readTrack(fsys fs.FS, j job, r *tags.Reader) (result, stamp, bool) {
	if j.symlink {
		// Stat before Open: opening a link to a pipe would block.
		fi, err := fs.Stat(fsys, j.path)
		if err != nil {
			return skipped(j.path, ReasonUnreadable, err), stamp{}, false
		}
		if !fi.Mode().IsRegular() {
			return skipped(j.path, ReasonNotRegular, nil), stamp{}, false
		}
	}
	f, err := fsys.Open(j.path)
	if err != nil {
		return skipped(j.path, ReasonUnreadable, err), stamp{}, false
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return skipped(j.path, ReasonUnreadable, err), stamp{}, false
	case !fi.Mode().IsRegular():
		return skipped(j.path, ReasonNotRegular, nil), stamp{}, false
	}
	st := stampOf(fi)
	if fi.Size() == 0 {
		return skipped(j.path, ReasonEmpty, nil), st, true
	}

	tg, err := r.Read(f, fi.Size())
	if err != nil && err != tags.ErrNoTag && err != tags.ErrNotAudio {
		return tagError(j.path, err, st)
	}
	if err == tags.ErrNotAudio {
		return skipped(j.path, ReasonNotAudio, nil), st, true
	}

	t := FromPath(j.path)
	t.Artist = cmp.Or(tg.Artist, t.Artist)
	t.AlbumArtist = tg.AlbumArtist
	t.Album = cmp.Or(tg.Album, t.Album)
	t.Title = cmp.Or(tg.Title, t.Title)
	t.Genre = tg.Genre
	t.TrackNo = cmp.Or(tg.Track, t.TrackNo)
	t.Disc = cmp.Or(tg.Disc, t.Disc)
	t.Year = tg.Year
	t.Duration = tg.Duration.Round(time.Millisecond) // as the cache and the wire keep it
	t.Cover = embeddedCover(j.path, st, tg.Picture)
	if t.Title == "" {
		return skipped(j.path, ReasonNoTitle, errNoTitle), st, true
	}
	return result{track: t}, st, true
}

// tagError is readTrack's result for a file whose tags could not be read:
// a skip whose Reason says why, and whether the cache should remember it
// (not when the file could not be read: another read may succeed).
func tagError(p string, err error, st stamp) (result, stamp, bool) {
	var (
		pe *tags.PanicError
		re *tags.ReadError
	)
	switch {
	case errors.As(err, &pe):
		return skipped(p, ReasonPanic, err), st, true
	case errors.As(err, &re):
		return skipped(p, ReasonUnreadable, re.Err), stamp{}, false
	}
	return skipped(p, ReasonCorrupt, err), st, true
}

// collect gathers the results until the channel is closed, or only drains
// it once ctx is done. It shares one copy of each artist, album artist,
// album and genre among the tracks that name it, and puts the tracks in walk
// order. With a cache, it also returns what the cache should remember of
// every file it was given.
//
// The result batches are kept until the end, and the tracks copied out of
// them into a slice of the right size: growing a slice as tracks come would
// allocate five times the tracks' size in all (slices grow by a quarter),
// and that garbage made the collector the scan's largest cost on two cores.
func collect(ctx context.Context, results <-chan resultBatch, onTrack func(Track), log *slog.Logger,
	known *cacheView) (*Library, []*cacheEntry) {
	lib := &Library{}
	var (
		in      interner
		seen    []*cacheEntry
		byseq   [][]result // the workers' batches, by their seq
		nTracks int
	)
	if known != nil {
		seen = make([]*cacheEntry, 0, known.n)
	}
	for batch := range results {
		if ctx.Err() != nil {
			continue
		}
		if batch.seq >= 0 {
			if batch.seq >= len(byseq) {
				byseq = append(byseq, make([][]result, batch.seq+1-len(byseq))...)
			}
			byseq[batch.seq] = batch.results
		}
		for i := range batch.results {
			res := &batch.results[i]
			if ctx.Err() != nil {
				break
			}
			if res.skipped {
				lib.Skipped = append(lib.Skipped, res.skip)
				log.Debug("skip", "path", res.skip.Path, "reason", string(res.skip.Reason), "err", res.skip.Err)
			} else {
				if !res.cached {
					if in.seen == nil && known != nil {
						in.seed(known.sharedStrings())
					}
					in.track(&res.track)
					if res.entry != nil {
						res.entry.track = res.track
					}
				}
				nTracks++
				if onTrack != nil {
					onTrack(res.track)
				}
			}
			if res.entry != nil {
				seen = append(seen, res.entry)
			}
		}
	}
	lib.Tracks = make([]Track, 0, nTracks)
	for _, rs := range byseq {
		for i := range rs {
			if !rs[i].skipped {
				lib.Tracks = append(lib.Tracks, rs[i].track)
			}
		}
	}
	return lib, seen
}

// interner shares one copy of each artist, album artist, album and genre
// among the tracks that name it.
type interner struct {
	seen map[string]string
}

// seed makes the interner share strings that are shared already.
func (in *interner) seed(strs []string) {
	in.seen = make(map[string]string, len(strs))
	for _, s := range strs {
		in.seen[s] = s
	}
}

func (in *interner) intern(s string) string {
	if s == "" {
		return ""
	}
	if in.seen == nil {
		in.seen = make(map[string]string)
	}
	if v, ok := in.seen[s]; ok {
		return v
	}
	// Clone: s may be a slice of a larger string, such as a path.
	v := strings.Clone(s)
	in.seen[v] = v
	return v
}

// track shares t's artist, album artist, album and genre.
func (in *interner) track(t *Track) {
	t.Artist = in.intern(t.Artist)
	t.AlbumArtist = in.intern(t.AlbumArtist)
	t.Album = in.intern(t.Album)
	t.Genre = in.intern(t.Genre)
}
