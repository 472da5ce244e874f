package interop

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

// TestPyzmqWorker runs a worker of under a hundred lines of pyzmq
// (testdata/worker.py, which reads tracks from their paths only) beside
// trackfeed's: the task completes with every file once, and both worked.
func TestPyzmqWorker(t *testing.T) {
	ctx := withTimeout(t, 30*time.Second)
	music, err := filepath.Abs(filepath.Join(moduleRoot, "sample-music"))
	if err != nil {
		t.Fatal(err)
	}
	v := ventilatortest.Start(t, ventilator.Config{})
	py := startPython(t, ctx, "testdata/worker.py", v.Fan, v.Sink, music)
	if line := py.next(t, ctx); line != "connecting" {
		t.Fatalf("worker.py printed %q first, want connecting", line)
	}
	v.WaitWorkers(t, 1)
	ventilatortest.StartWorker(t, v, music, worker.Config{Jobs: 1})
	v.WaitWorkers(t, 2)

	got, err := remote.Scan(ctx, v.Control, "", remote.Options{Batch: 2})
	if err != nil {
		t.Fatalf("%v; the pyzmq worker's stderr:\n%s", err, py.stderr.String())
	}
	want, err := library.Scan(context.Background(), os.DirFS(music), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tracks) != len(want.Tracks) || len(got.Skipped) != len(want.Skipped) {
		t.Fatalf("remote: %d tracks, %d skipped; local: %d, %d", len(got.Tracks), len(got.Skipped), len(want.Tracks), len(want.Skipped))
	}
	for i := range want.Tracks {
		if got.Tracks[i].Path != want.Tracks[i].Path {
			t.Fatalf("track %d: %s, want %s", i, got.Tracks[i].Path, want.Tracks[i].Path)
		}
	}
	// The pyzmq worker answered some of the jobs.
	if line := py.next(t, ctx); line == "" {
		t.Error("the pyzmq worker answered no job")
	}
	if s := v.Stats(); s.Reassigned != 0 {
		t.Errorf("%d jobs reassigned: a worker's result was lost", s.Reassigned)
	}
}

// TestPyzmqCurveWorker: a pyzmq worker speaking CURVE, with a key pair
// libzmq made, does a whole task for a CURVE ventilator, whether it
// starts before the ventilator or after.
func TestPyzmqCurveWorker(t *testing.T) {
	music, err := filepath.Abs(filepath.Join(moduleRoot, "sample-music"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := library.Scan(context.Background(), os.DirFS(music), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, workerFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "ventilator first", true: "worker first"}[workerFirst], func(t *testing.T) {
			ctx := withTimeout(t, 30*time.Second)
			kp, err := curve.NewKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			cfg := ventilator.Config{Curve: &kp}
			v, stop := ventilatortest.StartStoppable(t, cfg)
			if workerFirst {
				stop() // its endpoints, free again for the worker to dial
			}
			py := startPython(t, ctx, "testdata/worker.py", v.Fan, v.Sink, music, kp.Public.String())
			if line := py.next(t, ctx); line != "connecting" {
				t.Fatalf("worker.py printed %q first, want connecting", line)
			}
			if workerFirst {
				v = ventilatortest.StartAt(t, cfg, v)
			}
			v.WaitWorkers(t, 1)
			got, err := remote.Scan(ctx, v.Control, "", remote.Options{Batch: 2, CurveServer: &kp.Public})
			if err != nil {
				t.Fatalf("%v; the pyzmq worker's stderr:\n%s", err, py.stderr.String())
			}
			if len(got.Tracks) != len(want.Tracks) {
				t.Fatalf("%d tracks over CURVE from the pyzmq worker, want %d", len(got.Tracks), len(want.Tracks))
			}
			if s := v.Stats(); s.CurveRefused != 0 {
				t.Errorf("%d CURVE handshakes refused", s.CurveRefused)
			}
		})
	}
}
