package ventilator_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

// TestCurve: a ventilator that speaks CURVE on its three sockets and
// admits one client key and one worker key. The admitted client's remote
// scan, read by the admitted worker, is the local scan; a worker of
// another key gets no job, and both sides log it once (so does a worker
// that holds another server key); a client of
// another key is refused at once with the reason; peers in the clear get
// nothing.
func TestCurve(t *testing.T) {
	server, client, admittedWorker, stranger := zmtptest.KeyPair(t), zmtptest.KeyPair(t), zmtptest.KeyPair(t), zmtptest.KeyPair(t)
	var vlog, wlog zmtptest.Log
	v := ventilatortest.Start(t, ventilator.Config{
		Curve: &server,
		CurveAdmit: func(k curve.Key) error {
			if k != client.Public && k != admittedWorker.Public {
				return errors.New("key not in the allowlist")
			}
			return nil
		},
		Logger: vlog.Logger(),
	})
	strangerWorker := ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{
		Jobs: 2, CurveServer: &server.Public, CurveKeys: &stranger, Logger: wlog.Logger(),
	})
	zmtptest.WaitFor(t, 10*time.Second, "the stranger worker's refusal", func() bool { return v.Stats().CurveRefused > 0 })
	var olog zmtptest.Log
	other := zmtptest.KeyPair(t)
	lost := ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{
		Jobs: 1, CurveServer: &other.Public, CurveKeys: &admittedWorker, Logger: olog.Logger(),
	})
	zmtptest.WaitFor(t, 10*time.Second, "the warning of a worker that holds another server key", func() bool {
		return strings.Contains(olog.String(), "CURVE handshake with the ventilator failed")
	})
	w := ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 2, CurveServer: &server.Public, CurveKeys: &admittedWorker})
	v.WaitWorkers(t, 2)

	got, err := remote.Scan(testContext(t), v.Control, "", remote.Options{CurveServer: &server.Public, CurveKeys: &client})
	if err != nil {
		t.Fatalf("remote scan over CURVE: %v", err)
	}
	local, err := library.Scan(context.Background(), os.DirFS(sampleMusic()), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tracks) != len(local.Tracks) || len(got.Tracks) == 0 {
		t.Errorf("remote scan over CURVE: %d tracks, local scan %d", len(got.Tracks), len(local.Tracks))
	}
	if s := v.Stats(); s.Workers != 2 || strangerWorker.Done() != 0 || lost.Done() != 0 || w.Done() == 0 {
		t.Errorf("%d workers connected, the stranger answered %d jobs, the one of another server key %d, the admitted one %d; want 2, 0, 0 and some",
			s.Workers, strangerWorker.Done(), lost.Done(), w.Done())
	}

	var refused *curve.RefusedError
	_, err = remote.Scan(testContext(t), v.Control, "", remote.Options{CurveServer: &server.Public, CurveKeys: &stranger, Timeout: time.Hour})
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "not in the allowlist") {
		t.Errorf("a client of a key not admitted: %v; want the ventilator's reason", err)
	}
	if _, err := remote.Scan(testContext(t), v.Control, "", remote.Options{Timeout: time.Second}); err == nil {
		t.Error("a client in the clear scanned")
	}
	for _, tc := range []struct {
		ep  string
		typ zmq4.SocketType
	}{{v.Control, zmq4.Dealer}, {v.Fan, zmq4.Pull}, {v.Sink, zmq4.Pub}} {
		nc, err := zmtp.Dial(testContext(t), tc.ep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zmtp.Handshake(nc, tc.typ, false, zmtp.DefaultLimits); err == nil {
			t.Errorf("a %s in the clear got in", tc.typ)
		}
		nc.Close()
	}

	if n := strings.Count(vlog.String(), "CURVE client refused"); n != 1 || !strings.Contains(vlog.String(), stranger.Public.String()) {
		t.Errorf("the ventilator logged %d refusals; want 1, with the key:\n%s", n, vlog.String())
	}
	if n := strings.Count(wlog.String(), "CURVE handshake with the ventilator failed"); n != 1 || !strings.Contains(wlog.String(), "not in the allowlist") {
		t.Errorf("the stranger worker logged %d failed handshakes; want 1, with the reason:\n%s", n, wlog.String())
	}
	if strings.Contains(vlog.String()+wlog.String(), server.Secret.String()) {
		t.Error("the ventilator's secret key is in a log")
	}
}
