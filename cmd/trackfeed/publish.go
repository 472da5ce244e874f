package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/query"
)

var publishCommand = command{
	name:     "publish",
	synopsis: "[flags] DIR | --ventilator ENDPOINT [FOLDER]",
	summary:  "scan a music folder and broadcast its tracks",
	about: `Publish scans DIR for audio files (.mp3, .flac, .m4a, .ogg, .opus, .wav...),
logs what it found, then broadcasts one track every --interval (with
--pace real, each for its own duration) on a ZeroMQ PUB socket, each
message under its artist's topic (the_streets, sigur_ros).
Subscribers — 'trackfeed subscribe', or any ZeroMQ SUB socket — pick the
artists they want by topic prefix. It runs until Ctrl-C or SIGTERM.

While it runs, it watches DIR: files added, changed, renamed or removed
join or leave the feed within a couple of seconds, without a new scan.
On a terminal, a spinner counts the tracks while the first scan runs.`,
	examples: `trackfeed publish ~/Music
trackfeed publish --bind tcp://127.0.0.1:5555 --interval 1s ~/Music
trackfeed publish --pace real ~/Music            # like a radio
trackfeed publish -b tcp://*:10001 -b ipc:///tmp/trackfeed.sock --order sequential ./sample-music
TRACKFEED_INTERVAL=0 trackfeed publish --log-level debug ./sample-music
trackfeed publish --query tcp://127.0.0.1:10002 ~/Music
trackfeed publish --ventilator nas.local --rescan 1h   # read by 'trackfeed worker' on the NAS
trackfeed publish --connect tcp://relay.local:10003 --station kitchen ~/Music`,
	new: func() commandRunner { return new(publishCmd) },
}

type publishCmd struct {
	cfg     publisher.Config
	order   string
	pace    string
	cache   string
	noCache bool
	log     logFlags
	remote  publishRemote
}

func (c *publishCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.cfg.Bind, "bind", "b", []string{publisher.DefaultBind}, "bind to `ENDPOINT`, tcp://HOST:PORT or ipc://PATH;\nrepeat or separate with commas for more than one")
	defineStationFlags(fs, &c.cfg)
	c.remote.curve.defineKeys(fs, "with --curve-relay or --curve-ventilator, be the client\nof key pair `NAME` (NAME.key and NAME.pub, from trackfeed\nkeygen); default: the --curve-secret pair, else a new pair\neach run")
	fs.StringSliceVar(&c.cfg.Query, "query", []string{query.DefaultBind}, "answer 'trackfeed query' (or any ZeroMQ REQ) on\n`ENDPOINT`; repeatable; --query '' answers none")
	fs.SetAnnotation("query", envAnnotation, []string{"TRACKFEED_QUERY_BIND"}) // TRACKFEED_QUERY is where clients connect
	fs.DurationVar(&c.cfg.Interval, "interval", publisher.DefaultInterval, "wait `DURATION` between two tracks, such as 100ms or 2s;\n0 sends as fast as subscribers take them")
	fs.StringVar(&c.pace, "pace", "interval", "hold each track on the air for `PACE`: interval (the\n--interval) or real (its duration, like a radio; the\ninterval for a track of unknown duration)")
	fs.StringVar(&c.order, "order", "shuffle", "play `ORDER`: shuffle (every track once, then reshuffle)\nor sequential (by path)")
	fs.Var((*seedFlag)(&c.cfg.Seed), "seed", "shuffle with `SEED` to play the same order again;\nif not given, a random seed is picked and logged")
	fs.IntVar(&c.cfg.HWM, "hwm", 1000, "`N` messages queued per subscriber; past this a slow\nsubscriber loses tracks, the others never wait")
	fs.IntVar(&c.cfg.MaxSubscribers, "max-subscribers", 1024, "accept at most `N` subscribers at once; more are refused")
	fs.IntVar(&c.cfg.Workers, "workers", 0, "read `N` files at once while scanning;\n0 means one per CPU")
	fs.BoolVar(&c.cfg.Watch, "watch", true, "follow changes to DIR: files added, changed or removed\njoin or leave the feed; --watch=false scans only once")
	fs.StringVar(&c.cache, "cache", "", "remember tags in the scan cache `FILE`, so a restart reads\nonly the files that changed; default: a file per DIR\nunder $XDG_CACHE_HOME/trackfeed or ~/.cache/trackfeed")
	fs.BoolVar(&c.noCache, "no-cache", false, "read every file's tags at start; use no scan cache")
	c.log.define(fs)
	c.remote.define(fs)
}

func (c *publishCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) != 1 && c.remote.ventilator == "" {
		return usageErrorf("want one DIR, the folder that holds your music (see 'trackfeed publish --help')")
	}
	if err := c.check(); err != nil {
		return err
	}
	cfg := &c.cfg
	prog, logTo := newProgress(st.stderr, st.progressDelay)
	defer prog.done()
	var err error
	if cfg.Logger, err = c.log.logger(logTo); err != nil {
		return err
	}
	if c.remote.ventilator != "" {
		return c.remote.run(ctx, c, st, args, prog)
	}
	cfg.Dir = args[0]
	if _, err := musicFolder(cfg.Dir, "give the path to your music"); err != nil {
		return err
	}
	if cfg.Cache = c.cache; cfg.Cache == "" && !c.noCache {
		if cfg.Cache = defaultCachePath(st.getenv, cfg.Dir); cfg.Cache == "" {
			cfg.Logger.Info("no scan cache: neither $XDG_CACHE_HOME nor $HOME is set (give --cache FILE)")
		}
	}
	if c.noCache {
		cfg.Cache = ""
	}
	return c.publish(ctx, prog)
}
