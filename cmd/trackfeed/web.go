package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/web"
)

var webCommand = command{
	name:     "web",
	synopsis: "[flags]",
	summary:  "serve a live now-playing page of a feed to browsers",
	about: `Web subscribes to a feed and serves a page at --http that shows the track
playing now, large, and the 20 before it, updated live. The page's prefix
box picks artists by topic prefix, as 'trackfeed subscribe' does ('the_'
for every "The ..." band); the server does the filtering. The page loads
nothing from the internet, and reconnects by itself when the server
restarts.

The track's cover art comes from the publisher's query socket (--query),
which the server asks once for each picture and keeps the last 32 MiB of;
the page draws a record for a track without one. A relay's query socket
has none: point --query at the publisher's.

The page's badge tells the truth about the feed: connecting, live, or
offline since a time. /healthz answers "ok" while the feed is connected
and fails (503) once it has been unreachable for 10 seconds. /metrics has
Prometheus metrics: whether the feed is connected, when the last track
came, tracks received, pages connected, reconnects, slow pages dropped,
and the publisher's count of refused CURVE clients (from its 'stats').
With --curve-server, the feed and the query socket both speak CURVE.

It waits for a publisher that is not up yet and reconnects when one
restarts, until Ctrl-C or SIGTERM.`,
	examples: `trackfeed web
trackfeed web --http :8080 -c tcp://music.local:10001
curl -s localhost:8080/metrics | grep ^trackfeed_web`,
	new: func() commandRunner { return new(webCmd) },
}

type webCmd struct {
	connect []string
	curve   curveClient
	query   string
	http    string
	log     logFlags
}

func (c *webCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.connect, "connect", "c", []string{subscriber.DefaultEndpoint},
		"connect to the publisher at `ENDPOINT`, tcp://HOST:PORT\nor ipc://PATH; repeat or separate with commas for more\nthan one")
	fs.StringVar(&c.query, "query", "",
		"ask the query socket at `ENDPOINT` for the artists to pick\nfrom and the cover art; default: the one the publisher\nnames as the feed connects, or the host of the first\n--connect, port 10002")
	fs.StringVar(&c.http, "http", "127.0.0.1:8080",
		"serve the page on `ADDRESS`, HOST:PORT; :8080 lets\nother machines in, port 0 picks a free port")
	c.curve.define(fs)
	c.log.define(fs)
}

func (c *webCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) > 0 {
		return usageErrorf("takes no arguments; give the feed with --connect (see 'trackfeed web --help')")
	}
	if err := checkConnect("connect", c.connect...); err != nil {
		return err
	}
	fromFeed := c.query == ""
	if fromFeed {
		c.query = query.EndpointBeside(c.connect[0])
	}
	if err := checkConnect("query", c.query); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.http); err != nil || strings.Contains(c.http, "/") {
		return usageErrorf("--http %s: want HOST:PORT to listen on, such as 127.0.0.1:8080 or :8080 (not a URL)", c.http)
	}
	log, err := c.log.logger(st.stderr)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.http)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("--http %s: address already in use (is another trackfeed web running? choose another address with --http)", c.http)
	}
	if err != nil {
		return fmt.Errorf("--http %s: %w", c.http, err)
	}
	defer l.Close()
	log.Info("serving", "url", "http://"+l.Addr().String()+"/", "connect", c.connect)
	return web.New(web.Options{Logger: log, Query: c.query, QueryFromFeed: fromFeed, QueryCurveServer: c.curve.server, QueryCurveKeys: c.curve.keys}).Run(ctx, l, subscriber.Options{Endpoints: c.connect, Logger: log,
		CurveServer: c.curve.server, CurveKeys: c.curve.keys})
}
