package subscriber

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/wire"
)

// DefaultEndpoint is where Run connects unless told otherwise.
const DefaultEndpoint = "tcp://localhost:10001"

// Track is one track of the feed (docs/PROTOCOL.md lists the fields).
type Track = wire.Track

// Options configure Run. Zero values take the defaults.
type Options struct {
	// Endpoints to connect to (default DefaultEndpoint).
	Endpoints []string
	// Prefixes to subscribe to; none means every topic.
	Prefixes []string
	// Heartbeat is how often to PING a quiet publisher (default 5s); a
	// publisher silent for three heartbeats is taken for gone and
	// reconnected to.
	Heartbeat time.Duration
	// ReconnectMin and ReconnectMax bound the wait between attempts to
	// connect (default 100ms, doubling up to 1s).
	ReconnectMin, ReconnectMax time.Duration
	// Limits bound what a publisher may send (default zmtp.DefaultLimits).
	Limits zmtp.Limits
	// Logger receives connection events and warnings (default: discard).
	Logger *slog.Logger
	// OnConnect, if set, is called with the endpoint each time a
	// connection's handshake and subscriptions are done: the first time,
	// and after every reconnect. It runs on the connection's goroutine.
	OnConnect func(endpoint string)
	// OnQuery, if set, is called before OnConnect with the endpoint and
	// the query socket that the publisher there names in its handshake
	// (query.Property), ready to connect to; only when it names one (a
	// relay and libzmq do not).
	OnQuery func(endpoint, query string)
	// CurveServer, if set, is the publisher's CURVE public key: the
	// connections speak CURVE, as a client of key pair CurveKeys (nil: a
	// new pair for this Run, enough for a publisher that admits any
	// client).
	CurveServer *curve.Key
	CurveKeys   *curve.KeyPair
	// OnDisconnect, if set, is called with the endpoint and the cause each
	// time a connection that OnConnect announced ends, before Run tries
	// again. It is not called when Run's context ends.
	OnDisconnect func(endpoint string, err error)
}

func (o *Options) setDefaults() {
	if len(o.Endpoints) == 0 {
		o.Endpoints = []string{DefaultEndpoint}
	}
	if len(o.Prefixes) == 0 {
		o.Prefixes = []string{""}
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.ReconnectMin <= 0 {
		o.ReconnectMin = 100 * time.Millisecond
	}
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = max(time.Second, o.ReconnectMin)
	}
	if !o.Limits.Sizes() {
		o.Limits = o.Limits.Or(zmtp.DefaultLimits)
		// A publisher's messages over the limits are skipped, not fatal:
		// a later v1 may add frames, and one odd message must not cost
		// the connection.
		o.Limits.SkipOversized = true
	}
	if o.CurveServer != nil {
		if o.CurveKeys == nil {
			// Without randomness, a zero pair: the server refuses it, and
			// the connection is never made in the clear.
			kp, _ := curve.NewKeyPair()
			o.CurveKeys = &kp
		}
		o.Limits.Security = zmtp.CurveClient(*o.CurveKeys, *o.CurveServer)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Run receives the feed until ctx is cancelled (then it returns nil) or
// handle returns an error (then it returns that error). handle is called
// from one goroutine at a time, in the order tracks arrive. Run waits for a
// publisher that is not there yet and reconnects to one that restarts;
// messages that are not in trackfeed's format are skipped with a warning.
func Run(ctx context.Context, opts Options, handle func(Track) error) error {
	opts.setDefaults()
	for _, ep := range opts.Endpoints {
		if _, _, err := zmtp.ParseEndpoint(ep); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)

	tracks := make(chan Track, 64)
	var wg sync.WaitGroup
	for _, ep := range opts.Endpoints {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&link{opts: &opts, endpoint: ep, out: tracks, log: opts.Logger.With("endpoint", ep)}).run(ctx)
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case t := <-tracks:
			if err := handle(t); err != nil {
				return err
			}
		}
	}
}

// link is the connection to one endpoint, for the life of Run.
type link struct {
	opts     *Options
	endpoint string
	out      chan<- Track
	log      *slog.Logger

	skipped   int       // foreign messages since the last warning
	lastWarn  time.Time // rate-limits warnings about foreign messages
	connected bool      // had a session before (for the log)
	waiting   bool      // said it is waiting for a publisher (for the log)
}

func (l *link) run(ctx context.Context) {
	wait := l.opts.ReconnectMin
	for ctx.Err() == nil {
		start := time.Now()
		err := l.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 2*l.opts.ReconnectMax {
			wait = l.opts.ReconnectMin // it worked for a while: start over
		}
		var old *zmtp.VersionError
		switch {
		case l.connected:
			l.log.Info("publisher gone; reconnecting", "err", err)
			l.connected = false
			if l.opts.OnDisconnect != nil {
				l.opts.OnDisconnect(l.endpoint, err)
			}
		case !l.waiting && errors.As(err, &old):
			l.log.Warn("waiting for the publisher: its ZMTP is too old", "peer_zmtp", old.Version(), "min_zmtp", zmtp.MinVersion,
				"err", err, "retry", "every ≤ "+l.opts.ReconnectMax.String())
			l.waiting = true
		case !l.waiting:
			l.log.Info("waiting for the publisher", "err", err, "retry", "every ≤ "+l.opts.ReconnectMax.String())
			l.waiting = true
		default:
			l.log.Debug("cannot connect yet; retrying", "err", err, "in", wait)
		}
		// ±20% jitter so many subscribers do not return in step.
		d := time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
		wait = min(2*wait, l.opts.ReconnectMax)
	}
}

// session connects once and receives until the connection ends.
func (l *link) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, l.opts.Limits.HandshakeTimeout)
	nc, err := zmtp.Dial(dctx, l.endpoint)
	cancel()
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	c, err := zmtp.Handshake(nc, zmq4.Sub, false, l.opts.Limits)
	if err != nil {
		return err
	}
	for _, p := range l.opts.Prefixes {
		c.Write(zmtp.AppendMsg(nil, append([]byte{1}, p...)))
	}
	if err := c.Flush(time.Now().Add(l.opts.Limits.HandshakeTimeout)); err != nil {
		return err
	}
	if !l.connected {
		// The caller says what it subscribes to, once; a connection
		// repeats it only when debugging.
		l.log.Info("connected")
		l.log.Debug("subscribed", "prefixes", fmt.Sprintf("%q", l.opts.Prefixes))
		l.connected, l.waiting = true, false
	}
	if q := query.Advertised(l.endpoint, c.PeerProperty(query.Property)); q != "" && l.opts.OnQuery != nil {
		l.opts.OnQuery(l.endpoint, q)
	}
	if l.opts.OnConnect != nil {
		l.opts.OnConnect(l.endpoint)
	}
	return l.receive(ctx, c)
}

// receive reads messages and answers PINGs; it PINGs a publisher that is
// quiet for a heartbeat and gives it up after three (zmtp.Heartbeat).
func (l *link) receive(ctx context.Context, c *zmtp.Conn) error {
	hb := zmtp.Heartbeat{Interval: l.opts.Heartbeat}
	ping := func(cmd []byte) error {
		c.Write(cmd)
		return c.Flush(time.Now().Add(l.opts.Heartbeat))
	}
	for {
		frames, command, err := hb.ReadMsg(c, ping)
		switch {
		case errors.Is(err, zmtp.ErrTooLarge):
			l.foreign(err) // skipped whole; the stream is still in step
			continue
		case errors.Is(err, zmtp.ErrSilent):
			return fmt.Errorf("publisher %w", err)
		case errors.Is(err, io.EOF):
			return errors.New("publisher closed the connection")
		case err != nil:
			return err
		}
		if command {
			if err := l.command(c, frames[0]); err != nil {
				return err
			}
			continue
		}
		t, err := wire.Decode(frames)
		if err != nil {
			l.foreign(err)
			continue
		}
		select {
		case l.out <- t:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *link) command(c *zmtp.Conn, frame []byte) error {
	name, data, err := zmtp.ParseCommand(frame)
	if err != nil {
		return err
	}
	switch name {
	case "PING":
		c.Write(zmtp.AppendPong(nil, data))
		return c.Flush(time.Now().Add(l.opts.Heartbeat))
	case "ERROR":
		return fmt.Errorf("publisher sent ERROR %q", data)
	}
	return nil
}

// foreign warns about a message not in trackfeed's format, at most once a
// second, with a count of those it did not mention.
func (l *link) foreign(err error) {
	l.skipped++
	if time.Since(l.lastWarn) < time.Second {
		return
	}
	l.log.Warn("skipping message not in trackfeed format", "err", err, "skipped", l.skipped)
	l.skipped, l.lastWarn = 0, time.Now()
}
