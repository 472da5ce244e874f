package library

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
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
}

// errNoTitle is the Skip.Err of ReasonNoTitle.
var errNoTitle = errors.New("neither the tags nor the file name give a title")

// Scan walks fsys from its root and returns the audio files it holds as
// tracks. In production fsys is os.DirFS(root).
//
// Files are picked by extension, in any case: .mp3, .flac, .m4a, .m4b, .m4p,
// .ogg, .oga, .opus and .dsf. Names that start with a dot, and folders so
// named, are left out. Symbolic links to files are read; links to folders
// are not followed, as fs.WalkDir does not follow them, so a link loop
// cannot trap the scan.
//
// A file that cannot be used is recorded in Library.Skipped with a Reason,
// and the scan goes on; only an unreadable root fails it. If ctx is
// cancelled, Scan stops and returns ctx's error. Either way, every goroutine
// that Scan started has ended when it returns.
func Scan(ctx context.Context, fsys fs.FS, opts Options) (*Library, error) {
	ctx, cancel := context.WithCancel(ctx)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	jobs := make(chan job, 4*workers)
	results := make(chan result, 4*workers)
	var (
		wg      sync.WaitGroup
		walkErr error
	)
	wg.Go(func() {
		defer close(jobs)
		walkErr = walk(ctx, fsys, jobs, results)
	})
	for range workers {
		wg.Go(func() { work(ctx, fsys, jobs, results) })
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	// Even if OnTrack panics, stop the pipeline and wait for it to end.
	defer func() {
		cancel()
		for range results {
		}
	}()

	lib := collect(ctx, results, opts.OnTrack, log)

	if walkErr != nil {
		if errors.Is(walkErr, ErrRoot) {
			return nil, fmt.Errorf("library: %w", walkErr)
		}
		return nil, fmt.Errorf("library: scan: %w", walkErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("library: scan: %w", err)
	}
	slices.SortStableFunc(lib.Tracks, func(a, b Track) int { return strings.Compare(a.Path, b.Path) })
	slices.SortStableFunc(lib.Skipped, func(a, b Skip) int { return strings.Compare(a.Path, b.Path) })
	return lib, nil
}

// job is a file for a worker to read.
type job struct {
	path    string
	symlink bool
}

// result is what a worker or the walker found: a track, or a skip.
type result struct {
	track   Track
	skip    Skip
	skipped bool
}

func skipped(p string, reason Reason, err error) result {
	return result{skip: Skip{Path: p, Reason: reason, Err: err}, skipped: true}
}

// ErrRoot is wrapped by the error Scan returns when the root of the file
// system cannot be read or is not a folder.
var ErrRoot = errors.New("cannot read the library root")

// walk sends every audio file under fsys's root to jobs, and every folder or
// entry it must skip to results.
func walk(ctx context.Context, fsys fs.FS, jobs chan<- job, results chan<- result) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			if err == nil && !d.IsDir() {
				err = errors.New("not a folder")
			}
			if err != nil {
				return fmt.Errorf("%w: %w", ErrRoot, err)
			}
			return nil
		}
		if err != nil {
			// A folder that cannot be listed, or an entry that vanished.
			return send(ctx, results, skipped(p, ReasonUnreadable, err))
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !utf8.ValidString(name) {
			if !d.IsDir() && !isAudio(name) {
				return nil
			}
			err := send(ctx, results, skipped(p, ReasonBadName, fs.ErrInvalid))
			if err == nil && d.IsDir() {
				err = fs.SkipDir
			}
			return err
		}
		if d.IsDir() || !isAudio(name) {
			return nil
		}
		switch typ := d.Type(); {
		case typ.IsRegular():
			return send(ctx, jobs, job{path: p})
		case typ&fs.ModeSymlink != 0:
			return send(ctx, jobs, job{path: p, symlink: true})
		default:
			return send(ctx, results, skipped(p, ReasonNotRegular, nil))
		}
	})
}

// isAudio reports whether a file name has an extension that dhowden/tag
// can read.
func isAudio(name string) bool {
	ext := path.Ext(name)
	for _, e := range []string{".mp3", ".flac", ".m4a", ".m4b", ".m4p", ".ogg", ".oga", ".opus", ".dsf"} {
		if strings.EqualFold(ext, e) {
			return true
		}
	}
	return false
}

// send sends v on ch unless ctx is done first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work reads the files from jobs until jobs is closed or ctx is done.
func work(ctx context.Context, fsys fs.FS, jobs <-chan job, results chan<- result) {
	var r tagReader
	for {
		select {
		case <-ctx.Done():
			return
		case j, ok := <-jobs:
			if !ok {
				return
			}
			if send(ctx, results, readTrack(fsys, j, &r)) != nil {
				return
			}
		}
	}
}

// readTrack reads one file into a track: its tags first, then its path
// for what they leave out.
func readTrack(fsys fs.FS, j job, r *tagReader) result {
	if j.symlink {
		// Stat before Open: opening a link to a pipe would block.
		fi, err := fs.Stat(fsys, j.path)
		if err != nil {
			return skipped(j.path, ReasonUnreadable, err)
		}
		if !fi.Mode().IsRegular() {
			return skipped(j.path, ReasonNotRegular, nil)
		}
	}
	f, err := fsys.Open(j.path)
	if err != nil {
		return skipped(j.path, ReasonUnreadable, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return skipped(j.path, ReasonUnreadable, err)
	case !fi.Mode().IsRegular():
		return skipped(j.path, ReasonNotRegular, nil)
	case fi.Size() == 0:
		return skipped(j.path, ReasonEmpty, nil)
	}

	tg, err := r.read(readerAt(f), fi.Size())
	var (
		pe  *panicError
		ioe *ioError
	)
	switch {
	case err == nil || err == errNoTag:
	case errors.As(err, &pe):
		return skipped(j.path, ReasonPanic, err)
	case errors.As(err, &ioe):
		return skipped(j.path, ReasonUnreadable, ioe.err)
	default:
		return skipped(j.path, ReasonCorrupt, err)
	}

	t := FromPath(j.path)
	t.Artist = cmpOr(tg.artist, t.Artist)
	t.AlbumArtist = tg.albumArtist
	t.Album = cmpOr(tg.album, t.Album)
	t.Title = cmpOr(tg.title, t.Title)
	t.Genre = tg.genre
	t.TrackNo = cmpOr(tg.track, t.TrackNo)
	t.Disc = cmpOr(tg.disc, t.Disc)
	t.Year = tg.year
	if t.Title == "" {
		return skipped(j.path, ReasonNoTitle, errNoTitle)
	}
	return result{track: t}
}

// collect gathers the results until the channel is closed, or only drains
// it once ctx is done. It shares one copy of each artist, album artist,
// album and genre among the tracks that name it.
func collect(ctx context.Context, results <-chan result, onTrack func(Track), log *slog.Logger) *Library {
	lib := &Library{}
	seen := make(map[string]string)
	intern := func(s string) string {
		if s == "" {
			return ""
		}
		if v, ok := seen[s]; ok {
			return v
		}
		// Clone: s may be a slice of a larger string, such as a path.
		v := strings.Clone(s)
		seen[v] = v
		return v
	}
	for res := range results {
		if ctx.Err() != nil {
			continue
		}
		if res.skipped {
			lib.Skipped = append(lib.Skipped, res.skip)
			log.Debug("skip", "path", res.skip.Path, "reason", string(res.skip.Reason), "err", res.skip.Err)
			continue
		}
		t := res.track
		t.Artist = intern(t.Artist)
		t.AlbumArtist = intern(t.AlbumArtist)
		t.Album = intern(t.Album)
		t.Genre = intern(t.Genre)
		lib.Tracks = append(lib.Tracks, t)
		if onTrack != nil {
			onTrack(t)
		}
	}
	return lib
}
