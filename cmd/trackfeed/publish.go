package main

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
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
artists they want by topic prefix. It runs until Ctrl-C or SIGTERM.`,
	examples: `trackfeed publish ~/Music
trackfeed publish --bind tcp://127.0.0.1:5555 --interval 1s ~/Music
trackfeed publish -b tcp://*:10001 -b ipc:///tmp/trackfeed.sock --order sequential ./sample-music
TRACKFEED_INTERVAL=0 trackfeed publish --log-level debug ./sample-music`,
	new: func() commandRunner { return new(publishCmd) },
}

type publishCmd struct {
	binds    []string
	interval time.Duration
	order    string
	seed     optionalUint
	hwm      int
	maxSubs  int
	workers  int
	log      logFlags
}

func (c *publishCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.binds, "bind", "b", []string{publisher.DefaultEndpoint},
		"bind to `ENDPOINT`, tcp://HOST:PORT or ipc://PATH;\nrepeat or separate with commas for more than one")
	fs.DurationVar(&c.interval, "interval", publisher.DefaultInterval,
		"wait `DURATION` between two tracks, such as 100ms or 2s;\n0 sends as fast as subscribers take them")
	fs.StringVar(&c.order, "order", "shuffle",
		"play `ORDER`: shuffle (every track once, then reshuffle)\nor sequential (by path)")
	fs.Var(&c.seed, "seed", "shuffle with `SEED` to play the same order again;\nif not given, a random seed is picked and logged")
	fs.IntVar(&c.hwm, "hwm", 1000,
		"`N` messages queued per subscriber; past this a slow\nsubscriber loses tracks, the others never wait")
	fs.IntVar(&c.maxSubs, "max-subscribers", 1024, "accept at most `N` subscribers at once; more are refused")
	fs.IntVar(&c.workers, "workers", 0, "read `N` files at once while scanning;\n0 means one per CPU")
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
	log, err := c.log.logger(st.stderr)
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

	// Broadcast from the first track found while the scan goes on: a large
	// library is on the air in well under a second, and the shuffle takes
	// in the rest as it arrives.
	first := make(chan struct{})
	var firstOnce sync.Once
	scanned := make(chan error, 1)
	go func() {
		_, err := scanMusic(ctx, fsys, dir, c.workers, log, func(t library.Track) {
			list.Add(t)
			firstOnce.Do(func() { close(first) })
		})
		scanned <- err
	}()
	select {
	case <-first:
	case err := <-scanned:
		if err != nil || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	attrs := []any{"interval", c.interval.String(), "order", order.String()}
	if order == publisher.Shuffle {
		attrs = append(attrs, "seed", seed)
	}
	log.Info("publishing", attrs...)

	err = publisher.New(sock, list, c.interval).Run(ctx)
	if scanErr := <-scanned; err == nil && ctx.Err() == nil {
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
