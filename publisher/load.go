package publisher

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trackfeed/trackfeed/library"
)

// load fills the playlist and keeps it in step with the library until ctx
// ends. With Tracks, it adds them and returns. With Dir, the order matters,
// and each rule has a test of the playlist's state:
//
//   - the scan cache's tracks play at once, a chunk at a time, before the
//     scan's tracks, which are newer and replace them;
//   - the scan's tracks play as they are read, so a large library is on the
//     air in well under a second;
//   - cached tracks the scan did not find leave when the scan is done;
//   - the watcher sets up (a watch per folder) beside the scan, so neither
//     delays the first track, and its changes apply after the scan's
//     tracks, so a file removed during the scan cannot come back; a file
//     created or removed between the scan listing its folder and the
//     watcher watching it is read or removed then.
func (p *Publisher) load(ctx context.Context) error {
	if p.cfg.Scan != nil {
		return p.loadScanned(ctx)
	}
	if p.cfg.Dir == "" {
		p.list.Add(p.cfg.Tracks...)
		close(p.scanned)
		return nil
	}
	fsys := os.DirFS(p.cfg.Dir)
	var g errgroup.Group
	defer g.Wait()
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	watcher := make(chan *library.Watcher, 1)
	if p.cfg.Watch {
		g.Go(func() error {
			watcher <- p.startWatching(watchCtx, fsys)
			return nil
		})
	} else {
		watcher <- nil
	}

	seen, _, err := p.scan(ctx, func(ctx context.Context, opts library.Options) (*library.Library, error) {
		return library.Scan(ctx, fsys, opts)
	})
	if p.cfg.OnScanned != nil {
		p.cfg.OnScanned()
	}
	w := <-watcher
	if err != nil || w == nil {
		if w != nil {
			w.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w.RunFrom(watchCtx, seen, p.apply)
	return nil
}

// scan plays the cache, scans Dir into the playlist with scan and applies
// the result; it returns every audio file the scan saw (tracks and
// skipped), and the cache.
func (p *Publisher) scan(ctx context.Context, scan scanFunc) (map[string]bool, *library.Cache, error) {
	defer close(p.scanned)
	cache := p.openCache()
	// A chunk at a time, decoded as it goes in, so the first is on the air
	// before the rest is decoded, whatever the cache's size.
	var fromCache [][]library.Track
	if cache != nil {
		n := 0
		for chunk := range cache.TrackChunks() {
			p.list.Add(chunk...)
			fromCache = append(fromCache, chunk)
			n += len(chunk)
		}
		if n > 0 {
			p.log.Info("playing the tracks of the scan cache while the scan checks them", "tracks", n)
		}
	}
	start := time.Now()
	lib, err := scan(ctx, library.Options{
		Workers: p.cfg.Workers, Logger: p.log, Cache: cache,
		OnTrack: func(t library.Track) {
			p.list.Add(t)
			if p.cfg.OnTrack != nil {
				p.cfg.OnTrack(t)
			}
		},
	})
	if err != nil {
		return nil, cache, fmt.Errorf("scan %s: %w", p.cfg.Dir, err)
	}
	sum := lib.Summary()
	p.log.Info("scanned library", "dir", p.cfg.Dir, "summary", sum.String(), "took", time.Since(start).Round(time.Millisecond).String())
	p.skipped.Store(int64(len(lib.Skipped)))
	seen := make(map[string]bool, len(lib.Tracks)+len(lib.Skipped))
	for _, t := range lib.Tracks {
		seen[t.Path] = true
	}
	gone := 0
	for _, chunk := range fromCache {
		for _, t := range chunk {
			if !seen[t.Path] && p.list.Remove(t.Path) {
				gone++
			}
		}
	}
	if gone > 0 {
		p.log.Info("library: tracks of the scan cache gone since", "removed", gone)
	}
	for _, sk := range lib.Skipped {
		seen[sk.Path] = true
	}
	p.saveCache(cache)
	if sum.Tracks == 0 {
		return nil, cache, &NoTracksError{Summary: sum}
	}
	return seen, cache, nil
}

// openCache opens the scan cache, or returns nil without one. A cache that
// cannot be used is logged and rebuilt; it never stops the publisher.
func (p *Publisher) openCache() *library.Cache {
	if p.cfg.Cache == "" {
		return nil
	}
	cache, err := library.OpenCache(p.cfg.Cache)
	if err != nil {
		p.log.Warn(err.Error())
	}
	p.log.Debug("scan cache", "file", p.cfg.Cache, "entries", cache.Len())
	return cache
}

// saveCache writes the scan cache back; a failure (a full disk, a
// read-only folder) is a warning: the next start reads every file again.
func (p *Publisher) saveCache(cache *library.Cache) {
	if cache == nil {
		return
	}
	if err := cache.Save(); err != nil {
		p.log.Warn("could not save the scan cache; the next start reads every file again", "err", err)
		return
	}
	p.log.Debug("saved the scan cache", "file", cache.Path(), "entries", cache.Len())
}

// startWatching starts watching Dir for changes. A watcher that cannot
// start is a warning, not an error: the library stays as scanned. It
// returns nil then.
func (p *Publisher) startWatching(ctx context.Context, fsys fs.FS) *library.Watcher {
	w, err := library.NewWatcher(ctx, p.cfg.Dir, fsys, library.WatchOptions{Workers: p.cfg.Workers, Logger: p.log})
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("not watching the library for changes: restart to take them in", "dir", p.cfg.Dir, "err", err)
		}
		return nil
	}
	p.log.Debug("watching the library for changes", "dir", p.cfg.Dir)
	return w
}

// apply puts a watcher's changes into the playlist: it logs each track
// added, changed or removed at Debug, and one line per batch at Info.
func (p *Publisher) apply(ch library.Change) {
	var added, changed, removed int
	for _, path := range ch.Removed {
		if p.list.Remove(path) {
			removed++
			p.log.Debug("library: removed", "path", path)
		}
	}
	for _, t := range ch.Added {
		n := p.list.Len()
		p.list.Add(t)
		what := "library: changed"
		if p.list.Len() > n {
			added++
			what = "library: added"
		} else {
			changed++
		}
		p.log.Debug(what, "path", t.Path, "artist", t.Artist, "album", t.Album, "title", t.Title)
	}
	if added+changed+removed == 0 {
		return
	}
	tracks, artists, albums := p.list.Counts()
	p.log.Info(fmt.Sprintf("library: +%d −%d tracks", added, removed),
		"changed", changed, "tracks", tracks, "artists", artists, "albums", albums)
}
