package relay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/relay/relaytest"
	"github.com/trackfeed/trackfeed/subscriber"
)

// only admits the one key k.
func only(k curve.Key) func(curve.Key) error {
	return func(c curve.Key) error {
		if c != k {
			return errors.New("key not in the allowlist")
		}
		return nil
	}
}

// handshake connects to ep as a socket of type typ with security (nil:
// NULL) and returns the handshake's error.
func handshake(t *testing.T, ep string, typ zmq4.SocketType, security func() zmtp.Mechanism) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := zmtp.Dial(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, err = zmtp.Handshake(nc, typ, false, zmtp.Limits{Security: security}.Or(zmtp.DefaultLimits))
	return err
}

// firstTrack runs a subscriber of opts until its first track, and returns
// it.
func firstTrack(t *testing.T, opts subscriber.Options) subscriber.Track {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got subscriber.Track
	enough := errors.New("enough")
	err := subscriber.Run(ctx, opts, func(tr subscriber.Track) error {
		got = tr
		return enough
	})
	if !errors.Is(err, enough) {
		t.Fatalf("subscriber of %v: %v, and no track", opts.Endpoints, err)
	}
	return got
}

// TestCurve: a relay that is the CURVE client of a CURVE publisher (which
// admits only the relay's key) and the CURVE server of its own
// subscribers and query socket (admitting one client key). The admitted
// client reads the feed and queries through it; a client in the clear, one
// holding another server key and one whose key is not admitted get
// nothing, and the last is logged once and counted in stats.
func TestCurve(t *testing.T) {
	pubKeys, relayUp, relayDown := zmtptest.KeyPair(t), zmtptest.KeyPair(t), zmtptest.KeyPair(t)
	client, stranger := zmtptest.KeyPair(t), zmtptest.KeyPair(t)
	p := publishertest.Start(t, publisher.Config{
		Tracks: playlist, Interval: 2 * time.Millisecond,
		Curve: &pubKeys, CurveAdmit: only(relayUp.Public),
	})
	var log zmtptest.Log
	r := relaytest.Start(t, relay.Config{
		Connect: p.Endpoints(), UpstreamCurve: &pubKeys.Public, UpstreamCurveKeys: &relayUp,
		Curve: &relayDown, CurveAdmit: only(client.Public),
		Query:  []string{"tcp://127.0.0.1:0"},
		Logger: log.Logger(),
	})
	ep := r.Endpoints()[0]

	tr := firstTrack(t, subscriber.Options{Endpoints: []string{ep}, CurveServer: &relayDown.Public, CurveKeys: &client})
	if tr.Artist == "" {
		t.Errorf("through the relay over CURVE: %+v", tr)
	}

	if err := handshake(t, ep, zmq4.Sub, nil); err == nil {
		t.Error("a subscriber in the clear got in")
	}
	if err := handshake(t, ep, zmq4.Sub, zmtp.CurveClient(client, pubKeys.Public)); err == nil {
		t.Error("a subscriber holding another server key got in")
	}
	for range 2 {
		var refused *curve.RefusedError
		if err := handshake(t, ep, zmq4.Sub, zmtp.CurveClient(stranger, relayDown.Public)); !errors.As(err, &refused) ||
			!strings.Contains(refused.Reason, "not in the allowlist") {
			t.Errorf("a key not admitted: %v, want the relay's reason", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	qc := query.Client{Endpoint: r.QueryEndpoints()[0], CurveServer: &relayDown.Public, CurveKeys: &client}
	s, err := qc.Stats(ctx)
	if err != nil {
		t.Fatalf("stats over CURVE: %v", err)
	}
	if s.CurveRefused != 2 || s.Sent == 0 {
		t.Errorf("stats: curve_refused %d, sent %d; want 2 and some", s.CurveRefused, s.Sent)
	}
	if _, err := (query.Client{Endpoint: r.QueryEndpoints()[0]}).Stats(ctx); err == nil {
		t.Error("a query in the clear was answered")
	}
	if n := strings.Count(log.String(), "CURVE client refused"); n != 1 || !strings.Contains(log.String(), stranger.Public.String()) {
		t.Errorf("%d refusals logged, want 1 with the key:\n%s", n, log.String())
	}
	if strings.Contains(log.String(), relayDown.Secret.String()) || strings.Contains(log.String(), relayUp.Secret.String()) {
		t.Errorf("a secret key is in the log:\n%s", log.String())
	}
}

// TestCurveUpstreamRefused: a relay that holds the wrong upstream key, or
// none, or a key the upstream does not admit, forwards nothing, and says
// so in its log (a warning when refused).
func TestCurveUpstreamRefused(t *testing.T) {
	pubKeys, other, stranger := zmtptest.KeyPair(t), zmtptest.KeyPair(t), zmtptest.KeyPair(t)
	p := publishertest.Start(t, publisher.Config{Tracks: playlist, Interval: 2 * time.Millisecond, Curve: &pubKeys,
		CurveAdmit: only(other.Public)})
	for _, tc := range []struct {
		name string
		key  *curve.Key
		keys *curve.KeyPair
		want string
	}{
		{"in the clear", nil, nil, "waiting for upstream"},
		// A server drops a HELLO it cannot open without a word, as
		// libzmq does: the client sees the connection close.
		{"another server key", &other.Public, nil, "waiting for upstream"},
		{"a key not admitted", &pubKeys.Public, &stranger, `level=WARN msg="waiting for upstream: it refuses our CURVE key"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log zmtptest.Log
			r := relaytest.Start(t, relay.Config{Connect: p.Endpoints(), UpstreamCurve: tc.key, UpstreamCurveKeys: tc.keys, Logger: log.Logger()})
			zmtptest.WaitFor(t, 10*time.Second, "the relay's failed upstream attempt in the log", func() bool {
				return strings.Contains(log.String(), tc.want)
			})
			if r.Upstreams() != 0 || r.Stats().Sent != 0 {
				t.Errorf("%d upstreams, %d forwarded; want none", r.Upstreams(), r.Stats().Sent)
			}
		})
	}
}

// TestCurveListen: a relay whose publishers connect in over CURVE (the
// listen side admits one publisher key) and whose subscribers read in the
// clear, on loopback. A publisher with another key is refused, logged
// once, counted.
func TestCurveListen(t *testing.T) {
	listen, admitted, stranger := zmtptest.KeyPair(t), zmtptest.KeyPair(t), zmtptest.KeyPair(t)
	var log zmtptest.Log
	r := relaytest.Start(t, relay.Config{
		Listen: []string{"tcp://127.0.0.1:0"}, ListenCurve: &listen, ListenCurveAdmit: only(admitted.Public),
		Logger: log.Logger(),
	})
	lep := r.ListenEndpoints()[0]
	for _, kp := range []*curve.KeyPair{&admitted, &stranger} {
		publishertest.Start(t, publisher.Config{
			Tracks: playlist, Interval: 2 * time.Millisecond, Station: kp.Public.String(),
			Connect: []string{lep}, ConnectCurve: &listen.Public, ConnectCurveKeys: kp,
		})
	}
	zmtptest.WaitFor(t, 10*time.Second, "the stranger publisher's refusal", func() bool { return r.Stats().CurveRefused > 0 })
	for range 5 {
		tr := firstTrack(t, subscriber.Options{Endpoints: r.Endpoints()})
		if tr.Station != admitted.Public.String() {
			t.Errorf("a track of station %s came through; want only %s's", tr.Station, admitted.Public)
		}
	}
	if r.Upstreams() != 1 {
		t.Errorf("%d publishers connected; want the admitted one", r.Upstreams())
	}
	if n := strings.Count(log.String(), "CURVE client refused"); n != 1 || !strings.Contains(log.String(), "socket=listen") ||
		!strings.Contains(log.String(), stranger.Public.String()) {
		t.Errorf("%d refusals logged, want 1 with the socket and the key:\n%s", n, log.String())
	}
	// In the clear, the listen side refuses a publisher too.
	if err := handshake(t, lep, zmq4.Pub, nil); err == nil {
		t.Error("a publisher in the clear got in")
	}
	if err := handshake(t, lep, zmq4.Pub, zmtp.CurveClient(admitted, listen.Public)); err != nil {
		t.Errorf("the admitted publisher's handshake: %v", err)
	}
}
