package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
)

// startWatching starts watching the music folder dir for changes, for
// publish --watch. A watcher that cannot start is a warning, not an error:
// publish goes on with the library as scanned. It returns nil then.
func startWatching(ctx context.Context, dir string, fsys fs.FS, workers int, log *slog.Logger) *library.Watcher {
	w, err := library.NewWatcher(ctx, dir, fsys, library.WatchOptions{Workers: workers, Logger: log})
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("not watching the library for changes: restart publish to take them in", "dir", dir, "err", err)
		}
		return nil
	}
	log.Debug("watching the library for changes", "dir", dir)
	return w
}

// applyChanges returns the function that puts a watcher's changes into
// list: it logs each track added, changed or removed at Debug, and one line
// per batch at Info.
func applyChanges(list *publisher.Playlist, log *slog.Logger) func(library.Change) {
	return func(ch library.Change) {
		var added, changed, removed int
		for _, p := range ch.Removed {
			if list.Remove(p) {
				removed++
				log.Debug("library: removed", "path", p)
			}
		}
		for _, t := range ch.Added {
			n := list.Len()
			list.Add(t)
			what := "library: changed"
			if list.Len() > n {
				added++
				what = "library: added"
			} else {
				changed++
			}
			log.Debug(what, "path", t.Path, "artist", t.Artist, "album", t.Album, "title", t.Title)
		}
		if added+changed+removed == 0 {
			return
		}
		tracks, artists, albums := list.Counts()
		log.Info(fmt.Sprintf("library: +%d −%d tracks", added, removed),
			"changed", changed, "tracks", tracks, "artists", artists, "albums", albums)
	}
}
