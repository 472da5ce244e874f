package main

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
)

var publishCommand = command{
	name:     "publish",
	synopsis: "[flags] DIR",
	summary:  "scan a music folder and broadcast its tracks",
	about: `Publish scans DIR for audio files (.mp3, .flac, .m4a, .ogg, .opus, .dsf),
logs what it found, then broadcasts one track every --interval on a ZeroMQ
PUB socket, each message under its artist's topic (the_streets, sigur_ros).
Subscribers — 'trackfeed subscribe', or any ZeroMQ SUB socket — pick the
artists they want by topic prefix. It runs until Ctrl-C or SIGTERM.

While it runs, it watches DIR: files added, changed, renamed or removed
join or leave the feed within a couple of seconds, without a new scan.
On a terminal, a spinner counts the tracks while the first scan runs.`,
	examples: `trackfeed publish ~/Music
trackfeed publish --bind tcp://127.0.0.1:5555 --interval 1s ~/Music
trackfeed publish -b tcp://*:10001 -b ipc:///tmp/trackfeed.sock --order sequential ./sample-music
TRACKFEED_INTERVAL=0 trackfeed publish --log-level debug ./sample-music
trackfeed publish --query tcp://127.0.0.1:10002 ~/Music`,
	new: func() commandRunner { return new(publishCmd) },
}

type publishCmd struct {
	binds    []string
	queries  []string
	interval time.Duration
	order    string
	seed     optionalUint
	hwm      int
	maxSubs  int
	workers  int
	watch    bool
	cache    string
	noCache  bool
	log      logFlags
}

func (c *publishCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.binds, "bind", "b", []string{publisher.DefaultEndpoint},
		"bind to `ENDPOINT`, tcp://HOST:PORT or ipc://PATH;\nrepeat or separate with commas for more than one")
	fs.StringSliceVar(&c.queries, "query", []string{publisher.DefaultQueryEndpoint},
		"answer 'trackfeed query' (or any ZeroMQ REQ) on\n`ENDPOINT`; repeatable; --query '' answers none")
	fs.DurationVar(&c.interval, "interval", publisher.DefaultInterval,
		"wait `DURATION` between two tracks, such as 100ms or 2s;\n0 sends as fast as subscribers take them")
	fs.StringVar(&c.order, "order", "shuffle",
		"play `ORDER`: shuffle (every track once, then reshuffle)\nor sequential (by path)")
	fs.Var(&c.seed, "seed", "shuffle with `SEED` to play the same order again;\nif not given, a random seed is picked and logged")
	fs.IntVar(&c.hwm, "hwm", 1000,
		"`N` messages queued per subscriber; past this a slow\nsubscriber loses tracks, the others never wait")
	fs.IntVar(&c.maxSubs, "max-subscribers", 1024, "accept at most `N` subscribers at once; more are refused")
	fs.IntVar(&c.workers, "workers", 0, "read `N` files at once while scanning;\n0 means one per CPU")
	fs.BoolVar(&c.watch, "watch", true,
		"follow changes to DIR: files added, changed or removed\njoin or leave the feed; --watch=false scans only once")
	fs.StringVar(&c.cache, "cache", "",
		"remember tags in the scan cache `FILE`, so a restart reads\nonly the files that changed; default: a file per DIR\nunder $XDG_CACHE_HOME/trackfeed or ~/.cache/trackfeed")
	fs.BoolVar(&c.noCache, "no-cache", false, "read every file's tags at start; use no scan cache")
	c.log.define(fs)
}

func (c *publishCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) != 1 {
		return usageErrorf("want one DIR, the folder that holds your music (see 'trackfeed publish --help')")
	}
	dir := args[0]
	if c.interval < 0 {
		return usageErrorf("--interval %v: want 0 (as fast as possible) or more", c.interval)
	}
	order, ok := publisher.ParseOrder(c.order)
	if !ok {
		return usageErrorf("--order %q: want shuffle or sequential", c.order)
	}
	// Unlike libzmq's, an --hwm of 0 cannot mean "no limit" here: the
	// publisher package reads 0 as its default.
	for _, f := range []struct {
		name   string
		v, min int
	}{{"--hwm", c.hwm, 1}, {"--max-subscribers", c.maxSubs, 1}, {"--workers", c.workers, 0}} {
		if f.v < f.min {
			return usageErrorf("%s %d: want %d or more", f.name, f.v, f.min)
		}
	}
	prog, logTo := newProgress(st.stderr)
	defer prog.done()
	log, err := c.log.logger(logTo)
	if err != nil {
		return err
	}
	fsys, err := musicFolder(dir, "give the path to your music")
	if err != nil {
		return err
	}

	// Bind before scanning, so that a taken port fails at once rather than
	// after a long scan.
	sock, err := publisher.Listen(c.binds, publisher.SocketOptions{
		HWM:            c.hwm,
		MaxSubscribers: c.maxSubs,
		// Keep the goodbye short: SIGTERM must end the process within a second.
		Linger: 250 * time.Millisecond,
		Logger: log,
	})
	if err != nil {
		return err
	}
	defer sock.Close()

	seed := c.seed.v
	if !c.seed.set {
		seed = rand.Uint64()
	}
	list := publisher.NewPlaylist(order, seed)
	for i, ep := range sock.Endpoints() {
		log.Info("listening", "bind", c.binds[i], "connect", ep)
	}
	pub := publisher.New(sock, list, c.interval)
	var skipped atomic.Int64 // files the first scan left out, once it is done
	if len(c.queries) > 0 {
		qs, err := publisher.ListenQuery(c.queries, publisher.QuerySource{
			Publisher: pub, Playlist: list, Socket: sock,
			Skipped: func() int { return int(skipped.Load()) },
		}, publisher.QueryOptions{Logger: log})
		if err != nil {
			return err
		}
		defer qs.Close()
		for i, ep := range qs.Endpoints() {
			log.Info("answering queries", "query", c.queries[i], "connect", ep)
		}
	}

	// The watcher sets up (a watch on every folder) while the scan runs, so
	// that neither delays the first track, and its changes apply once the
	// scan is done. RunFrom then reconciles the two: a file created or
	// removed between the scan listing a folder and the watcher watching
	// it is read or removed; and a file removed during the scan cannot
	// come back, as the watcher's removals apply after the scan's Adds.
	watchCtx, stopWatching := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopWatching()
	watcher := make(chan *library.Watcher, 1)
	if c.watch {
		wg.Go(func() { watcher <- startWatching(watchCtx, dir, fsys, c.workers, log) })
	} else {
		watcher <- nil
	}

	// Broadcast from the first track found while the scan goes on: a large
	// library is on the air in well under a second, and the shuffle takes
	// in the rest as it arrives.
	first := make(chan struct{})
	var firstOnce sync.Once
	scanned := make(chan struct{})
	var scanErr error
	var seen map[string]bool // every audio file the scan saw
	// A restart plays what the scan cache remembers at once, while the scan
	// checks it against the files: what changed is read again and replaces
	// it, what is gone leaves when the scan is done.
	cache := c.openCache(dir, st.getenv, log)
	prog.start("scanning")
	wg.Go(func() {
		defer close(scanned)
		// A chunk at a time, decoded as it goes in, so the first is on the
		// air before the rest is decoded, whatever the cache's size; all
		// before the scan, whose Adds must come after (they are newer).
		var fromCache [][]library.Track
		if cache != nil {
			n := 0
			for chunk := range cache.TrackChunks() {
				list.Add(chunk...)
				firstOnce.Do(func() { close(first) })
				fromCache = append(fromCache, chunk)
				n += len(chunk)
			}
			if n > 0 {
				log.Info("playing the tracks of the scan cache while the scan checks them", "tracks", n)
			}
		}
		var lib *library.Library
		lib, scanErr = scanMusic(ctx, fsys, dir, c.workers, log, cache, func(t library.Track) {
			list.Add(t)
			prog.add()
			firstOnce.Do(func() { close(first) })
		})
		if lib != nil {
			skipped.Store(int64(len(lib.Skipped)))
			seen = make(map[string]bool, len(lib.Tracks)+len(lib.Skipped))
			for _, t := range lib.Tracks {
				seen[t.Path] = true
			}
			// Cached tracks the scan did not find as tracks are gone.
			gone := 0
			for _, chunk := range fromCache {
				for _, t := range chunk {
					if !seen[t.Path] && list.Remove(t.Path) {
						gone++
					}
				}
			}
			if gone > 0 {
				log.Info("library: tracks of the scan cache gone since", "removed", gone)
			}
			for _, sk := range lib.Skipped {
				seen[sk.Path] = true
			}
			saveCache(cache, log)
		}
		prog.done()
	})
	wg.Go(func() {
		w := <-watcher
		if w == nil {
			return
		}
		<-scanned
		if scanErr == nil {
			w.RunFrom(watchCtx, seen, applyChanges(list, log))
		}
		w.Close()
	})
	select {
	case <-first:
	case <-scanned:
		if ctx.Err() != nil {
			return nil
		}
		if scanErr != nil {
			return scanErr
		}
	}
	attrs := []any{"interval", c.interval.String(), "order", order.String()}
	if order == publisher.Shuffle {
		attrs = append(attrs, "seed", seed)
	}
	log.Info("publishing", attrs...)

	err = pub.Run(ctx)
	stopWatching()
	wg.Wait()
	if err == nil && ctx.Err() == nil {
		err = scanErr
	}
	if err != nil {
		return err
	}
	sock.Close()
	s := sock.Stats()
	log.Info("stopped", "queued", s.Queued, "dropped", s.Dropped, "refused", s.Rejected)
	return nil
}

// openCache opens the scan cache of dir, or returns nil with --no-cache or
// when there is nowhere to keep it. A cache that cannot be used is logged
// and rebuilt; it never stops the publisher.
func (c *publishCmd) openCache(dir string, getenv func(string) string, log *slog.Logger) *library.Cache {
	if c.noCache {
		return nil
	}
	path := c.cache
	if path == "" {
		cacheDir := getenv("XDG_CACHE_HOME")
		if cacheDir == "" && getenv("HOME") != "" {
			cacheDir = filepath.Join(getenv("HOME"), ".cache")
		}
		var err error
		if path, err = library.DefaultCachePath(cacheDir, dir); err != nil {
			log.Info("no scan cache: neither $XDG_CACHE_HOME nor $HOME is set (give --cache FILE)")
			return nil
		}
	}
	cache, err := library.OpenCache(path)
	if err != nil {
		log.Warn(err.Error())
	}
	log.Debug("scan cache", "file", path, "entries", cache.Len())
	return cache
}

// saveCache writes the scan cache back; a failure (a full disk, a
// read-only folder) is a warning: the next start reads every file again.
func saveCache(cache *library.Cache, log *slog.Logger) {
	if cache == nil {
		return
	}
	if err := cache.Save(); err != nil {
		log.Warn("could not save the scan cache; the next start reads every file again", "err", err)
		return
	}
	log.Debug("saved the scan cache", "file", cache.Path(), "entries", cache.Len())
}

// optionalUint is a uint64 flag that knows whether it was given.
type optionalUint struct {
	v   uint64
	set bool
}

func (o *optionalUint) String() string {
	if !o.set {
		return ""
	}
	return strconv.FormatUint(o.v, 10)
}

func (o *optionalUint) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return errors.New("want a whole number, 0 or more")
	}
	o.v, o.set = v, true
	return nil
}

func (o *optionalUint) Type() string { return "uint" }
