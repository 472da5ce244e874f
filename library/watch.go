package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fsnotify/fsnotify"

	"github.com/trackfeed/trackfeed/library/tags"
)

// WatchOptions tune a Watcher. The zero value is ready to use.
type WatchOptions struct {
	// Workers is how many files are read at once; 0 or less means
	// runtime.GOMAXPROCS(0).
	Workers int

	// Logger receives warnings (a folder that cannot be watched, changes
	// lost to an overflowing event queue) and, at Debug level, each file
	// that is left out, as Scan logs it. Nil discards.
	Logger *slog.Logger

	// Settle is how long a file must go without a change before it is
	// read, so that a file being copied in is read once, when the copy is
	// done. 0 means DefaultSettle.
	Settle time.Duration

	// MaxDelay bounds how long a file that has settled waits for others
	// that are still being written: during a long copy, the files done so
	// far are applied at least this often. 0 means DefaultMaxDelay.
	MaxDelay time.Duration
}

// The default timings of a Watcher: a new file shows up about a quarter of
// a second after it was written, and a large copy is taken in a second's
// worth of files at a time.
const (
	DefaultSettle   = 250 * time.Millisecond
	DefaultMaxDelay = time.Second
)

// Change is a batch of changes to a library folder, found by a Watcher.
type Change struct {
	// Added are the tracks of files that are new or changed, sorted by
	// path. A path may be one the consumer has already: replace it.
	Added []Track

	// Removed are the paths, sorted, that hold no track any more: files
	// deleted or renamed away, the files of a folder deleted or renamed
	// away, and files that can no longer be read (truncated, corrupt,
	// replaced by a folder). A path here may never have been a track, such
	// as a new file that turned out to be corrupt: drop it if you have it.
	Removed []string
}

// ErrWatcherClosed is returned by Watcher.Run once the watcher is closed.
var ErrWatcherClosed = errors.New("library: watcher closed")

// A Watcher follows the changes to a library folder, so that a scan is
// needed only once. It watches every folder of the tree (adding a watch for
// each folder created or moved in later, and reading the files already in
// it), waits for each changed file to settle, reads its tags as Scan does,
// in Scan's pool of workers, and hands the result on as a Change.
//
// Files and folders are picked as Scan picks them: audio files by
// extension; names that start with a dot, and names that are not valid
// UTF-8, are left out.
//
// A Watcher collects changes from the moment NewWatcher returns, but
// applies none until Run is called. The way to start with no gap:
//
//	w, err := library.NewWatcher(ctx, root, os.DirFS(root), opts) // every folder watched
//	lib, err := library.Scan(ctx, os.DirFS(root), scanOpts)        // what is there now
//	err = w.Run(ctx, apply)                                        // what changed since NewWatcher
//
// A file changed during the scan is then both scanned and re-read after
// it, and the re-read, applied last, wins.
//
// When the kernel's event queue overflows, changes are lost: the Watcher
// logs a warning and re-reads the whole tree. Errors never stop it; it
// ends when Run's context is cancelled or Close is called.
type Watcher struct {
	root    string // absolute, in the OS's form
	fsys    fs.FS
	workers int
	settle  time.Duration
	delay   time.Duration
	log     *slog.Logger
	fsw     *fsnotify.Watcher

	start   chan startRun // hands Run's apply to the loop
	running atomic.Bool   // Run was called
	cancel  context.CancelFunc
	done    chan struct{} // closed when the loop has ended
	once    sync.Once
	err     error // from closing fsw

	// What follows belongs to the loop goroutine (to NewWatcher until it
	// starts the loop).
	dirs    map[string]bool     // watched folders, by path relative to the root
	files   map[string]bool     // audio files in the tree, as far as the events tell
	pending map[string]*pending // files to read
}

// pending is a file that changed and has yet to be read.
type pending struct {
	first, last time.Time // its first and its last change since it was read
}

// NewWatcher starts watching root, the folder that fsys reads (in
// production fsys is os.DirFS(root)): it adds a watch on every folder
// under root before it returns, and from then on collects changes for Run
// to apply. ctx bounds this setup only; Run's context, or Close, ends the
// watcher.
//
// A folder that cannot be watched (most often because the system's limit
// on watches, fs.inotify.max_user_watches on Linux, is reached) is logged
// and left out; only a root that cannot be watched is an error.
func NewWatcher(ctx context.Context, root string, fsys fs.FS, opts WatchOptions) (*Watcher, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("library: watch %s: %w", root, err)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("library: watch %s: %w", root, err)
	}
	w := &Watcher{
		root:    abs,
		fsys:    fsys,
		workers: workerCount(opts.Workers),
		settle:  cmp.Or(opts.Settle, DefaultSettle),
		delay:   cmp.Or(opts.MaxDelay, DefaultMaxDelay),
		log:     orDiscard(opts.Logger),
		fsw:     fsw,
		start:   make(chan startRun),
		done:    make(chan struct{}),
		dirs:    make(map[string]bool),
		files:   make(map[string]bool),
		pending: make(map[string]*pending),
	}
	if err := fsw.Add(abs); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("library: watch %s: %w", root, err)
	}
	w.dirs["."] = true
	if err := w.walk(ctx, ".", false); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("library: watch %s: %w", root, err)
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.loop(loopCtx)
	return w, nil
}

// Run applies the changes collected since NewWatcher returned, and every
// change after them, by calling apply, until ctx is cancelled; then it
// closes the watcher and returns nil. Calls to apply come one at a time
// from a goroutine of the Watcher, and have all returned when Run does;
// the watcher reads no events while apply runs, so it should be quick.
// Run may be called once.
func (w *Watcher) Run(ctx context.Context, apply func(Change)) error {
	return w.RunFrom(ctx, nil, apply)
}

// startRun is what Run hands to the loop.
type startRun struct {
	apply   func(Change)
	scanned map[string]bool
}

// RunFrom is Run for a watcher set up while a scan ran beside it (so that
// neither waits for the other): scanned holds every audio file that scan
// saw, tracks and skipped files alike. A file the watcher found that the
// scan did not see (created between the scan listing its folder and the
// watcher watching it) is read, and one the scan saw that the watcher did
// not find (removed in that gap) is reported removed.
func (w *Watcher) RunFrom(ctx context.Context, scanned map[string]bool, apply func(Change)) error {
	if w.running.Swap(true) {
		return errors.New("library: Watcher.Run called twice")
	}
	select {
	case w.start <- startRun{apply, scanned}:
	case <-w.done:
		return ErrWatcherClosed
	}
	select {
	case <-ctx.Done():
	case <-w.done: // closed, or the event source ended
	}
	return w.Close()
}

// Close stops the watcher and waits for its goroutines to end. It may be
// called more than once, and while Run is running.
func (w *Watcher) Close() error {
	w.once.Do(func() {
		w.cancel()
		<-w.done
		w.err = w.fsw.Close()
	})
	return w.err
}

// loop takes the events in, reads the files that settle, one batch at a
// time, and applies the results, until ctx is done.
func (w *Watcher) loop(ctx context.Context) {
	defer close(w.done)
	var (
		apply   func(Change)
		start   = w.start
		reading chan readResult // not nil while a batch is being read
		timer   = time.NewTimer(time.Hour)
		armed   bool
	)
	timer.Stop()
	defer timer.Stop()
	defer func() {
		if reading != nil {
			<-reading // the reader ends soon after ctx, or with its batch
		}
	}()
	// arm wakes the loop a settle period from now if there is something to
	// read and nothing holds it back; the wake-up looks for what is due.
	arm := func(d time.Duration) {
		if !armed && apply != nil && reading == nil && len(w.pending) > 0 {
			timer.Reset(d)
			armed = true
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sr := <-start:
			apply, start = sr.apply, nil
			if sr.scanned != nil {
				var gone []string
				for p := range w.files {
					if !sr.scanned[p] {
						w.touch(p)
					}
				}
				for p := range sr.scanned {
					if !w.files[p] && w.pending[p] == nil {
						gone = append(gone, p)
					}
				}
				if len(gone) > 0 {
					slices.Sort(gone)
					apply(Change{Removed: gone})
				}
			}
			arm(w.settle)
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			w.event(ctx, ev)
			arm(w.settle)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.watchError(ctx, err)
			arm(w.settle)
		case <-timer.C:
			armed = false
			batch, next := w.due(time.Now())
			if len(batch) == 0 {
				arm(next)
				continue
			}
			reading = make(chan readResult, 1)
			go func() { reading <- w.read(ctx, batch) }()
		case res := <-reading:
			reading = nil
			ch := res.change
			for _, t := range ch.Added {
				w.files[t.Path] = true
			}
			for _, p := range res.gone {
				delete(w.files, p)
			}
			if ctx.Err() != nil {
				continue // the batch may be cut short; the next case returns
			}
			if len(ch.Added) > 0 || len(ch.Removed) > 0 {
				apply(ch)
			}
			arm(w.settle)
		}
	}
}

// due takes out of w.pending the files to read now: those that have
// settled, once every pending file has, or once one of them has waited
// MaxDelay since its first change. If none is due, next is when to look
// again.
func (w *Watcher) due(now time.Time) (batch []string, next time.Duration) {
	next = w.delay
	overdue, all := false, true
	for p, f := range w.pending {
		if wait := w.settle - now.Sub(f.last); wait > 0 {
			all = false
			next = min(next, wait)
			continue
		}
		batch = append(batch, p)
		if wait := w.delay - now.Sub(f.first); wait <= 0 {
			overdue = true
		} else {
			next = min(next, wait)
		}
	}
	if !all && !overdue {
		// Not sooner than a quarter settle: under a steady stream of
		// events, each look costs a pass over every pending file.
		return nil, max(next, w.settle/4)
	}
	for _, p := range batch {
		delete(w.pending, p)
	}
	return batch, 0
}

// event records what one fsnotify event says about the tree.
func (w *Watcher) event(ctx context.Context, ev fsnotify.Event) {
	rel, ok := w.rel(ev.Name)
	if !ok {
		w.log.Debug("library: watch: event outside the library", "path", ev.Name, "op", ev.Op.String())
		return
	}
	if rel == "." {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			w.log.Warn("library: the library folder was removed or moved; its tracks are gone", "dir", w.root)
			w.forget(".")
		}
		return
	}
	if !usable(rel) {
		return
	}
	if isCoverImage(path.Base(rel)) && !w.dirs[rel] {
		w.coverChanged(path.Dir(rel))
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.gone(rel)
	}
	if ev.Has(fsnotify.Create) {
		w.created(ctx, rel)
	}
	if (ev.Has(fsnotify.Write) || ev.Has(fsnotify.Chmod)) && isAudio(rel) {
		w.touch(rel)
	}
}

// rel turns a path from an event into a slash-separated path relative to
// the root.
func (w *Watcher) rel(name string) (string, bool) {
	rel, err := filepath.Rel(w.root, name)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// usable reports whether Scan would look at a path: no element starts with
// a dot, and it is valid UTF-8 (else an fs.FS cannot open it).
func usable(rel string) bool {
	if !utf8.ValidString(rel) || !fs.ValidPath(rel) {
		return false
	}
	for elem := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(elem, ".") {
			return false
		}
	}
	return true
}

// gone handles a path deleted or renamed away: a folder takes its files
// with it.
func (w *Watcher) gone(rel string) {
	if w.dirs[rel] {
		w.forget(rel)
		return
	}
	if w.files[rel] || isAudio(rel) {
		delete(w.files, rel)
		w.touch(rel)
	}
}

// forget drops the folder dir (or the whole tree, for ".") and its
// folders from the watch list, and marks each file in it to be read:
// reading a missing file removes its track.
func (w *Watcher) forget(dir string) {
	in := func(p string) bool {
		return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
	}
	for d := range w.dirs {
		if in(d) {
			// Deleted folders have lost their watch already, and a renamed
			// one has lost its own; its subfolders' watches would go on
			// reporting under their old names.
			_ = w.fsw.Remove(w.abs(d))
			delete(w.dirs, d)
		}
	}
	for f := range w.files {
		if in(f) {
			delete(w.files, f)
			w.touch(f)
		}
	}
}

// created handles a new path: a folder is watched and read through, an
// audio file is marked to be read.
func (w *Watcher) created(ctx context.Context, rel string) {
	fi, err := fs.Lstat(w.fsys, rel)
	switch {
	case err != nil:
		// Gone again already; a Remove event follows.
		if isAudio(rel) {
			w.touch(rel)
		}
	case fi.IsDir():
		if err := w.walk(ctx, rel, true); err != nil {
			w.log.Warn("library: cannot read a new folder", "path", rel, "err", err)
		}
	case isAudio(rel):
		w.files[rel] = true
		w.touch(rel)
	}
}

// coverChanged marks to be read the files whose cover a change to an image
// in folder dir may change: those of dir, and of its disc folders.
func (w *Watcher) coverChanged(dir string) {
	for f := range w.files {
		d := path.Dir(f)
		if d == dir || path.Dir(d) == dir && inheritsCover(d, Cover{}) {
			w.touch(f)
		}
	}
}

// touch marks a file as changed now.
func (w *Watcher) touch(rel string) {
	now := time.Now()
	if p, ok := w.pending[rel]; ok {
		p.last = now
		return
	}
	w.pending[rel] = &pending{first: now, last: now}
}

// walk watches the folder dir and every folder under it, then lists it,
// so that a file created while it runs is either listed or reported by an
// event. It records the audio files it finds, and with fresh marks them to
// be read. Only a cancelled ctx stops it: a folder that cannot be watched
// or listed is logged and skipped.
func (w *Watcher) walk(ctx context.Context, dir string, fresh bool) error {
	var (
		unwatched int
		firstErr  error
	)
	err := fs.WalkDir(w.fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir // gone again already
			}
			w.log.Warn("library: cannot list a folder; its changes will be missed", "path", p, "err", err)
			return nil
		}
		if p != "." && !usable(p) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if isAudio(p) {
				w.files[p] = true
				if fresh {
					w.touch(p)
				}
			}
			return nil
		}
		// Watch first, list next (WalkDir lists a folder after this call).
		if err := w.fsw.Add(w.abs(p)); err != nil {
			unwatched++
			firstErr = cmp.Or(firstErr, err)
			return nil
		}
		w.dirs[p] = true
		return nil
	})
	if unwatched > 0 {
		msg := "library: some folders cannot be watched; changes to them will be missed"
		if errors.Is(firstErr, syscall.ENOSPC) {
			msg += " (raise fs.inotify.max_user_watches)"
		}
		w.log.Warn(msg, "folders", unwatched, "err", firstErr)
	}
	return err
}

// abs is the OS path of rel.
func (w *Watcher) abs(rel string) string {
	return filepath.Join(w.root, filepath.FromSlash(rel))
}

// watchError handles an error from fsnotify: an overflow means events were
// lost, so the whole tree is read again; anything else is logged.
func (w *Watcher) watchError(ctx context.Context, err error) {
	if !errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Warn("library: watch", "dir", w.root, "err", err)
		return
	}
	w.log.Warn("library: too many changes at once, some were lost; reading the library folder again", "dir", w.root)
	// Every known file is read again (the missing ones leave), and so is
	// every file found by a new walk; folders that are gone lose their
	// watch.
	for f := range w.files {
		w.touch(f)
	}
	old := w.dirs
	w.dirs = map[string]bool{".": true}
	if err := w.walk(ctx, ".", true); err != nil {
		return
	}
	for d := range old {
		if !w.dirs[d] {
			_ = w.fsw.Remove(w.abs(d))
		}
	}
}

// readResult is what reading a batch found: the change to apply, and
// the files that are not there any more.
type readResult struct {
	change Change
	gone   []string
}

// read reads the files of a batch in a pool of workers, Scan's, and sorts
// what it found into a Change.
func (w *Watcher) read(ctx context.Context, batch []string) readResult {
	// Batches of one file at least: a few changed files are read at once,
	// each by a worker, and many go in larger batches as the workers fall
	// behind.
	p := startPool(ctx, min(w.workers, len(batch)), 1,
		func(j job, r *tags.Reader) result { return withFolderCover(readOne(w.fsys, j.path, r), j.cover) },
		func(f *feeder) error {
			covers := make(map[string]Cover) // by folder: each read once a batch
			for _, name := range batch {
				dir := path.Dir(name)
				cover, ok := covers[dir]
				if !ok {
					cover = coverOfFolder(w.fsys, dir)
					covers[dir] = cover
				}
				if err := f.add(job{path: name, cover: cover}); err != nil {
					return err
				}
			}
			return nil
		})

	var (
		ch   Change
		gone []string
	)
	for rb := range p.results {
		for _, res := range rb.results {
			switch {
			case !res.skipped:
				ch.Added = append(ch.Added, res.track)
			case errors.Is(res.skip.Err, fs.ErrNotExist):
				ch.Removed = append(ch.Removed, res.skip.Path)
				gone = append(gone, res.skip.Path)
			default:
				ch.Removed = append(ch.Removed, res.skip.Path)
				w.log.Debug("skip", "path", res.skip.Path, "reason", string(res.skip.Reason), "err", res.skip.Err)
			}
		}
	}
	slices.SortFunc(ch.Added, func(a, b Track) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(ch.Removed)
	return readResult{ch, gone}
}

// readOne reads the file at p with the reader Scan's workers use. Scan's
// walk has the file's type from its folder listing; here the file may have
// changed since the event, so it is Lstat'ed first, which also keeps a
// pipe from being opened.
func readOne(fsys fs.FS, p string, r *tags.Reader) result {
	fi, err := fs.Lstat(fsys, p)
	if err != nil {
		return skipped(p, ReasonUnreadable, err)
	}
	j := job{path: p}
	switch {
	case fi.Mode().IsRegular():
	case fi.Mode()&fs.ModeSymlink != 0:
		j.symlink = true
	default:
		return skipped(p, ReasonNotRegular, nil)
	}
	res, _, _ := readTrack(fsys, j, r)
	return res
}
