package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/subscriber"
)

var demoCommand = command{
	name:     "demo",
	synopsis: "[--duration D] [DIR]",
	summary:  "publish the sample music to two subscribers in one process",
	about: `Demo runs a publisher and two subscribers in one process, on a free
port of 127.0.0.1. The publisher plays DIR (default ./sample-music, or,
away from the repository, the same sample library written to a temporary
folder) in random order, one track every 100ms, and answers queries on
another port (the log says which, for 'trackfeed web'). One subscriber
asks for the prefix 'the_' and gets only "The ..." bands; the other asks for
everything. Each prints what it receives on stdout, labelled:

  [the_] The Streets — Corner Shop Chronicles — Chips at Midnight
  [all ] The Streets — Corner Shop Chronicles — Chips at Midnight
  [all ] Björk — Glacier Songs — Tundra Light

It runs until Ctrl-C, or for --duration.`,
	examples: `go run ./cmd/trackfeed demo
trackfeed demo --duration 5s
trackfeed demo ~/Music`,
	new: func() commandRunner { return new(demoCmd) },
}

type demoCmd struct {
	duration time.Duration
}

func (c *demoCmd) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&c.duration, "duration", 0, "stop after `DURATION`, such as 10s; 0 runs until Ctrl-C")
}

// demoSubscribers are the demo's subscribers: label and prefix.
var demoSubscribers = []struct{ label, prefix string }{
	{"the_", "the_"},
	{"all", ""},
}

func (c *demoCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) > 1 {
		return usageErrorf("want at most one DIR (see 'trackfeed demo --help')")
	}
	if c.duration < 0 {
		return usageErrorf("--duration %v: want 0 (until Ctrl-C) or more", c.duration)
	}
	log := slog.New(slog.NewTextHandler(st.stderr, nil))
	dir := "sample-music"
	if len(args) == 1 {
		dir = args[0]
		if _, err := musicFolder(dir, "give the path to your music"); err != nil {
			return err
		}
	} else if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		// Away from the repository (after go install), the sample library
		// is written, byte for byte the same, into a folder of its own.
		tmp, err := os.MkdirTemp("", "trackfeed-sample-music-")
		if err != nil {
			return fmt.Errorf("no ./sample-music, and no temporary folder to write it to: %w (give a music folder: trackfeed demo DIR)", err)
		}
		defer os.RemoveAll(tmp)
		if err := librarytest.Write(tmp); err != nil {
			return fmt.Errorf("writing the sample library to %s: %w (give a music folder: trackfeed demo DIR)", tmp, err)
		}
		dir = tmp
		log.Info("no ./sample-music here: playing the sample library, written to a temporary folder", "dir", tmp)
	}
	p, err := publisher.New(publisher.Config{Dir: dir, Bind: []string{"tcp://127.0.0.1:0"}, Query: []string{"tcp://127.0.0.1:0"}, Logger: log})
	if err != nil {
		return publishError(dir, err)
	}
	defer p.Close()
	endpoint := p.Endpoints()[0]
	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	stop := "Ctrl-C"
	if c.duration > 0 {
		stop = "Ctrl-C or after " + c.duration.String()
	}
	log.Info("demo running; it stops on "+stop, "publisher", endpoint)
	log.Info("try a subscriber of your own in another terminal: trackfeed subscribe -c " + endpoint + " sigur")
	log.Info("or the page, with the cover art: trackfeed web -c " + endpoint + " --query " + p.QueryEndpoints()[0])

	out := &lockedWriter{w: st.stdout}
	width := 0
	for _, s := range demoSubscribers {
		width = max(width, len(s.label))
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return publishError(dir, p.Run(ctx)) })
	for _, s := range demoSubscribers {
		label := fmt.Sprintf("[%-*s] ", width, s.label)
		g.Go(func() error {
			var line []byte
			opts := subscriber.Options{Endpoints: []string{endpoint}, Prefixes: []string{s.prefix}}
			return subscriber.Run(ctx, opts, func(t subscriber.Track) error {
				line = appendTrackLine(append(line[:0], label...), &t)
				if _, err := out.Write(line); err != nil {
					return &writeError{err}
				}
				return nil
			})
		})
	}
	return endOfOutput(g.Wait())
}

// lockedWriter lets goroutines share a writer, one whole Write at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
