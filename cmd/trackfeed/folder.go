package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/library"
)

// musicFolder checks that dir is a folder and returns it as an fs.FS. hint
// is the next step to suggest when it does not exist.
func musicFolder(dir, hint string) (fs.FS, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such folder (%s)", dir, hint)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v (check the path and its permissions)", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%s: not a folder (give the folder that holds your music, not a file in it)", dir)
	}
	return os.DirFS(dir), nil
}

// scanMusic scans the music folder dir and logs what it found. An empty
// library is an error that says where to look next. cache, if not nil, is
// the scan cache; onTrack, if not nil, sees each track as soon as it is read.
func scanMusic(ctx context.Context, fsys fs.FS, dir string, workers int, log *slog.Logger, cache *library.Cache, onTrack func(library.Track)) (*library.Library, error) {
	start := time.Now()
	lib, err := library.Scan(ctx, fsys, library.Options{Workers: workers, Logger: log, Cache: cache, OnTrack: onTrack})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	sum := lib.Summary()
	log.Info("scanned library", "dir", dir, "summary", sum.String(), "took", time.Since(start).Round(time.Millisecond).String())
	if sum.Tracks == 0 {
		return nil, noTracksError(dir, sum)
	}
	return lib, nil
}

func noTracksError(dir string, sum library.Summary) error {
	if sum.Skipped == 0 {
		return fmt.Errorf("%s: no tracks found: no .mp3, .flac, .m4a, .ogg, .opus or .dsf files in it (give the folder that holds your music)", dir)
	}
	return fmt.Errorf("%s: no tracks found: %d file(s) skipped (to see why, run: trackfeed scan -v %s)", dir, sum.Skipped, shellQuote(dir))
}

// shellQuote quotes s for a command the user may copy into a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
