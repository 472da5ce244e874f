package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/wire"
)

var queryCommand = command{
	name:     "query",
	synopsis: "[flags] now [STATION] | artists [PREFIX] | stats | stations | hello NAME",
	summary:  "ask a running publisher what it plays, its artists, its counters",
	about: `Query asks a publisher's query socket (publish --query, port 10002 by
default) one question, and prints the answer on stdout:

  now               the track sent last, as subscribe prints it
  artists [PREFIX]  the artists whose topic starts with PREFIX, one a line:
                    topic, number of tracks and name, separated by tabs
  stats             tracks, artists, albums, skipped files, subscribers,
                    uptime and messages sent, one "key: value" a line
  hello NAME        the classic ZeroMQ exchange: the answer is "Hello NAME"
  stations          at a relay: the publishers it forwards, one a line:
                    station, messages forwarded and the time of the last
  now STATION       at a relay: the track that STATION sent last

--json prints the answer as JSON instead (artists: one object a line). Any
ZeroMQ REQ socket can ask the same questions (see docs/PROTOCOL.md).`,
	examples: `trackfeed query now
trackfeed query artists the_
trackfeed query --json stats | jq .subscribers
trackfeed query -c tcp://music.local:10002 hello world
trackfeed query -c tcp://relay.local:10002 stations`,
	new: func() commandRunner { return new(queryCmd) },
}

type queryCmd struct {
	connect string
	timeout time.Duration
	json    bool
	curve   curveClient
}

func (c *queryCmd) flags(fs *pflag.FlagSet) {
	fs.StringVarP(&c.connect, "connect", "c", query.DefaultEndpoint,
		"ask the publisher's query socket at `ENDPOINT`,\ntcp://HOST:PORT or ipc://PATH")
	// The same variable as publish's and subscribe's --query: one setting
	// for the query socket everywhere.
	fs.SetAnnotation("connect", envAnnotation, []string{"TRACKFEED_QUERY"})
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "give up after `DURATION` without an answer")
	fs.BoolVar(&c.json, "json", false, "print the answer as JSON")
	c.curve.define(fs)
}

// queryRequests lists the requests for usage errors.
const queryRequests = "now [STATION], artists [PREFIX], stats, stations or hello NAME"

func (c *queryCmd) run(ctx context.Context, st stdio, args []string) error {
	if err := checkConnect("connect", c.connect); err != nil {
		return err
	}
	if c.timeout <= 0 {
		return usageErrorf("--timeout %v: want more than 0, such as 5s", c.timeout)
	}
	if len(args) == 0 {
		return usageErrorf("want a request: %s (see 'trackfeed query --help')", queryRequests)
	}
	req, rest := args[0], args[1:]
	switch {
	case (req == "stats" || req == "stations") && len(rest) > 0:
		return usageErrorf("%s takes no argument (see 'trackfeed query --help')", req)
	case req == "now" && len(rest) > 1:
		return usageErrorf("now takes one STATION at most (see 'trackfeed query --help')")
	case req == "artists" && len(rest) > 1:
		return usageErrorf("artists takes one PREFIX at most (see 'trackfeed query --help')")
	case req == "hello" && len(rest) == 0:
		return usageErrorf("hello wants a NAME, as in: trackfeed query hello world")
	case req != "now" && req != "stats" && req != "artists" && req != "hello" && req != "stations":
		return usageErrorf("unknown request %q: want %s (see 'trackfeed query --help')", req, queryRequests)
	}

	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cl := query.Client{Endpoint: c.connect, CurveServer: c.curve.server, CurveKeys: c.curve.keys}
	var noMatch error
	var out []byte
	var err error
	switch req {
	case "now":
		var t wire.Track
		if len(rest) == 1 {
			t, err = cl.NowAt(qctx, rest[0])
		} else {
			t, err = cl.Now(qctx)
		}
		if err == nil {
			out, err = c.appendNow(out, &t)
		}
	case "stations":
		var st []query.Station
		if st, err = cl.Stations(qctx); err == nil {
			out, err = c.appendStations(out, st)
		}
	case "artists":
		prefix := []string{""}
		if len(rest) == 1 {
			if prefix, err = slugPrefixes(st.stderr, "query", rest); err != nil {
				return err
			}
		}
		var artists []query.Artist
		if artists, err = cl.Artists(qctx, prefix[0]); err == nil {
			out, err = c.appendArtists(out, artists)
			if len(artists) == 0 && prefix[0] != "" {
				// Like grep: no match is status 1, with nothing printed.
				noMatch = &exitError{code: 1}
			}
		}
	case "stats":
		var s query.Stats
		if s, err = cl.Stats(qctx); err == nil {
			out, err = c.appendStats(out, &s)
		}
	case "hello":
		// Unquoted names arrive as several words: hello Sigur Rós.
		var reply [][]byte
		if reply, err = cl.Do(qctx, "hello", strings.Join(rest, " ")); err == nil {
			out, err = c.appendHello(out, reply)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		return c.explain(err)
	}
	if _, err := st.stdout.Write(out); err != nil {
		return endOfOutput(&writeError{err})
	}
	return noMatch
}

// explain turns a failed query into one line that says what to check.
func (c *queryCmd) explain(err error) error {
	var na *query.NoAnswerError
	var qe *query.Error
	const hint = "(is 'trackfeed publish' running? is --query enabled?)"
	var ie *zmtp.IncompatibleError
	var cr *curve.RefusedError
	switch {
	case errors.As(err, &cr):
		return fmt.Errorf("%s refused this client's CURVE key: %s (give an admitted key pair with --curve-key)", c.connect, cr.Reason)
	case errors.As(err, &ie) && ie.Peer == "PUB":
		return fmt.Errorf("%s is a feed (a PUB socket), not a query socket: a publisher answers queries on its --query port, 10002 unless told otherwise", c.connect)
	case errors.As(err, &ie):
		return fmt.Errorf("%s is a %s socket, not a query socket (is this the right port?)", c.connect, ie.Peer)
	case errors.As(err, &na) && errors.Is(na.Err, context.DeadlineExceeded):
		return fmt.Errorf("no answer from %s within %v %s", c.connect, c.timeout, hint)
	case errors.As(err, &na):
		return fmt.Errorf("%v %s", err, hint)
	case errors.As(err, &qe):
		return fmt.Errorf("%s answered: %s", c.connect, qe.Message)
	}
	return err
}

func (c *queryCmd) appendNow(b []byte, t *wire.Track) ([]byte, error) {
	if c.json {
		return appendJSON(b, t)
	}
	return appendTrackLine(b, t), nil
}

// appendArtists appends one line per artist: topic, tracks and name,
// separated by tabs, or a JSON object.
func (c *queryCmd) appendArtists(b []byte, artists []query.Artist) ([]byte, error) {
	for _, a := range artists {
		if c.json {
			var err error
			if b, err = appendJSON(b, &a); err != nil {
				return b, err
			}
			continue
		}
		b = appendField(b, a.Slug)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(a.Tracks), 10)
		b = append(b, '\t')
		b = appendField(b, a.Name)
		b = append(b, '\n')
	}
	return b, nil
}

// appendStats appends "key: value" lines in the order of the JSON object.
func (c *queryCmd) appendStats(b []byte, s *query.Stats) ([]byte, error) {
	if c.json {
		return appendJSON(b, s)
	}
	uptime := time.Duration(s.UptimeSeconds * float64(time.Second)).Round(time.Second)
	for _, kv := range []struct {
		k string
		v any
	}{
		{"tracks", s.Tracks}, {"artists", s.Artists}, {"albums", s.Albums}, {"skipped", s.Skipped},
		{"subscribers", s.Subscribers}, {"uptime", uptime}, {"sent", s.Sent}, {"queued", s.Queued}, {"dropped", s.Dropped},
		{"refused", s.Refused}, {"curve_refused", s.CurveRefused},
	} {
		b = fmt.Appendf(b, "%s: %v\n", kv.k, kv.v)
	}
	return b, nil
}

// appendStations appends one line per station: name, messages and the
// time of the last, separated by tabs, or a JSON object.
func (c *queryCmd) appendStations(b []byte, st []query.Station) ([]byte, error) {
	for _, s := range st {
		if c.json {
			var err error
			if b, err = appendJSON(b, &s); err != nil {
				return b, err
			}
			continue
		}
		b = appendField(b, s.Name)
		b = fmt.Appendf(b, "\t%d\t%s\n", s.Messages, s.Last.Format(time.RFC3339))
	}
	return b, nil
}

// appendHello appends the greeting, or {"reply": ...} with --json.
func (c *queryCmd) appendHello(b []byte, reply [][]byte) ([]byte, error) {
	if len(reply) != 1 {
		return b, fmt.Errorf("reply to hello from %s: %d frames, want 1", c.connect, len(reply))
	}
	if c.json {
		return appendJSON(b, map[string]string{"reply": string(reply[0])})
	}
	b = appendField(b, string(reply[0]))
	return append(b, '\n'), nil
}
