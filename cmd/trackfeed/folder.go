package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
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
	f, err := os.Open(dir)
	if err == nil {
		_, err = f.ReadDir(1)
		f.Close()
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%s: permission denied (let this user read it: chmod -R o+rX %s; or run as a user who can)", dir, shellQuote(dir))
	}
	return os.DirFS(dir), nil
}

func noTracksError(dir string, sum library.Summary) error {
	if sum.Skipped == 0 {
		return fmt.Errorf("%s: no tracks found: no .mp3, .flac, .m4a, .ogg, .opus, .dsf, .wav or .aiff files in it (give the folder that holds your music)", dir)
	}
	files := fmt.Sprintf("%d files", sum.Skipped)
	if sum.Skipped == 1 {
		files = "1 file"
	}
	return fmt.Errorf("%s: no tracks found: %s skipped (to see why, run: trackfeed scan -v %s)", dir, files, shellQuote(dir))
}

// publishError adds to a publisher's error the flag or next step to try.
func publishError(dir string, err error) error {
	var bind *publisher.BindError
	var none *publisher.NoTracksError
	switch {
	case errors.As(err, &bind) && errors.Is(err, syscall.EADDRINUSE) && bind.Socket == "query":
		return fmt.Errorf("%w (is another publisher running? choose another port with --query, or --query '' for none)", err)
	case errors.As(err, &bind) && errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w (is another publisher running? choose another port with --bind)", err)
	case errors.As(err, &none):
		return noTracksError(dir, none.Summary)
	}
	return err
}

// defaultCachePath is the scan cache of dir under $XDG_CACHE_HOME or
// ~/.cache, or "" when neither is set.
func defaultCachePath(getenv func(string) string, dir string) string {
	cacheDir := getenv("XDG_CACHE_HOME")
	if cacheDir == "" && getenv("HOME") != "" {
		cacheDir = filepath.Join(getenv("HOME"), ".cache")
	}
	path, err := library.DefaultCachePath(cacheDir, dir)
	if err != nil {
		return ""
	}
	return path
}

// shellQuote quotes s for a command the user may copy into a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
