package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/pub"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/query"
)

// DefaultBind is where a relay serves its subscribers unless told
// otherwise: the publisher's port, since a relay stands in for the
// publisher on the machine it runs on.
const DefaultBind = "tcp://*:10001"

// Config is where a Relay subscribes and where it serves. Give Connect or
// Listen, or both; zero values of the other fields take the defaults they
// name.
type Config struct {
	// Connect are the upstream endpoints the relay dials: publishers,
	// relays, or the XPUB side of libzmq's proxy. Each is redialed when it
	// goes, for as long as the relay runs.
	Connect []string
	// Listen are endpoints where publishers connect to the relay
	// (publish --connect, or a libzmq PUB that connects), as to the XSUB
	// side of libzmq's proxy.
	Listen []string
	// Bind are the endpoints for subscribers and further relays (default
	// DefaultBind).
	Bind []string
	// Query are the query socket's endpoints; none: no query socket.
	Query []string

	// HWM is each subscriber's queue, in messages (default 1000).
	HWM int
	// MaxSubscribers bounds the subscribers' connections (default 1024).
	MaxSubscribers int
	// WriteTimeout disconnects a subscriber that accepts nothing for this
	// long (default 30s); it also bounds a write upstream.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds a connection's ZMTP handshake (default 5s).
	HandshakeTimeout time.Duration
	// Linger is how long stopping waits to send what is queued (default
	// 250ms).
	Linger time.Duration
	// Heartbeat is how often the relay PINGs a quiet upstream (default
	// 5s); one silent for three heartbeats is taken for gone and redialed.
	Heartbeat time.Duration
	// ReconnectMin and ReconnectMax bound the wait between two attempts
	// to dial upstream (default 100ms, doubling up to 1s).
	ReconnectMin, ReconnectMax time.Duration

	// Curve, if set, is the relay's CURVE key pair towards its
	// subscribers: Bind and Query then speak CURVE only, and a client must
	// hold its public key. CurveAdmit, if set, decides which client keys
	// get in (an error says why not); without it any client with the
	// public key does, as libzmq's default is.
	Curve      *curve.KeyPair
	CurveAdmit func(client curve.Key) error
	// ListenCurve and ListenCurveAdmit are the same for Listen: the
	// publishers that connect in must be CURVE clients of this key pair.
	ListenCurve      *curve.KeyPair
	ListenCurveAdmit func(publisher curve.Key) error
	// UpstreamCurve, if set, is the public key of the CURVE publishers or
	// relays that the relay dials (Connect): it is their client, of key
	// pair UpstreamCurveKeys (nil: a new pair each run, for an upstream
	// that admits anyone).
	UpstreamCurve     *curve.Key
	UpstreamCurveKeys *curve.KeyPair
	// Each side's refused client keys are logged once and counted in
	// Stats' CurveRefused.

	// Logger receives what the relay does (default: discard).
	Logger *slog.Logger
}

// upstreamLimits bound what an upstream may send. Frames past MaxFrames
// would be dropped, so the limit is well above what a feed uses (five
// frames in version 1): the relay forwards messages as they are.
var upstreamLimits = zmtp.Limits{MaxFrame: 64 << 10, MaxFrames: 256, SkipOversized: true}

// Relay forwards a feed: New binds, Run relays until its context ends.
type Relay struct {
	cfg    Config
	log    *slog.Logger
	down   *pub.Socket
	listen *zmtp.Server  // nil without Config.Listen
	query  *query.Server // nil without Config.Query
	limits zmtp.Limits   // for upstream connections

	// CURVE's allowlists: subscribers and queries (down), publishers
	// connecting in (listen); nil without CURVE on that side.
	downGate, listenGate *zmtp.Gate

	// want is the union of the subscribers' prefixes: what every upstream
	// connection is to be subscribed to. changed is closed and replaced
	// when it changes, to wake each upstream's writer.
	mu      sync.Mutex
	want    map[string]struct{}
	changed chan struct{}

	last      lastSeen
	forwarded atomic.Uint64
	upstreams atomic.Int64 // upstream connections past their handshake
	closeOnce sync.Once
}

// ErrNoUpstream is New's error when Config has neither Connect nor Listen.
var ErrNoUpstream = errors.New("relay: nothing upstream: give an endpoint to connect to, or one to listen on for publishers")

// New checks cfg and binds the relay's endpoints: subscribers, publishers
// connecting in (Listen), and queries. The error of a bind that fails is a
// *BindError. Call Run, or Close to release the endpoints.
func New(cfg Config) (*Relay, error) {
	if len(cfg.Connect) == 0 && len(cfg.Listen) == 0 {
		return nil, ErrNoUpstream
	}
	for _, ep := range cfg.Connect {
		if _, _, err := zmtp.ParseEndpoint(ep); err != nil {
			return nil, err
		}
	}
	if len(cfg.Bind) == 0 {
		cfg.Bind = []string{DefaultBind}
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 250 * time.Millisecond
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Relay{
		cfg:     cfg,
		log:     cfg.Logger,
		want:    make(map[string]struct{}),
		changed: make(chan struct{}),
		limits:  upstreamLimits,
	}
	r.last.init()
	down := zmtp.DefaultLimits
	r.limits.HandshakeTimeout = down.HandshakeTimeout
	if cfg.HandshakeTimeout > 0 {
		down.HandshakeTimeout = cfg.HandshakeTimeout
		r.limits.HandshakeTimeout = cfg.HandshakeTimeout
	}
	if err := r.curve(&down); err != nil {
		return nil, err
	}
	var err error
	// The query socket first, so that the feed's handshake names it, as a
	// publisher's does (query.Property).
	if len(cfg.Query) > 0 {
		r.query, err = query.Listen(cfg.Query, (*source)(r), zmtp.ServerOptions{Logger: cfg.Logger, Limits: zmtp.Limits{Security: down.Security}})
		if err != nil {
			return nil, &BindError{Socket: "query", Err: err}
		}
		down.Properties = map[string]string{query.Property: query.Advertise(cfg.Query, r.query.Endpoints())}
	}
	r.down, err = pub.Listen(cfg.Bind, pub.Options{
		ServerOptions: zmtp.ServerOptions{MaxConns: cfg.MaxSubscribers, WriteTimeout: cfg.WriteTimeout, Linger: cfg.Linger, Limits: down, Logger: cfg.Logger},
		HWM:           cfg.HWM,
		OnSubscribe:   r.subscribe,
	})
	if err != nil {
		if r.query != nil {
			r.query.Close()
		}
		return nil, &BindError{Socket: "feed", Err: err}
	}
	if len(cfg.Listen) > 0 {
		lim := r.limits
		if cfg.ListenCurve != nil {
			r.listenGate = zmtp.NewGate(cfg.ListenCurveAdmit, cfg.Logger.With("socket", "listen"))
			lim.Security = r.listenGate.Server(*cfg.ListenCurve)
		}
		r.listen, err = zmtp.Bind(cfg.Listen, zmq4.XSub, zmtp.ServerOptions{
			MaxConns: 256, WriteTimeout: cfg.WriteTimeout, Linger: cfg.Linger, Limits: lim, Logger: cfg.Logger,
		})
		if err != nil {
			r.down.Close()
			if r.query != nil {
				r.query.Close()
			}
			return nil, &BindError{Socket: "listen", Err: err}
		}
	}
	for i, ep := range r.down.Endpoints() {
		r.log.Info("listening for subscribers", "bind", cfg.Bind[i], "connect", ep)
	}
	for i, ep := range r.ListenEndpoints() {
		r.log.Info("listening for publishers", "listen", cfg.Listen[i], "connect", ep)
	}
	for i, ep := range r.QueryEndpoints() {
		r.log.Info("answering queries", "query", cfg.Query[i], "connect", ep)
	}
	return r, nil
}

// curve sets CURVE up as cfg asks: the downstream side's in down (for
// Bind and Query), the upstream side's in r.limits (for Connect).
func (r *Relay) curve(down *zmtp.Limits) error {
	cfg := r.cfg
	if cfg.Curve != nil {
		r.downGate = zmtp.NewGate(cfg.CurveAdmit, cfg.Logger.With("socket", "feed"))
		down.Security = r.downGate.Server(*cfg.Curve)
	}
	if cfg.UpstreamCurve != nil {
		sec, err := zmtp.CurveClientOf(cfg.UpstreamCurveKeys, *cfg.UpstreamCurve)
		if err != nil {
			return fmt.Errorf("relay: upstream: %w", err)
		}
		r.limits.Security = sec
	}
	return nil
}

// BindError is New's error when an endpoint cannot be bound: Socket is
// "feed", "listen" or "query". errors.Is(err, syscall.EADDRINUSE) tells a
// taken port.
type BindError struct {
	Socket string
	Err    error
}

func (e *BindError) Error() string { return e.Err.Error() }
func (e *BindError) Unwrap() error { return e.Err }

// Run relays until ctx ends, then stops (giving subscribers Linger to take
// what is queued) and returns nil. It dials every Connect endpoint, and
// redials it whenever it goes, and accepts publishers on Listen. Run may
// be called once; it closes the relay when it returns.
func (r *Relay) Run(ctx context.Context) error {
	defer r.Close()
	r.log.Info("relaying", "connect", r.cfg.Connect, "listen", r.cfg.Listen)
	if r.listen != nil {
		r.listen.Serve(zmtp.HandlerFunc(func(ctx context.Context, c *zmtp.Conn) {
			log := r.log.With("publisher", c.NetConn().RemoteAddr().String())
			log.Info("publisher connected")
			err := r.upstream(ctx, c)
			log.Info("publisher gone", "err", errString(err))
		}), func(nc net.Conn) {
			r.log.Warn("publisher refused: too many connected", "remote", nc.RemoteAddr())
		})
	}
	var wg sync.WaitGroup
	for _, ep := range r.cfg.Connect {
		wg.Go(func() { r.dial(ctx, ep) })
	}
	<-ctx.Done()
	wg.Wait()
	r.Close()
	s := r.down.Stats()
	r.log.Info("stopped", "forwarded", r.forwarded.Load(), "queued", s.Queued, "dropped", s.Dropped)
	return nil
}

// dial keeps the upstream connection to ep until ctx ends.
func (r *Relay) dial(ctx context.Context, ep string) {
	log := r.log.With("upstream", ep)
	zmtp.Redialer{
		Endpoint: ep, Type: zmq4.XSub, Limits: r.limits, Min: r.cfg.ReconnectMin, Max: r.cfg.ReconnectMax,
		Ended: zmtp.LogEnded(log, "upstream"),
	}.Run(ctx, func(ctx context.Context, c *zmtp.Conn) error {
		log.Info("upstream connected")
		return r.upstream(ctx, c)
	})
}

// Close stops the relay's sockets and waits for their goroutines. Run
// calls it; call it yourself only if you never call Run.
func (r *Relay) Close() error {
	r.closeOnce.Do(func() {
		if r.query != nil {
			r.query.Close()
		}
		if r.listen != nil {
			r.listen.Close()
		}
		r.down.Close()
	})
	return nil
}

// Endpoints are the endpoints subscribers connect to, ports the kernel
// chose filled in.
func (r *Relay) Endpoints() []string { return r.down.Endpoints() }

// ListenEndpoints are the endpoints publishers connect to, if any.
func (r *Relay) ListenEndpoints() []string {
	if r.listen == nil {
		return nil
	}
	return r.listen.Endpoints()
}

// QueryEndpoints are the query socket's endpoints, if any.
func (r *Relay) QueryEndpoints() []string {
	if r.query == nil {
		return nil
	}
	return r.query.Endpoints()
}

// Subscriptions are the prefixes the relay subscribes to upstream: the
// union of its subscribers' prefixes, sorted.
func (r *Relay) Subscriptions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.want))
	for p := range r.want {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Upstreams is the number of upstream connections past their handshake.
func (r *Relay) Upstreams() int { return int(r.upstreams.Load()) }

// Stats are the relay's counters, as the query socket reports them:
// Sent counts the messages forwarded.
func (r *Relay) Stats() query.Stats {
	s := r.down.Stats()
	return query.Stats{
		Subscribers: s.Subscribers, Queued: s.Queued, Dropped: s.Dropped, Refused: s.Rejected,
		Sent: r.forwarded.Load(), CurveRefused: r.downGate.Refused() + r.listenGate.Refused(),
	}
}

// subscribe is the downstream socket's OnSubscribe: the union gained or
// lost prefix.
func (r *Relay) subscribe(prefix string, add bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if add {
		r.want[prefix] = struct{}{}
	} else {
		delete(r.want, prefix)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}
