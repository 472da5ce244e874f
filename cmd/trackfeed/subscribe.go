package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
)

var subscribeCommand = command{
	name:     "subscribe",
	synopsis: "[flags] [PREFIX...]",
	summary:  "print the tracks of a feed as they arrive",
	about: `Subscribe connects to one or more publishers and prints each track on
stdout as it arrives, one line each, as "artist — album — title" unless
--json or --format says otherwise. Logs go to stderr, so stdout can be piped.

Each PREFIX picks artists by topic, their name in lower case with runs of
spaces and punctuation turned into one underscore and accents removed
("The Streets" is the_streets, "Sigur Rós" is sigur_ros): 'the_' gets every
"The ..." band. No PREFIX gets every track.

It waits for a publisher that is not up yet and reconnects when one
restarts, until Ctrl-C, SIGTERM or --count tracks.`,
	examples: `trackfeed subscribe
trackfeed subscribe the_ sigur_ros
trackfeed subscribe --now the_cure
trackfeed subscribe --count 5 --json | jq .title
trackfeed subscribe --format '{{.artist}} – {{.title}} ({{.year}})'
trackfeed subscribe -c tcp://music.local:10001 -c tcp://127.0.0.1:5555 bjork`,
	new: func() commandRunner { return new(subscribeCmd) },
}

type subscribeCmd struct {
	connect []string
	json    bool
	format  string
	count   int
	now     bool
	query   string
	station []string
	curve   curveClient
	log     logFlags
}

func (c *subscribeCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.connect, "connect", "c", []string{subscriber.DefaultEndpoint},
		"connect to the publisher at `ENDPOINT`, tcp://HOST:PORT\nor ipc://PATH; repeat or separate with commas for more\nthan one")
	fs.BoolVar(&c.json, "json", false,
		"print each track as a JSON object on one line, with\nevery field: topic artist album title v seq sent path\ntrack disc year genre album_artist station, and\nduration_ms and pace when known")
	fs.StringVar(&c.format, "format", "",
		"print each track with the Go text/template `TEMPLATE`\n(\\t and \\n are a tab and a newline); fields, named\nas in --json: {{.artist}} {{.album}} {{.title}}\n{{.track}} {{.disc}} {{.year}} {{.genre}} {{.album_artist}}\n{{.duration_ms}} {{.path}} {{.topic}} {{.seq}} {{.sent}}\n{{.station}} {{.pace}} {{.v}} (0 or \"\" when unknown);\nthe older names ({{.Artist}}, {{.TrackNo}}, {{.AlbumArtist}}...)\nstill work, deprecated")
	fs.IntVar(&c.count, "count", 0, "stop after `N` tracks; 0 runs until stopped")
	fs.BoolVar(&c.now, "now", false,
		"first print the track playing now if it matches a\nPREFIX (asked of the query socket, --query), then\nthe feed, without that track twice")
	fs.StringVar(&c.query, "query", "",
		"with --now, ask the query socket at `ENDPOINT`; default:\nthe one the publisher names as the feed connects, or\nthe host of the first --connect, port 10002")
	fs.StringSliceVar(&c.station, "station", nil,
		"print only the tracks of the publisher named `NAME` (its\n\"station\", as publish --station sets it); repeatable")
	c.curve.define(fs)
	c.log.defineQuiet(fs)
}

// errEnough ends a subscription that has printed --count tracks.
var errEnough = errors.New("enough tracks")

func (c *subscribeCmd) run(ctx context.Context, st stdio, prefixes []string) error {
	if c.count < 0 {
		return usageErrorf("--count %d: want a positive number, or 0 for no limit", c.count)
	}
	format, err := c.formatter()
	if err != nil {
		return err
	}
	if err := checkConnect("connect", c.connect...); err != nil {
		return err
	}
	if c.now && c.query != "" {
		if err := checkConnect("query", c.query); err != nil {
			return err
		}
	}
	log, err := c.log.loggerQuiet(st.stderr, !isTerminal(st.stdout))
	if err != nil {
		return err
	}

	// The prefixes are said once: in the log line when it shows, with the
	// names they came from, or else in slugPrefixes' one line.
	shown := make([]string, len(prefixes))
	for i, p := range prefixes {
		shown[i] = strconv.Quote(p)
		if q, err := topics.Prefix(p); err == nil && q != p {
			shown[i] = fmt.Sprintf("%q (from %q)", q, p)
		}
	}
	if len(shown) == 0 {
		shown = []string{"every artist"}
	}
	say := io.Discard
	if !log.Enabled(ctx, slog.LevelInfo) {
		say = st.stderr
	}
	if prefixes, err = slugPrefixes(say, "subscribe", prefixes); err != nil {
		return err
	}
	log.Info("subscribing", "connect", c.connect, "prefixes", strings.Join(shown, ", "))
	var line []byte
	n := 0
	p := &trackPrinter{print: func(t *subscriber.Track) error {
		if len(c.station) > 0 && !slices.Contains(c.station, t.Station) {
			return nil
		}
		var err error
		if line, err = format(line[:0], t); err != nil {
			return err
		}
		// One Write per line, straight to stdout: a pipe or file sees each
		// track as it arrives.
		if _, err := st.stdout.Write(line); err != nil {
			return &writeError{err}
		}
		if n++; n == c.count {
			return errEnough
		}
		return nil
	}}

	// --now asks while the feed connects rather than before it, which
	// narrows the window in which a track sent between the answer and the
	// subscription is missed; trackPrinter sorts out which prints first.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var nowErr error
	var wg sync.WaitGroup
	// Without --query, the first connection says where to ask: the query
	// socket its publisher names, or "" for one that names none.
	found := make(chan string, 1)
	tell := func(q string) {
		select {
		case found <- q:
		default:
		}
	}
	if c.now {
		wg.Go(func() {
			if nowErr = c.printNow(runCtx, p, prefixes, found, log); nowErr != nil {
				stop()
			}
		})
	}
	err = subscriber.Run(runCtx, subscriber.Options{Endpoints: c.connect, Prefixes: prefixes, Logger: log,
		CurveServer: c.curve.server, CurveKeys: c.curve.keys,
		OnQuery:   func(_, q string) { tell(q) },
		OnConnect: func(string) { tell("") },
	}, p.feed)
	stop()
	wg.Wait()
	if err == nil {
		err = nowErr
	}
	if err == nil && c.count > 0 && ctx.Err() != nil {
		return interrupted(ctx) // stopped before --count tracks
	}
	return endOfOutput(err)
}

// nowTimeout bounds subscribe --now's question to the query socket.
const nowTimeout = 5 * time.Second

// printNow asks the query socket for the track playing now and prints it
// if it matches one of prefixes (or there are none). A query that fails is
// a warning: the feed goes on.
// Without --query, it asks the query socket that the feed's publisher
// names, or else the one beside the first --connect.
func (c *subscribeCmd) printNow(ctx context.Context, p *trackPrinter, prefixes []string, found <-chan string, log *slog.Logger) error {
	qctx, cancel := context.WithTimeout(ctx, nowTimeout)
	defer cancel()
	endpoint := c.query
	if endpoint == "" {
		select {
		case endpoint = <-found:
		case <-qctx.Done():
		}
		if ctx.Err() != nil {
			return nil
		}
		if endpoint == "" {
			endpoint = query.EndpointBeside(c.connect[0])
		}
		log.Debug("--now: asking the query socket", "query", endpoint)
	}
	t, err := query.Client{Endpoint: endpoint, CurveServer: c.curve.server, CurveKeys: c.curve.keys}.Now(qctx)
	switch {
	case ctx.Err() != nil:
		return nil
	case err != nil:
		log.Warn("--now: cannot get the current track; going on with the feed", "query", endpoint, "err", err)
		return nil
	case len(prefixes) > 0 && !topics.MatchAny(t.Topic, prefixes):
		log.Debug("--now: the current track matches no prefix", "topic", t.Topic)
		return nil
	}
	return p.current(t)
}

// trackPrinter prints subscribe's tracks one at a time: the feed's, and
// with --now the one playing when it started, whichever comes first. The
// current track is printed only if the feed has printed nothing yet; the
// feed's copy of it, if it gets one, is not printed again.
type trackPrinter struct {
	print func(*subscriber.Track) error

	mu      sync.Mutex
	printed bool              // a track has been printed
	now     *subscriber.Track // the track printed as current, if any
}

// current prints t as the track playing now.
func (p *trackPrinter) current(t subscriber.Track) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.printed {
		return nil // the feed got there first: t is no news
	}
	p.printed, p.now = true, &t
	return p.print(&t)
}

// feed prints a track of the feed.
func (p *trackPrinter) feed(t subscriber.Track) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.now != nil && t.Seq == p.now.Seq && t.Path == p.now.Path && t.Sent.Equal(p.now.Sent) {
		return nil // the same message, received on both sockets
	}
	p.printed = true
	return p.print(&t)
}

// slugPrefixes turns the names among prefixes into their topics' prefixes
// ("The Streets" → the_streets), saying so once on stderr for cmd.
func slugPrefixes(stderr io.Writer, cmd string, prefixes []string) ([]string, error) {
	out := make([]string, len(prefixes))
	var said []string
	for i, p := range prefixes {
		q, err := topics.Prefix(p)
		if err != nil {
			return nil, usageErrorf("prefix %q: %v", p, err)
		}
		if q != p {
			said = append(said, fmt.Sprintf("%q → %s", p, q))
		}
		out[i] = q
	}
	if len(said) > 0 {
		fmt.Fprintf(stderr, "trackfeed: %s: topics are slugs of names: %s\n", cmd, strings.Join(said, ", "))
	}
	return out, nil
}

// formatter returns the function that prints a track as the flags ask,
// having checked a --format template against a sample track.
func (c *subscribeCmd) formatter() (func([]byte, *subscriber.Track) ([]byte, error), error) {
	switch {
	case c.json && c.format != "":
		return nil, usageErrorf("--json and --format: give one or the other")
	case c.json:
		return func(b []byte, t *subscriber.Track) ([]byte, error) {
			return appendJSON(b, t)
		}, nil
	case c.format != "":
		// \t and \n as typed in a shell are a tab and a newline, as in
		// docker's --format.
		text := strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(c.format)
		tmpl, err := template.New("format").Option("missingkey=error").Parse(text)
		fields := map[string]any{}
		if err == nil {
			// Catch unknown fields now, not at the first track.
			err = tmpl.Execute(io.Discard, templateFields(fields, &subscriber.Track{}))
		}
		if err != nil {
			return nil, usageErrorf("--format: %s (fields are listed in 'trackfeed subscribe --help')", oneLine(err))
		}
		return func(b []byte, t *subscriber.Track) ([]byte, error) {
			w := appendWriter{b}
			if err := tmpl.Execute(&w, templateFields(fields, t)); err != nil {
				return b, fmt.Errorf("--format: %s", oneLine(err))
			}
			if !strings.HasSuffix(string(w.b[len(b):]), "\n") {
				w.b = append(w.b, '\n')
			}
			return w.b, nil
		}, nil
	}
	return func(b []byte, t *subscriber.Track) ([]byte, error) {
		return appendTrackLine(b, t), nil
	}, nil
}

// templateFields fills m with t's fields for a --format template: under
// the names of its JSON (docs/PROTOCOL.md, frame 4), and under the Go
// names that templates used before, deprecated. It returns m.
func templateFields(m map[string]any, t *subscriber.Track) map[string]any {
	m["topic"], m["Topic"] = t.Topic, t.Topic
	m["artist"], m["Artist"] = t.Artist, t.Artist
	m["album"], m["Album"] = t.Album, t.Album
	m["title"], m["Title"] = t.Title, t.Title
	m["v"], m["Version"] = t.Version, t.Version
	m["seq"], m["Seq"] = t.Seq, t.Seq
	m["sent"], m["Sent"] = t.Sent, t.Sent
	m["path"], m["Path"] = t.Path, t.Path
	m["track"], m["TrackNo"] = t.TrackNo, t.TrackNo
	m["disc"], m["Disc"] = t.Disc, t.Disc
	m["year"], m["Year"] = t.Year, t.Year
	m["genre"], m["Genre"] = t.Genre, t.Genre
	m["album_artist"], m["AlbumArtist"] = t.AlbumArtist, t.AlbumArtist
	m["station"], m["Station"] = t.Station, t.Station
	m["duration_ms"] = t.DurationMS
	m["pace"] = t.Pace
	return m
}

// appendTrackLine appends the default line for t: artist — album — title.
func appendTrackLine(b []byte, t *subscriber.Track) []byte {
	b = append(b, t.Artist...)
	b = append(b, " — "...)
	b = append(b, t.Album...)
	b = append(b, " — "...)
	b = append(b, t.Title...)
	return append(b, '\n')
}

// appendJSON appends v as JSON and a newline, leaving "&", "<" and ">" as
// they are (Simon & Garfunkel, not Simon \u0026 Garfunkel).
func appendJSON(b []byte, v any) ([]byte, error) {
	w := appendWriter{b}
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return w.b, err
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// oneLine keeps an error on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// writeError is a failed write to stdout.
type writeError struct{ err error }

func (e *writeError) Error() string {
	err := e.err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // "write /dev/stdout: " says it twice
	}
	return "write to stdout: " + err.Error()
}
func (e *writeError) Unwrap() error { return e.err }

// endOfOutput turns the reasons a command stops printing early into
// success: --count reached, or a reader that closed the pipe
// ('trackfeed subscribe | head -1'). Other write errors, such as a full
// disk, stay errors.
func endOfOutput(err error) error {
	if errors.Is(err, errEnough) || errors.Is(err, syscall.EPIPE) {
		return nil
	}
	return err
}
