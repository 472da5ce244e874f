package zmtp

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
)

// Redialer keeps one outgoing connection for as long as it runs: it
// dials Endpoint, runs the handshake as Type, hands the connection to a
// session, and when the session ends dials again, as libzmq's connecting
// sockets do (ZMQ_RECONNECT_IVL). The zero values of Limits, Min and Max
// take DefaultLimits, 100ms and 1s.
type Redialer struct {
	Endpoint string
	Type     zmq4.SocketType
	Limits   Limits
	// Min and Max bound the wait between two attempts: it starts at Min
	// and doubles up to Max, with ±20% jitter so that many peers do not
	// come back in step; it starts over at Min after a session that lasted
	// longer than 2×Max.
	Min, Max time.Duration
	// Ended, if set, sees each attempt that failed (connected false: the
	// dial or the handshake) and each session that ended.
	Ended func(err error, connected bool)
}

// Run dials and redials until ctx ends. session owns the connection until
// it returns, and must return soon after ctx ends; the connection is
// closed then.
func (d Redialer) Run(ctx context.Context, session func(ctx context.Context, c *Conn) error) {
	d.Limits = d.Limits.Or(DefaultLimits)
	if d.Min <= 0 {
		d.Min = 100 * time.Millisecond
	}
	if d.Max < d.Min {
		d.Max = max(time.Second, d.Min)
	}
	wait := d.Min
	for ctx.Err() == nil {
		start := time.Now()
		connected, err := d.once(ctx, session)
		if ctx.Err() != nil {
			return
		}
		if d.Ended != nil {
			d.Ended(err, connected)
		}
		if time.Since(start) > 2*d.Max {
			wait = d.Min
		}
		t := time.NewTimer(time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64())))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, d.Max)
	}
}

// once makes one connection and runs session on it.
func (d Redialer) once(ctx context.Context, session func(context.Context, *Conn) error) (connected bool, err error) {
	timeout := d.Limits.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultLimits.HandshakeTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	nc, err := Dial(dctx, d.Endpoint)
	cancel()
	if err != nil {
		return false, err
	}
	defer nc.Close()
	// End the handshake if ctx ends during it; after it, the session
	// ends the connection, which lets it linger over what it writes.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	c, err := Handshake(nc, d.Type, false, d.Limits)
	if stopped := !stop(); err != nil || stopped {
		return false, err
	}
	return true, session(ctx, c)
}

// LogEnded returns a Redialer.Ended that logs how the connection to a peer
// goes, naming it peer ("upstream", "relay"): its loss, the wait for it
// (once; a warning if the peer's ZMTP is too old, or if it refused our
// CURVE key: waiting mends neither), and at debug level each retry.
func LogEnded(log *slog.Logger, peer string) func(err error, connected bool) {
	waiting := false
	return func(err error, connected bool) {
		var (
			old     *VersionError
			refused *curve.RefusedError
		)
		switch {
		case connected:
			log.Info(peer+" gone; reconnecting", "err", err)
			waiting = false
		case !waiting && errors.As(err, &old):
			log.Warn("waiting for "+peer+": its ZMTP is too old", "peer_zmtp", old.Version(), "min_zmtp", MinVersion, "err", err)
			waiting = true
		case !waiting && errors.As(err, &refused):
			log.Warn("waiting for "+peer+": it refuses our CURVE key", "err", err)
			waiting = true
		case !waiting:
			log.Info("waiting for "+peer, "err", err)
			waiting = true
		default:
			log.Debug("cannot connect to "+peer+" yet; retrying", "err", err)
		}
	}
}
