package main

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/library"
)

var scanCommand = command{
	name:     "scan",
	synopsis: "[flags] DIR | --ventilator ENDPOINT [FOLDER]",
	summary:  "list the tracks found in a music folder, and the files left out",
	about: `Scan reads the tags of every audio file under DIR, as publish would, and
prints one line per track on stdout, sorted by path, with tab-separated
columns: artist, album, track number, title, path. --json prints one JSON
object per line instead.

A summary of what was found and skipped goes to stderr; --verbose also lists
each skipped file and why. Use it to see what publish will send before you
start it.

With --ventilator, the workers of that ventilator read the library where it
lives ('trackfeed worker' on the machine that holds the files), and scan
prints what a local scan of FOLDER there would print.`,
	examples: `trackfeed scan ~/Music
trackfeed scan -v ./sample-music > /dev/null
trackfeed scan --json ~/Music | jq -r .artist | sort -u
trackfeed scan --ventilator nas.local "The Streets"`,
	new: func() commandRunner { return new(scanCmd) },
}

type scanCmd struct {
	json    bool
	verbose bool
	workers int
	remote  remoteFlags
}

func (c *scanCmd) flags(fs *pflag.FlagSet) {
	fs.BoolVar(&c.json, "json", false,
		"print each track as a JSON object on one line: path artist\nalbum_artist album title genre track disc year")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "list each skipped file and why on stderr")
	fs.IntVar(&c.workers, "workers", 0, "read `N` files at once; 0 means one per CPU")
	c.remote.define(fs)
	c.remote.curve.defineKeys(fs, "with --curve-ventilator, be the client of key pair `NAME`\n(NAME.key and NAME.pub, from trackfeed keygen); default:\na new pair each run, for a ventilator that admits anyone")
}

// scanRecord is a track as scan --json prints it, named as on the wire.
type scanRecord struct {
	Path        string `json:"path"`
	Artist      string `json:"artist"`
	AlbumArtist string `json:"album_artist"`
	Album       string `json:"album"`
	Title       string `json:"title"`
	Genre       string `json:"genre"`
	TrackNo     int    `json:"track"`
	Disc        int    `json:"disc"`
	Year        int    `json:"year"`
	DurationMS  int64  `json:"duration_ms,omitempty"`
}

// scanRecordOf is t as scan --json prints it.
func scanRecordOf(t *library.Track) scanRecord {
	return scanRecord{Path: t.Path, Artist: t.Artist, AlbumArtist: t.AlbumArtist, Album: t.Album, Title: t.Title,
		Genre: t.Genre, TrackNo: t.TrackNo, Disc: t.Disc, Year: t.Year, DurationMS: t.Duration.Milliseconds()}
}

func (c *scanCmd) run(ctx context.Context, st stdio, args []string) error {
	if c.workers < 0 {
		return usageErrorf("--workers %d: want 0 or more", c.workers)
	}
	prog, logTo := newProgress(st.stderr, st.progressDelay)
	dir, scan, err := c.scanner(args, logTo)
	if err != nil {
		return err
	}
	prog.start("scanning")
	lib, err := scan(ctx, library.Options{Workers: c.workers, OnTrack: func(library.Track) { prog.add() }})
	prog.done()
	if ctx.Err() != nil {
		return interrupted(ctx)
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", dir, err)
	}

	// A listing is written in one go when it is done; one flush at the end.
	w := bufio.NewWriter(st.stdout)
	var line []byte
	for _, t := range lib.Tracks {
		if c.json {
			rec := scanRecordOf(&t)
			if line, err = appendJSON(line[:0], &rec); err != nil {
				return err
			}
		} else {
			line = appendScanLine(line[:0], &t)
		}
		if _, err := w.Write(line); err != nil {
			break // Flush returns the same error
		}
	}
	if err := w.Flush(); err != nil {
		return endOfOutput(&writeError{err})
	}

	if c.verbose {
		for _, s := range lib.Skipped {
			path := s.Path
			if !utf8.ValidString(path) {
				path = strconv.Quote(path)
			}
			if s.Err != nil {
				fmt.Fprintf(st.stderr, "skipped %s: %s: %s\n", path, s.Reason, oneLine(s.Err))
			} else {
				fmt.Fprintf(st.stderr, "skipped %s: %s\n", path, s.Reason)
			}
		}
	}
	sum := lib.Summary()
	fmt.Fprintln(st.stderr, sum)
	if sum.Skipped > 0 && !c.verbose {
		fmt.Fprintln(st.stderr, "(add -v to list the skipped files)")
	}
	return nil
}

// appendScanLine appends t as a line of tab-separated columns: artist,
// album, track number (empty if unknown), title, path.
func appendScanLine(b []byte, t *library.Track) []byte {
	for _, s := range []string{t.Artist, t.Album} {
		b = appendField(b, s)
		b = append(b, '\t')
	}
	if t.TrackNo > 0 {
		b = strconv.AppendInt(b, int64(t.TrackNo), 10)
	}
	b = append(b, '\t')
	b = appendField(b, t.Title)
	b = append(b, '\t')
	b = appendField(b, t.Path)
	return append(b, '\n')
}

// appendField appends s with tabs and line breaks turned into spaces, so
// that a field never splits its line.
func appendField(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\r':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}
