package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/pub"
	"github.com/trackfeed/trackfeed/internal/schedule"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/wire"
)

// DefaultBind is where the feed is bound unless told otherwise, as the
// original Perl system did.
const DefaultBind = "tcp://*:10001"

// DefaultInterval is the time between two tracks.
const DefaultInterval = 100 * time.Millisecond

// Pace is how long a publisher holds each track on the air.
type Pace int

const (
	// PaceInterval sends a track every Config.Interval.
	PaceInterval Pace = iota
	// PaceReal holds each track for its duration, like a radio; its
	// messages say so (wire.PaceReal), so that a page can draw how far
	// the track has played.
	PaceReal
)

// ParsePace reads "interval" or "real".
func ParsePace(s string) (Pace, bool) {
	switch s {
	case "interval":
		return PaceInterval, true
	case "real":
		return PaceReal, true
	}
	return 0, false
}

func (p Pace) String() string {
	if p == PaceReal {
		return "real"
	}
	return "interval"
}

// Unpaced, as Config.Interval, sends tracks as fast as the subscribers
// take them.
const Unpaced time.Duration = -1

// Config is what a Publisher plays and where. The zero value of each field
// takes the default it names; give Dir, Scan or Tracks.
type Config struct {
	// Dir is the music folder to play: scanned (while the first tracks
	// already play), remembered in Cache, and followed with Watch.
	Dir string
	// Tracks, when Dir and Scan are empty, is the library to play as it is.
	Tracks []library.Track
	// Workers is how many files are read at once while scanning (default:
	// one per CPU).
	Workers int
	// Cache is the scan cache file (library.DefaultCachePath gives the
	// usual place): a restart plays what it remembers at once and reads
	// only the files that changed. Empty: no cache.
	Cache string
	// Watch follows the changes to Dir: files added, changed or removed
	// join or leave the feed without a new scan.
	Watch bool
	// Scan, if set, reads the library instead of a local scan of Dir,
	// with the options a local scan would get (remote.Scan through a
	// ventilator's workers): Dir then only names the library in logs, and
	// Watch does not apply. Such a library is read again every Rescan
	// (0: never) and on each call to Publisher.Rescan; tracks the new scan
	// does not find leave.
	Scan   func(context.Context, library.Options) (*library.Library, error)
	Rescan time.Duration

	// Bind are the feed's endpoints (default DefaultBind, unless Connect
	// is given), tcp://HOST:PORT or ipc://PATH.
	Bind []string
	// Connect are relays (their Listen side) or libzmq proxies (their
	// XSUB) that the feed connects to, and reconnects to when they go: each
	// is served as a subscriber.
	Connect []string
	// Station names the publisher in every message (the "station" field),
	// so that subscribers of a relay that several publishers feed can tell
	// them apart (default: the host name).
	Station string
	// Query are the query socket's endpoints (query.DefaultBind is the
	// usual one); none: no query socket.
	Query []string
	// Interval is the time between two tracks (default DefaultInterval);
	// Unpaced sends as fast as the subscribers take them. An interval
	// under a millisecond holds on average: the publisher wakes once a
	// millisecond and sends the tracks due since, so a track's latency,
	// measured from its send, does not count that wait.
	Interval time.Duration
	// Pace is how long each track stays on the air: the Interval
	// (PaceInterval, the default), or its own duration (PaceReal), like a
	// radio; a track whose duration is unknown then takes the Interval.
	Pace Pace
	// Order is the play order (default Shuffle).
	Order Order
	// Seed makes a shuffle reproducible; 0 picks one at random (Seed tells
	// which, and the "publishing" log line shows it).
	Seed uint64

	// HWM is each subscriber's queue, in messages (default 1000); past it a
	// slow subscriber loses tracks and the others never wait.
	HWM int
	// MaxSubscribers bounds the feed's connections (default 1024).
	MaxSubscribers int
	// WriteTimeout disconnects a subscriber that accepts nothing for this
	// long (default 30s).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds a connection's ZMTP handshake (default 5s).
	HandshakeTimeout time.Duration
	// Linger is how long stopping waits to send what is queued (default
	// 250ms, so that a stop takes well under a second).
	Linger time.Duration
	// Curve, if set, is the publisher's CURVE key pair: the feed and the
	// query socket then speak CURVE only, and a client must hold its public
	// key. CurveAdmit, if set, decides which client keys get in (an error
	// says why not); without it any client with the public key does, as
	// libzmq's default is. Each refused key is logged once.
	Curve      *curve.KeyPair
	CurveAdmit func(client curve.Key) error
	// ConnectCurve, if set, is the public key of the relays of Connect
	// (their Listen side's): the feed speaks CURVE to them as their
	// client, of key pair ConnectCurveKeys (default: Curve, else a new
	// pair each run). With Curve and Connect, it must be set.
	ConnectCurve     *curve.Key
	ConnectCurveKeys *curve.KeyPair

	// clock paces PaceReal (schedule.System unless a test sets it).
	clock schedule.Clock

	// Logger receives what the publisher does (default: discard).
	Logger *slog.Logger
	// OnTrack, if set, sees each track the first scan reads, as it is read,
	// on the scan's goroutine: a progress display counts them.
	OnTrack func(library.Track)
	// OnScanned, if set, is called once when the first scan is over (or
	// has failed).
	OnScanned func()
}

// Publisher broadcasts a music library as a ZeroMQ feed, with a query
// socket beside it: New binds, Run plays until its context ends.
type Publisher struct {
	cfg   Config
	log   *slog.Logger
	list  *Playlist
	sock  *pub.Socket
	query *query.Server // nil without Config.Query

	rescan    chan struct{} // Rescan's requests, one pending at most
	onAir     chan struct{} // closed once the first track is sent
	scanned   chan struct{} // closed once the first scan is applied
	closeOnce sync.Once

	gate *zmtp.Gate // CURVE's allowlist

	seq     atomic.Uint64
	last    atomic.Pointer[wire.Track]
	skipped atomic.Int64 // files the first scan left out, once it is done

	covers covers // the cover art the query socket serves
}

// New checks cfg and binds the feed and query endpoints, so that a taken
// port fails at once rather than after a scan. The error of a bind that
// fails is a *BindError. Call Run, or Close to release the endpoints.
func New(cfg Config) (*Publisher, error) {
	switch {
	case cfg.Dir == "" && len(cfg.Tracks) == 0 && cfg.Scan == nil:
		return nil, &NoTracksError{}
	case cfg.Interval == 0:
		cfg.Interval = DefaultInterval
	case cfg.Interval < 0 && cfg.Interval != Unpaced:
		return nil, fmt.Errorf("interval %v: want a positive duration, or Unpaced", cfg.Interval)
	}
	switch {
	case cfg.Pace != PaceInterval && cfg.Pace != PaceReal:
		return nil, fmt.Errorf("pace %d: want PaceInterval or PaceReal", cfg.Pace)
	case cfg.Pace == PaceReal && cfg.Interval == Unpaced:
		return nil, errors.New("pace real holds each track for its duration: it cannot also be Unpaced (give an interval for tracks of unknown duration)")
	}
	if cfg.clock == nil {
		cfg.clock = schedule.System
	}
	if len(cfg.Bind) == 0 && len(cfg.Connect) == 0 {
		cfg.Bind = []string{DefaultBind}
	}
	for _, ep := range cfg.Connect {
		if _, _, err := zmtp.ParseEndpoint(ep); err != nil {
			return nil, err
		}
	}
	if cfg.Curve != nil && len(cfg.Connect) > 0 && cfg.ConnectCurve == nil {
		return nil, ErrConnectInTheClear
	}
	if cfg.Station == "" {
		cfg.Station = defaultStation()
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Publisher{
		cfg:     cfg,
		log:     cfg.Logger,
		list:    NewPlaylist(cfg.Order, cfg.Seed),
		covers:  newCovers(cfg),
		onAir:   make(chan struct{}),
		rescan:  make(chan struct{}, 1),
		scanned: make(chan struct{}),
	}
	limits := zmtp.DefaultLimits
	if cfg.HandshakeTimeout > 0 {
		limits.HandshakeTimeout = cfg.HandshakeTimeout
	}
	if cfg.Curve != nil {
		p.gate = zmtp.NewGate(cfg.CurveAdmit, cfg.Logger)
		limits.Security = p.gate.Server(*cfg.Curve)
	}
	// The query socket is bound first, so that the feed's handshake can
	// name it (X-Query): a subscriber then finds it whatever its port.
	var err error
	if len(cfg.Query) > 0 {
		qopts := zmtp.ServerOptions{Logger: cfg.Logger}
		if cfg.Curve != nil {
			qopts.Limits = zmtp.Limits{Security: p.gate.Server(*cfg.Curve)}
		}
		p.query, err = query.Listen(cfg.Query, p, qopts)
		if err != nil {
			return nil, &BindError{Socket: "query", Err: err}
		}
		limits.Properties = map[string]string{query.Property: query.Advertise(cfg.Query, p.query.Endpoints())}
	}
	p.sock, err = pub.Listen(cfg.Bind, pub.Options{
		ServerOptions: zmtp.ServerOptions{MaxConns: cfg.MaxSubscribers, WriteTimeout: cfg.WriteTimeout, Linger: cfg.Linger, Limits: limits, Logger: cfg.Logger},
		HWM:           cfg.HWM,
	})
	if err != nil {
		if p.query != nil {
			p.query.Close()
		}
		return nil, &BindError{Socket: "feed", Err: err}
	}
	for i, ep := range p.sock.Endpoints() {
		p.log.Info("listening", "bind", cfg.Bind[i], "connect", ep)
	}
	var connectSec func() zmtp.Mechanism
	if cfg.ConnectCurve != nil {
		kp := cfg.ConnectCurveKeys
		if kp == nil {
			kp = cfg.Curve
		}
		if connectSec, err = zmtp.CurveClientOf(kp, *cfg.ConnectCurve); err != nil {
			p.sock.Close()
			return nil, fmt.Errorf("the relays: %w", err)
		}
	}
	for _, ep := range cfg.Connect {
		p.log.Info("connecting to a relay", "connect", ep)
		p.sock.Connect(ep, connectSec)
	}
	if p.query != nil {
		for i, ep := range p.query.Endpoints() {
			p.log.Info("answering queries", "query", cfg.Query[i], "connect", ep)
		}
	}
	return p, nil
}

// defaultStation is the host name, or "trackfeed" if there is none.
func defaultStation() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "trackfeed"
}

// Station is the name the publisher gives its messages.
func (p *Publisher) Station() string { return p.cfg.Station }

// ErrConnectInTheClear is New's error for a publisher that speaks CURVE
// only (Config.Curve) but would feed the relays of Connect in the clear:
// give their public key in ConnectCurve.
var ErrConnectInTheClear = errors.New("the feed speaks CURVE only, but would go to the relays it connects to in the clear: give their public key")

// BindError is New's error when an endpoint cannot be bound: Socket is
// "feed" or "query". errors.Is(err, syscall.EADDRINUSE) tells a taken port.
type BindError struct {
	Socket string
	Err    error
}

func (e *BindError) Error() string { return e.Err.Error() }
func (e *BindError) Unwrap() error { return e.Err }

// NoTracksError is Run's error when the library holds no track to play;
// Summary is what the scan found instead.
type NoTracksError struct {
	Summary library.Summary
}

func (e *NoTracksError) Error() string {
	if e.Summary.Skipped > 0 {
		return "no tracks found: " + files(e.Summary.Skipped) + " skipped"
	}
	return "no tracks found"
}

// files is "1 file" or "N files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// Run plays the library until ctx ends, then stops (giving subscribers
// Linger to take what is queued) and returns nil. With Dir, it plays the
// scan cache's tracks at once, scans while broadcasting, then follows the
// folder with Watch. It returns an error if the first scan fails or finds
// no track. Run may be called once; it closes the publisher when it
// returns.
func (p *Publisher) Run(ctx context.Context) error {
	defer p.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.load(gctx) })
	g.Go(func() error { return p.play(gctx) })
	err := g.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		err = nil
	}
	p.Close()
	s := p.Stats()
	p.log.Info("stopped", "tracks_sent", s.Sent, "copies_queued_to_subscribers", s.Queued,
		"copies_dropped_for_slow_subscribers", s.Dropped, "subscribers_refused", s.Refused)
	return err
}

// Close stops the feed and the query socket, and waits for their
// goroutines. Run calls it; call it yourself only if you never call Run.
func (p *Publisher) Close() error {
	p.closeOnce.Do(func() {
		if p.query != nil {
			p.query.Close()
		}
		p.sock.Close()
	})
	return nil
}

// Endpoints are the feed's bound endpoints, ports the kernel chose filled in.
func (p *Publisher) Endpoints() []string { return p.sock.Endpoints() }

// QueryEndpoints are the query socket's bound endpoints.
func (p *Publisher) QueryEndpoints() []string {
	if p.query == nil {
		return nil
	}
	return p.query.Endpoints()
}

// OnAir is closed once the first track has been sent.
func (p *Publisher) OnAir() <-chan struct{} { return p.onAir }

// Scanned is closed once the first scan is done and applied: the cache's
// tracks that are gone have left, and the scan cache is saved. With Tracks
// it is closed at once.
func (p *Publisher) Scanned() <-chan struct{} { return p.scanned }

// Seed is the shuffle's seed.
func (p *Publisher) Seed() uint64 { return p.cfg.Seed }

// Tracks are the tracks in the playlist now, sorted by path.
func (p *Publisher) Tracks() []library.Track { return p.list.Tracks() }

// Now is the track sent last, if any.
func (p *Publisher) Now() (wire.Track, bool) {
	t := p.last.Load()
	if t == nil {
		return wire.Track{}, false
	}
	return *t, true
}

// Artists counts the tracks of each artist in the playlist.
func (p *Publisher) Artists() map[string]int { return p.list.Artists() }

// Stats are the publisher's counters.
func (p *Publisher) Stats() query.Stats {
	var s query.Stats
	s.Tracks, s.Artists, s.Albums = p.list.Counts()
	s.Skipped = int(p.skipped.Load())
	ss := p.sock.Stats()
	s.Subscribers, s.Queued, s.Dropped, s.Refused = ss.Subscribers, ss.Queued, ss.Dropped, ss.Rejected
	s.CurveRefused = p.gate.Refused()
	s.Sent = p.seq.Load()
	return s
}
