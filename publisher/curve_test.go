package publisher_test

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
	"github.com/trackfeed/trackfeed/subscriber"
)

// TestCurve: a publisher with a CURVE key pair serves a subscriber and a
// query client that hold its public key, and refuses, each with a clear
// error, a client in the clear, one that holds another server key, and
// one whose key it does not admit; the admitted ones go on undisturbed.
func TestCurve(t *testing.T) {
	server, _ := curve.NewKeyPair()
	admitted, _ := curve.NewKeyPair()
	stranger, _ := curve.NewKeyPair()
	p := publishertest.Start(t, publisher.Config{
		Interval: time.Millisecond, Query: []string{"tcp://127.0.0.1:0"},
		Curve: &server,
		CurveAdmit: func(k curve.Key) error {
			if k != admitted.Public {
				return errors.New("key not in the allowlist")
			}
			return nil
		},
	})
	ep := p.Endpoints()[0]

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan subscriber.Track, 1)
	done := make(chan error, 1)
	go func() {
		done <- subscriber.Run(ctx, subscriber.Options{Endpoints: []string{ep}, CurveServer: &server.Public, CurveKeys: &admitted},
			func(tr subscriber.Track) error {
				got <- tr
				return errors.New("enough")
			})
	}()
	select {
	case tr := <-got:
		if tr.Artist != "The Streets" {
			t.Errorf("over CURVE: %+v", tr)
		}
	case <-ctx.Done():
		t.Fatal("no track over CURVE")
	}
	<-done

	handshake := func(lim zmtp.Limits) error {
		nc, err := zmtp.Dial(ctx, ep)
		if err != nil {
			return err
		}
		defer nc.Close()
		_, err = zmtp.Handshake(nc, zmq4.Sub, false, lim.Or(zmtp.DefaultLimits))
		return err
	}
	if err := handshake(zmtp.Limits{}); err == nil {
		t.Error("a client in the clear got in")
	}
	other, _ := curve.NewKeyPair()
	if err := handshake(zmtp.Limits{Security: zmtp.CurveClient(admitted, other.Public)}); err == nil {
		t.Error("a client holding another server key got in")
	}
	if err := handshake(zmtp.Limits{Security: zmtp.CurveClient(stranger, server.Public)}); err == nil ||
		!strings.Contains(err.Error(), "key not in the allowlist") {
		t.Errorf("a key not admitted: %v, want the server's reason", err)
	}
	zmtptest.WaitFor(t, 5*time.Second, "the refusal counted", func() bool { return p.Stats().CurveRefused == 1 })

	st, err := query.Client{Endpoint: p.QueryEndpoints()[0], CurveServer: &server.Public, CurveKeys: &admitted}.Stats(ctx)
	if err != nil || st.Tracks != 10 || st.CurveRefused != 1 {
		t.Errorf("query over CURVE: %+v, %v; want 10 tracks, 1 refused", st, err)
	}
	if _, err := (query.Client{Endpoint: p.QueryEndpoints()[0]}).Stats(ctx); err == nil {
		t.Error("a query in the clear was answered")
	}
}

// TestCurveConnectNeedsKey: a publisher that speaks CURVE only does not
// feed a relay in the clear.
func TestCurveConnectNeedsKey(t *testing.T) {
	server, _ := curve.NewKeyPair()
	_, err := publisher.New(publisher.Config{Tracks: publishertest.Tracks(1), Bind: []string{}, Connect: []string{"tcp://127.0.0.1:1"}, Curve: &server})
	if !errors.Is(err, publisher.ErrConnectInTheClear) {
		t.Errorf("New with Curve and Connect, without ConnectCurve: %v, want ErrConnectInTheClear", err)
	}
}
