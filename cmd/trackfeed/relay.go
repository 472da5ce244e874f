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
redialing an upstream that goes away.

Each side speaks CURVE on its own terms: --curve-secret for subscribers and
queries, --curve-listen-secret for publishers that connect in, and
--curve-upstream for the publishers or relays it dials. A side without
its flag stays in the clear, so a relay may take a loopback publisher's
feed as it is and serve it encrypted to the world.`,
	examples: `trackfeed relay --connect tcp://music-box:10001
trackfeed relay -c tcp://kitchen:10001 -c tcp://attic:10001 --bind tcp://*:10001
trackfeed relay --listen tcp://*:10003 --query tcp://*:10002
trackfeed relay -c tcp://music-box:10001 -b tcp://127.0.0.1:10011 --query ''
trackfeed relay -c tcp://127.0.0.1:10001 --curve-secret relay.key --curve-clients allowed/`,
	new: func() commandRunner { return new(relayCmd) },
}

type relayCmd struct {
	cfg      relay.Config
	upstream curveClient
	log      logFlags
}

func (c *relayCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.cfg.Connect, "connect", "c", nil, "subscribe upstream at `ENDPOINT`: a publisher, relay or\nproxy; repeat or separate with commas for more than one")
	// Not TRACKFEED_CONNECT: that is where subscribe connects, and a relay
	// given it would subscribe to itself.
	fs.SetAnnotation("connect", envAnnotation, []string{"TRACKFEED_UPSTREAM"})
	fs.StringSliceVar(&c.cfg.Listen, "listen", nil, "wait on `ENDPOINT` for publishers that connect\n(publish --connect); repeatable")
	fs.StringSliceVarP(&c.cfg.Bind, "bind", "b", []string{relay.DefaultBind}, "serve subscribers on `ENDPOINT`, tcp://HOST:PORT or\nipc://PATH; repeatable")
	fs.StringSliceVar(&c.cfg.Query, "query", []string{query.DefaultBind}, "answer 'trackfeed query' on `ENDPOINT`; repeatable;\n--query '' answers none")
	fs.Var(serverKeyFlag{&c.cfg.Curve}, "curve-secret", "serve subscribers and queries with CURVE only, with the\nsecret key of `FILE` (trackfeed keygen's NAME.key); clients\nneed NAME.pub")
	fs.Var(allowlistFlag{&c.cfg.CurveAdmit}, "curve-clients", "with --curve-secret, admit only the client keys of `PATH`:\na file of keys, one a line, or a folder of .pub files;\nread again when it changes")
	fs.Var(serverKeyFlag{&c.cfg.ListenCurve}, "curve-listen-secret", "take publishers on --listen with CURVE only, with the\nsecret key of `FILE`; they need NAME.pub\n(publish --curve-relay)")
	fs.Var(allowlistFlag{&c.cfg.ListenCurveAdmit}, "curve-listen-clients", "with --curve-listen-secret, admit only the publisher keys\nof `PATH`, as --curve-clients does")
	c.upstream.defineServer(fs, "curve-upstream", "speak CURVE to the --connect upstreams, of public `KEY`\n(its 40 Z85 characters, or a file such as keygen's\nNAME.pub)")
	c.upstream.defineKeys(fs, "with --curve-upstream, be the client of key pair `NAME`\n(NAME.key and NAME.pub, from trackfeed keygen); default:\na new pair each run, for an upstream that admits anyone")
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
	if err := c.checkCurve(); err != nil {
		return err
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

// checkCurve checks that each CURVE flag has the side it is for, and puts
// the upstream's keys in the config.
func (c *relayCmd) checkCurve() error {
	cfg := &c.cfg
	switch {
	case cfg.ListenCurve != nil && len(cfg.Listen) == 0:
		return usageErrorf("--curve-listen-secret is for publishers that connect in: give --listen ENDPOINT too")
	case c.upstream.server != nil && len(cfg.Connect) == 0:
		return usageErrorf("--curve-upstream is for the upstreams the relay dials: give --connect ENDPOINT too")
	}
	for _, err := range []error{
		checkCurveServer(cfg.Curve, cfg.CurveAdmit, "curve-secret", "curve-clients"),
		checkCurveServer(cfg.ListenCurve, cfg.ListenCurveAdmit, "curve-listen-secret", "curve-listen-clients"),
	} {
		if err != nil {
			return err
		}
	}
	cfg.UpstreamCurve, cfg.UpstreamCurveKeys = c.upstream.server, c.upstream.keys
	return nil
}
