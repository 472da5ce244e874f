package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/relay"
)

var relayCommand = command{
	name:     "relay",
	synopsis: "[flags]",
	summary:  "carry a feed further: subscribe upstream, serve subscribers",
	about: `Relay connects to one or more publishers (or other relays, or libzmq's
XSUB/XPUB proxy) with --connect, and/or waits for publishers that connect
to it (publish --connect) on --listen; it serves subscribers and further
relays on --bind, as a publisher does. It subscribes upstream to what its
subscribers want, the union of their prefixes, and forwards each message
as it came, byte for byte. Each subscriber has its own queue (--hwm): a
slow one loses messages, the others never wait.

Its query socket answers 'now' (the track forwarded last; 'now STATION' for
one publisher's), 'stations' and 'stats'. It runs until Ctrl-C or SIGTERM,
redialing an upstream that goes away.`,
	examples: `trackfeed relay --connect tcp://music-box:10001
trackfeed relay -c tcp://kitchen:10001 -c tcp://attic:10001 --bind tcp://*:10001
trackfeed relay --listen tcp://*:10003 --query tcp://*:10002
trackfeed relay -c tcp://music-box:10001 -b tcp://127.0.0.1:10011 --query ''`,
	new: func() commandRunner { return new(relayCmd) },
}

type relayCmd struct {
	cfg relay.Config
	log logFlags
}

func (c *relayCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.cfg.Connect, "connect", "c", nil, "subscribe upstream at `ENDPOINT`: a publisher, relay or\nproxy; repeat or separate with commas for more than one")
	// Not TRACKFEED_CONNECT: that is where subscribe connects, and a relay
	// given it would subscribe to itself.
	fs.SetAnnotation("connect", envAnnotation, []string{"TRACKFEED_UPSTREAM"})
	fs.StringSliceVar(&c.cfg.Listen, "listen", nil, "wait on `ENDPOINT` for publishers that connect\n(publish --connect); repeatable")
	fs.StringSliceVarP(&c.cfg.Bind, "bind", "b", []string{relay.DefaultBind}, "serve subscribers on `ENDPOINT`, tcp://HOST:PORT or\nipc://PATH; repeatable")
	fs.StringSliceVar(&c.cfg.Query, "query", []string{query.DefaultBind}, "answer 'trackfeed query' on `ENDPOINT`; repeatable;\n--query '' answers none")
	fs.IntVar(&c.cfg.HWM, "hwm", 1000, "`N` messages queued per subscriber; past this a slow\nsubscriber loses messages, the others never wait")
	fs.IntVar(&c.cfg.MaxSubscribers, "max-subscribers", 1024, "accept at most `N` subscribers at once; more are refused")
	c.log.define(fs)
}

func (c *relayCmd) run(ctx context.Context, st stdio, args []string) error {
	cfg := &c.cfg
	switch {
	case len(args) > 0:
		return usageErrorf("takes no arguments, got %q (see 'trackfeed relay --help')", args[0])
	case len(cfg.Connect) == 0 && len(cfg.Listen) == 0:
		return usageErrorf("nothing upstream: give --connect ENDPOINT (a publisher or relay) or --listen ENDPOINT (for publishers that connect)")
	case cfg.HWM < 1:
		return usageErrorf("--hwm %d: want 1 or more", cfg.HWM)
	case cfg.MaxSubscribers < 1:
		return usageErrorf("--max-subscribers %d: want 1 or more", cfg.MaxSubscribers)
	}
	for _, err := range []error{checkConnect("connect", cfg.Connect...), checkBind("listen", cfg.Listen...),
		checkBind("bind", cfg.Bind...), checkBind("query", cfg.Query...)} {
		if err != nil {
			return err
		}
	}
	var err error
	if cfg.Logger, err = c.log.logger(st.stderr); err != nil {
		return err
	}
	r, err := relay.New(*cfg)
	var bind *relay.BindError
	if errors.As(err, &bind) && errors.Is(err, syscall.EADDRINUSE) {
		flag := map[string]string{"feed": "--bind", "listen": "--listen", "query": "--query"}[bind.Socket]
		return fmt.Errorf("%w (is a publisher or relay running here? choose another port with %s)", err, flag)
	}
	if err != nil {
		return err
	}
	return r.Run(ctx)
}
