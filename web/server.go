package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// History is how many tracks the page lists below the current one
	// (default 20).
	History int
	// Backlog is how many recent tracks the server keeps to fill the list
	// of a page that connects (default 1000, at least History+1), so that
	// a page filtered to one artist finds that artist's recent tracks too.
	Backlog int
	// ClientBuffer is how many tracks may wait to be written to one page
	// (default 64). A page that falls further behind is dropped; its
	// browser reconnects and starts afresh.
	ClientBuffer int
	// Retry is how long a browser waits before reconnecting to a stream
	// that ended (default 2s).
	Retry time.Duration
	// KeepAlive is how often a comment is sent on the event stream, so
	// that proxies keep a quiet stream open (default 15s).
	KeepAlive time.Duration
	// WriteTimeout ends a stream whose write takes longer (default 10s):
	// a page that stopped reading lets go of its connection.
	WriteTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits for requests to finish
	// once its context ends (default 5s).
	ShutdownTimeout time.Duration
	// FeedGrace is how long the feed may be unreachable before /healthz
	// fails (default 10s): a publisher's restart does not page anyone.
	FeedGrace time.Duration
	// Query, if set, is the publisher's query socket: /artists lists its
	// artists, and the page offers them in its prefix box; /cover/ID
	// serves the cover art it gives; /metrics has the publisher's count
	// of refused CURVE clients, from its "stats"; and Follow asks it for
	// the track playing now, so that the page has one before the feed
	// sends the next (minutes away with publish --pace real).
	Query string
	// QueryFromFeed, if set, takes the query socket the feed names in
	// its handshake (X-Query; docs/PROTOCOL.md) in place of Query once
	// the feed connects: so one address, the feed's, is enough.
	QueryFromFeed bool
	// QueryCurveServer, if set, is the publisher's CURVE public key: the
	// server asks its query socket in CURVE, as the client of key pair
	// QueryCurveKeys (nil: a new pair each time, for a publisher that
	// admits anyone). The feed's keys are subscriber.Options'.
	QueryCurveServer *curve.Key
	QueryCurveKeys   *curve.KeyPair
	// CoverCache bounds, in bytes, the cover art the server keeps in
	// memory (default 32 MiB); a picture larger than a quarter of it is
	// sent but not kept.
	CoverCache int64
	// Logger receives the server's events (default: discard).
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.History <= 0 {
		o.History = 20
	}
	if o.Backlog <= 0 {
		o.Backlog = 1000
	}
	o.Backlog = max(o.Backlog, o.History+1) // room for a full page
	if o.ClientBuffer <= 0 {
		o.ClientBuffer = 64
	}
	if o.Retry <= 0 {
		o.Retry = 2 * time.Second
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 5 * time.Second
	}
	if o.FeedGrace <= 0 {
		o.FeedGrace = 10 * time.Second
	}
	if o.CoverCache <= 0 {
		o.CoverCache = 32 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// maxPrefix bounds the prefix a page may ask for, in bytes; topics are
// artist slugs. The page's box takes 256 characters, at most 768 bytes.
const maxPrefix = 1024

//go:embed page.html
var pageHTML string

//go:embed static
var staticFiles embed.FS

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Server is the web page of a feed. Tracks come in through Publish and go
// out to every page that is open. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	hub     *hub
	metrics *metrics
	feed    *feedStatus
	artists artistCache
	// queryRefused is set once a refused CURVE key has been logged.
	queryRefused atomic.Bool
	covers       *coverCache
	// queryAt is the query socket's endpoint: Options.Query, or the one
	// the feed names (Options.QueryFromFeed).
	queryAt atomic.Pointer[string]
	// coverWarned is set once a cover could not be asked for, and
	// cleared once one could: the warning is logged once.
	coverWarned atomic.Bool
	// following is set once Follow runs: only then does the server know
	// the feed's state (a caller of Publish alone has its own feed).
	following atomic.Bool
	handler   http.Handler
}

// New makes a Server.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:    opts,
		log:     opts.Logger,
		hub:     newHub(opts.Backlog, opts.ClientBuffer),
		metrics: newMetrics(),
		feed:    newFeedStatus(time.Now()),
		covers:  newCoverCache(opts.CoverCache),
	}
	s.queryAt.Store(&opts.Query)
	s.metrics.coverCache(s.covers)
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /events", s.serveEvents)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /artists", s.serveArtists)
	mux.HandleFunc("GET /cover/{id}", s.serveCover)
	if opts.Query != "" || opts.QueryFromFeed {
		s.metrics.reg.MustRegister(&publisherStats{s: s})
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}))
	mux.Handle("GET /static/", http.StripPrefix("/static/", serveStatic(static)))
	s.handler = secureHeaders(mux)
	return s
}

// Handler serves the page and its endpoints (listed in the package
// documentation). /healthz answers 200 "ok" while the feed is connected,
// or has been unreachable for less than Options.FeedGrace, and 503 with
// the reason after that. The metrics trackfeed_web_feed_connected and
// trackfeed_web_last_message_received_timestamp_seconds say the same to
// Prometheus.
func (s *Server) Handler() http.Handler { return s.handler }

// Publish sends t to every open page whose prefix matches its topic, and
// keeps it for pages that open later. It never blocks on a page.
func (s *Server) Publish(t subscriber.Track) {
	data, err := json.Marshal(pageTrack{
		Topic: t.Topic, Artist: t.Artist, Album: t.Album, Title: t.Title, Seq: t.Seq, Sent: t.Sent,
		TrackNo: t.TrackNo, Disc: t.Disc, Year: t.Year, Genre: t.Genre, AlbumArtist: t.AlbumArtist,
		DurationMS: t.DurationMS, Pace: t.Pace,
		Cover: t.Cover,
	})
	if err != nil {
		// Only a time past year 9999 can do this.
		s.log.Warn("skipping track that does not encode as JSON", "topic", t.Topic, "err", err)
		return
	}
	s.metrics.received.Inc()
	s.metrics.lastReceived.SetToCurrentTime()
	if n := s.hub.publish(&event{track: t, data: data}); n > 0 {
		s.metrics.clientsDrop.Add(float64(n))
		s.metrics.tracksDropped.Add(float64(n))
		s.log.Info("dropped pages that fell behind; they reconnect by themselves", "pages", n)
	}
}

// pageTrack is a track as the event stream sends it to browsers: what the
// page shows, under the feed's JSON names (docs/PROTOCOL.md), and not the
// file's path on the publisher's disk.
type pageTrack struct {
	Topic       string    `json:"topic"`
	Artist      string    `json:"artist"`
	Album       string    `json:"album"`
	Title       string    `json:"title"`
	Seq         uint64    `json:"seq"`
	Sent        time.Time `json:"sent"`
	TrackNo     int       `json:"track"`
	Disc        int       `json:"disc"`
	Year        int       `json:"year"`
	Genre       string    `json:"genre"`
	AlbumArtist string    `json:"album_artist"`
	DurationMS  int64     `json:"duration_ms,omitempty"`
	Pace        string    `json:"pace,omitempty"`
	Cover       string    `json:"cover,omitempty"` // the picture is /cover/Cover
}

// Close ends every event stream and refuses new ones; the browsers retry
// until a server is back. It does not stop an http.Server that serves
// Handler: Serve does both. Close is idempotent.
func (s *Server) Close() error {
	s.hub.close()
	return nil
}

// Follow subscribes to the feed described by feed and publishes every
// track it receives, until ctx ends (then it returns nil). It reconnects
// to a publisher that restarts.
func (s *Server) Follow(ctx context.Context, feed subscriber.Options) error {
	s.following.Store(true)
	onConnect, onDisconnect := feed.OnConnect, feed.OnDisconnect
	feed.OnConnect = func(endpoint string) {
		s.metrics.feedConnects.Inc()
		s.setFeed(endpoint, true)
		if onConnect != nil {
			onConnect(endpoint)
		}
	}
	feed.OnDisconnect = func(endpoint string, err error) {
		s.setFeed(endpoint, false)
		if onDisconnect != nil {
			onDisconnect(endpoint, err)
		}
	}
	var (
		mu      sync.Mutex
		started bool              // a track has been published
		asked   *subscriber.Track // the track the query socket said was playing
	)
	// With QueryFromFeed, the first connection says where the query
	// socket is (OnQuery comes before OnConnect); then Follow asks.
	connected := make(chan struct{})
	var once sync.Once
	if s.opts.QueryFromFeed {
		onQuery, onConnect := feed.OnQuery, feed.OnConnect
		feed.OnQuery = func(endpoint, q string) {
			if old := s.queryEndpoint(); q != old {
				s.log.Info("asking the query socket the feed names", "query", q, "instead_of", old)
				s.queryAt.Store(&q)
			}
			if onQuery != nil {
				onQuery(endpoint, q)
			}
		}
		feed.OnConnect = func(endpoint string) {
			once.Do(func() { close(connected) })
			onConnect(endpoint)
		}
	} else {
		close(connected)
	}
	if s.opts.Query != "" || s.opts.QueryFromFeed {
		var wg sync.WaitGroup
		defer wg.Wait()
		qctx, cancel := context.WithTimeout(ctx, nowTimeout)
		defer cancel()
		wg.Go(func() {
			select {
			case <-connected:
			case <-qctx.Done():
			}
			if s.queryEndpoint() == "" || ctx.Err() != nil {
				return
			}
			t, err := s.queryClient().Now(qctx)
			if err != nil {
				s.log.Debug("the query socket did not say what is playing; waiting for the feed", "query", s.queryEndpoint(), "err", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !started && (len(feed.Prefixes) == 0 || topics.MatchAny(t.Topic, feed.Prefixes)) {
				started, asked = true, &t
				s.Publish(t)
			}
		})
	}
	return subscriber.Run(ctx, feed, func(t subscriber.Track) error {
		mu.Lock()
		defer mu.Unlock()
		if a := asked; a != nil && t.Seq == a.Seq && t.Path == a.Path && t.Sent.Equal(a.Sent) {
			return nil // the track the query socket gave, sent on the feed too
		}
		started = true
		s.Publish(t)
		return nil
	})
}

// nowTimeout bounds Follow's question to the query socket.
const nowTimeout = 5 * time.Second

// setFeed records whether the feed's endpoint is connected.
func (s *Server) setFeed(endpoint string, connected bool) {
	s.feed.set(endpoint, connected, time.Now(), func(state string) {
		if state == feedLive {
			s.metrics.feedConnected.Set(1)
		} else {
			s.metrics.feedConnected.Set(0)
		}
	})
}

// Serve serves Handler on l until ctx ends. Then it closes the event
// streams, shuts the HTTP server down (waiting up to
// Options.ShutdownTimeout for requests to finish, then cutting them) and
// returns nil.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	// Shutdown waits for requests to end, and an event stream ends only
	// when told to.
	srv.RegisterOnShutdown(func() { s.Close() })
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		s.Close()
		return fmt.Errorf("serve http on %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("requests still running at shutdown; cutting them", "err", err)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http on %s: %w", l.Addr(), err)
	}
	return nil
}

// Run follows the feed and serves the page on l until ctx ends or either
// fails.
func (s *Server) Run(ctx context.Context, l net.Listener, feed subscriber.Options) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.Serve(ctx, l) })
	g.Go(func() error { return s.Follow(ctx, feed) })
	return g.Wait()
}

// queryEndpoint is the query socket asked: Options.Query, or the one the
// feed names.
func (s *Server) queryEndpoint() string { return *s.queryAt.Load() }

// readPrefix reads the prefix parameter of r as topics.Prefix does (a name
// stands for its slug), answering 400 if it is too long or not UTF-8.
func readPrefix(w http.ResponseWriter, r *http.Request) (string, bool) {
	p := r.URL.Query().Get("prefix")
	if len(p) > maxPrefix {
		http.Error(w, fmt.Sprintf("prefix: %d bytes is too long (at most %d)", len(p), maxPrefix), http.StatusBadRequest)
		return "", false
	}
	// A name ("The Cure") stands for its topic (the_cure), as everywhere.
	q, err := topics.Prefix(p)
	if err != nil {
		http.Error(w, fmt.Sprintf("prefix: %v", err), http.StatusBadRequest)
		return "", false
	}
	return q, true
}

// serveEvents streams the tracks that match the request's prefix, history
// first (see sse.go for the format).
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	prefix, ok := readPrefix(w, r)
	if !ok {
		return
	}
	c, lastID, history, ok := s.hub.subscribe(prefix, s.opts.History+1)
	if !ok {
		http.Error(w, "shutting down; the page reconnects by itself", http.StatusServiceUnavailable)
		return
	}
	s.metrics.connections.Inc()
	if r.Header.Get("Last-Event-ID") != "" {
		s.metrics.reconnects.Inc()
	}
	s.metrics.clients.Inc()
	defer s.metrics.clients.Dec()
	log := s.log.With("remote", r.RemoteAddr, "prefix", prefix)
	log.Debug("page connected")

	rc := http.NewResponseController(w)
	// A dropped page's handler may be blocked in a write: the deadline
	// ends it. Cleared at the end, for the connection's next request.
	defer rc.SetWriteDeadline(time.Time{})
	write := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)) // not supported by some test writers; then writes just block
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	unsent := -1 // tracks lost to a failed write; -1 while none failed
	defer func() {
		s.hub.unsubscribe(c)
		if unsent < 0 {
			return
		}
		for range c.events {
			unsent++
		}
		s.metrics.tracksDropped.Add(float64(unsent))
	}()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // tell nginx not to buffer the stream
	w.WriteHeader(http.StatusOK)
	buf := appendRetry(nil, s.opts.Retry)
	buf = appendHistory(buf, lastID, history)
	feed, feedChanged := s.feed.get()
	if s.following.Load() {
		buf = appendStatus(buf, "feed", feed.json())
	} else {
		feedChanged = nil
	}
	if err := write(buf); err != nil {
		log.Debug("page gone", "err", err)
		return
	}

	tick := time.NewTicker(s.opts.KeepAlive)
	defer tick.Stop()
	for {
		buf = buf[:0]
		n := 0
		select {
		case e, ok := <-c.events:
			if !ok {
				log.Debug("stream ended by the server")
				return
			}
			buf = appendEvent(buf, e.id, "track", e.data)
			n++
			// Write what else is waiting in the same go.
		more:
			for len(buf) < 32<<10 {
				select {
				case e, ok := <-c.events:
					if !ok {
						break more // written below; the next receive returns
					}
					buf = appendEvent(buf, e.id, "track", e.data)
					n++
				default:
					break more
				}
			}
		case <-feedChanged:
			feed, feedChanged = s.feed.get()
			buf = appendStatus(buf, "feed", feed.json())
		case <-tick.C:
			buf = append(buf, keepAlive...)
		case <-r.Context().Done():
			log.Debug("page gone")
			return
		}
		if err := write(buf); err != nil {
			log.Debug("page gone", "err", err)
			unsent = n
			return
		}
	}
}

// pageData fills page.html.
type pageData struct {
	Prefix  string
	History int
	NowMS   int64       // the server's clock, in ms since 1970: app.js draws progress by it
	Now     *trackView  // nil before the first track
	Before  []trackView // newest first
}

// trackView is a track as the page shows it.
type trackView struct {
	subscriber.Track
}

// Details is the line under the album: year, genre, disc (from the
// second), track number, duration (m:ss), each when known. app.js builds
// the same line.
func (t trackView) Details() string {
	var parts []string
	if t.Year > 0 {
		parts = append(parts, fmt.Sprint(t.Year))
	}
	if t.Genre != "" {
		parts = append(parts, t.Genre)
	}
	if t.Disc > 1 { // disc 1 of one disc says nothing
		parts = append(parts, fmt.Sprintf("disc %d", t.Disc))
	}
	if t.TrackNo > 0 {
		parts = append(parts, fmt.Sprintf("track %d", t.TrackNo))
	}
	if t.DurationMS > 0 {
		parts = append(parts, minutes(t.DurationMS))
	}
	return strings.Join(parts, " · ")
}

// minutes is a duration in ms as m:ss, or h:mm:ss from an hour, rounded
// down to the second, as app.js writes it.
func minutes(ms int64) string {
	s := ms / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Paced reports whether the track is on the air for its duration, so
// that the page draws how far it has played (not at a fixed interval,
// where a track's length says nothing of when the next comes).
func (t trackView) Paced() bool { return t.Pace == wire.PaceReal && t.DurationMS > 0 }

// SentMS is when the track was sent, in ms since 1970.
func (t trackView) SentMS() int64 { return t.Sent.UnixMilli() }

// Clock is when the track was sent, as hh:mm:ss in the server's time
// zone, or "" if unknown; app.js shows it in the browser's.
func (t trackView) Clock() string {
	if t.Sent.IsZero() {
		return ""
	}
	return t.Sent.Local().Format("15:04:05")
}

// SentAt is when the track was sent, for a <time datetime>, or "".
func (t trackView) SentAt() string {
	if t.Sent.IsZero() {
		return ""
	}
	return t.Sent.Format(time.RFC3339)
}

// servePage renders the page as it stands, filtered by the prefix
// parameter, so that it shows tracks before its script connects, or
// without one.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	prefix, ok := readPrefix(w, r)
	if !ok {
		return
	}
	recent := s.hub.recentMatching(prefix, s.opts.History+1)
	d := pageData{Prefix: prefix, History: s.opts.History, NowMS: time.Now().UnixMilli()}
	for i := len(recent) - 1; i >= 0; i-- {
		v := trackView{recent[i].track}
		if d.Now == nil {
			d.Now = &v
			continue
		}
		d.Before = append(d.Before, v)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	if err := pageTemplate.Execute(w, d); err != nil {
		s.log.Debug("writing the page", "err", err)
	}
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	feed, _ := s.feed.get()
	if s.following.Load() && feed.State != feedLive && time.Since(feed.Since) >= s.opts.FeedGrace {
		w.WriteHeader(http.StatusServiceUnavailable)
		what := "not connected to the feed yet"
		if feed.State == feedOffline {
			what = "the feed is unreachable"
		}
		fmt.Fprintf(w, "%s since %s\n", what, feed.Since.Format(time.RFC3339))
		return
	}
	fmt.Fprintln(w, "ok")
}

// serveStatic serves the files of fsys, without directory listings.
// no-cache makes browsers check for a newer file, so an upgraded server
// never runs with an old script.
func serveStatic(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// secureHeaders sets the headers every response should carry.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
