package publisher

import (
	"context"
	"time"

	"github.com/trackfeed/trackfeed/library"
)

// scanFunc reads a library: library.Scan of Dir, or Config.Scan.
type scanFunc func(context.Context, library.Options) (*library.Library, error)

// Rescan asks a publisher whose library comes from Config.Scan to read it
// again (trackfeed publish --ventilator does on SIGHUP). It does not wait;
// a request made while one is pending is the same request.
func (p *Publisher) Rescan() {
	select {
	case p.rescan <- struct{}{}:
	default:
	}
}

// loadScanned is load for a library read by Config.Scan: the first scan
// as a local one (the cache's tracks at once, the scan's as they come),
// then a rescan every Config.Rescan and on each Rescan until ctx ends. A
// rescan that fails leaves the playlist as it was.
func (p *Publisher) loadScanned(ctx context.Context) error {
	_, cache, err := p.scan(ctx, p.cfg.Scan)
	if p.cfg.OnScanned != nil {
		p.cfg.OnScanned()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var tick <-chan time.Time
	if p.cfg.Rescan > 0 {
		t := time.NewTicker(p.cfg.Rescan)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		case <-p.rescan:
		}
		p.rescanOnce(ctx, cache)
	}
}

// rescanOnce reads the library again into the playlist; the tracks it
// does not find leave.
func (p *Publisher) rescanOnce(ctx context.Context, cache *library.Cache) {
	start := time.Now()
	lib, err := p.cfg.Scan(ctx, library.Options{Workers: p.cfg.Workers, Logger: p.log, Cache: cache,
		OnTrack: func(t library.Track) { p.list.Add(t) }})
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("rescan failed; the library stays as it was", "dir", p.cfg.Dir, "err", err)
		}
		return
	}
	seen := make(map[string]bool, len(lib.Tracks))
	for _, t := range lib.Tracks {
		seen[t.Path] = true
	}
	gone := 0
	for _, t := range p.list.Tracks() {
		if !seen[t.Path] && p.list.Remove(t.Path) {
			gone++
		}
	}
	p.skipped.Store(int64(len(lib.Skipped)))
	p.saveCache(cache)
	p.log.Info("rescanned library", "dir", p.cfg.Dir, "summary", lib.Summary().String(), "removed", gone,
		"took", time.Since(start).Round(time.Millisecond).String())
}
