// Package ventilatortest starts a ventilator and workers on 127.0.0.1 for
// tests, on ports the kernel picks, and stops them when the test ends.
package ventilatortest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/servicetest"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/task"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/worker"
)

// Ventilator is a running ventilator and where to reach it.
type Ventilator struct {
	*ventilator.Ventilator
	Control, Fan, Sink string
}

// Start starts a ventilator bound to 127.0.0.1, ports from the kernel,
// with cfg's other settings. It stops when the test ends.
func Start(t testing.TB, cfg ventilator.Config) *Ventilator {
	t.Helper()
	v, _ := StartStoppable(t, cfg)
	return v
}

// StartStoppable is Start, also returning a function that stops the
// ventilator at once and waits for it; calling it again does nothing.
func StartStoppable(t testing.TB, cfg ventilator.Config) (*Ventilator, func()) {
	t.Helper()
	cfg.Control = []string{"tcp://127.0.0.1:0"}
	cfg.Fan = []string{"tcp://127.0.0.1:0"}
	cfg.Sink = []string{"tcp://127.0.0.1:0"}
	return start(t, cfg)
}

// StartAt starts a ventilator on the endpoints of old, which has stopped:
// a restart, which its workers must find by themselves.
func StartAt(t testing.TB, cfg ventilator.Config, old *Ventilator) *Ventilator {
	t.Helper()
	cfg.Control, cfg.Fan, cfg.Sink = []string{old.Control}, []string{old.Fan}, []string{old.Sink}
	v, _ := start(t, cfg)
	return v
}

func start(t testing.TB, cfg ventilator.Config) (*Ventilator, func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	v, err := ventilator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := servicetest.Run(t, "ventilator", v.Run).Stop
	c, f, s := v.Endpoints()
	return &Ventilator{Ventilator: v, Control: c[0], Fan: f[0], Sink: s[0]}, stop
}

// HungWorker connects a PULL to v's fan that takes jobs and never
// answers; the test reads the jobs from it. It is closed when the test
// ends.
func HungWorker(t testing.TB, v *Ventilator) *task.Conn {
	t.Helper()
	n := v.Stats().Workers
	nc, err := zmtp.Dial(context.Background(), v.Fan)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zmtp.Handshake(nc, zmq4.Pull, false, task.JobLimits)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	conn := task.NewConn(c)
	t.Cleanup(func() { conn.Close() })
	v.WaitWorkers(t, n+1)
	return conn
}

// Worker is a running worker.
type Worker struct {
	*worker.Worker
	// Stop stops it and waits for it to end, as if killed: its
	// connections close. It may be called more than once.
	Stop func()
}

// StartWorker starts a worker of root for v, with cfg's other settings.
// It stops when the test ends, if not before.
func StartWorker(t testing.TB, v *Ventilator, root string, cfg worker.Config) *Worker {
	t.Helper()
	cfg.Root, cfg.Fan, cfg.Sink = root, v.Fan, v.Sink
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("worker did not stop within 5s")
		}
	}
	t.Cleanup(stop)
	return &Worker{Worker: w, Stop: stop}
}

// WaitWorkers waits until v has n worker connections on its fan.
func (v *Ventilator) WaitWorkers(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for v.Stats().Workers < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d worker connections (have %d)", n, v.Stats().Workers)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testLogger logs at warning level and above to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlog struct{ t testing.TB }

func (l tlog) Write(b []byte) (int, error) {
	l.t.Log(string(b))
	return len(b), nil
}

// WaitIdle waits until v holds no client, no queued job and no job in
// flight.
func WaitIdle(t testing.TB, v *Ventilator) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := v.Stats()
		if s.Clients == 0 && s.Queued == 0 && s.InFlight == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ventilator not idle after 5s: %+v", s)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
