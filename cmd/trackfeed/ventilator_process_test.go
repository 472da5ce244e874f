//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// startVentilator runs 'trackfeed ventilator' on ports the kernel picks and
// returns it with its control, fan and sink endpoints, read from its log.
func startVentilator(t *testing.T, ctx context.Context, bin string) (*process, [3]string, *syncBuffer) {
	t.Helper()
	local := "tcp://127.0.0.1:0"
	p, log := startCmd(t, exec.CommandContext(ctx, bin, "ventilator", "--control", local, "--fan", local, "--sink", local, "--log-format", "json", "--log-level", "debug", "--job-timeout", "2s"))
	line, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"ventilator ready"`) })
	if err != nil {
		t.Fatalf("ventilator did not log its endpoints: %v\n%s", err, log)
	}
	var l struct{ Control, Fan, Sink string }
	if err := json.Unmarshal([]byte(line), &l); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	return p, [3]string{l.Control, l.Fan, l.Sink}, log
}

// startWorker runs 'trackfeed worker' of root for the ventilator at eps
// and waits until it has connected to the fan.
func startWorker(t *testing.T, ctx context.Context, bin string, eps [3]string, root string) *process {
	t.Helper()
	p, log := startCmd(t, exec.CommandContext(ctx, bin, "worker", "--fan", eps[1], "--sink", eps[2], "--jobs", "1", "--log-format", "json", "--log-level", "debug", root))
	if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"connected to the fan"`) }); err != nil {
		t.Fatalf("worker did not connect: %v\n%s", err, log)
	}
	return p
}

// exitCode is the status a process exited with.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestTaskSystemProcesses runs the task system as processes: a scan
// through a worker prints what a local scan prints, even when the first
// worker is killed (SIGKILL) holding the task's jobs; with no worker the
// scan says so and fails with a hint; each process stops within a second
// of SIGTERM or SIGINT, a scan cut short with 130 or 143.
func TestTaskSystemProcesses(t *testing.T) {
	ctx := testContext(t, 90*time.Second)
	bin := buildBinary(t, ctx)
	music := t.TempDir()
	if _, err := librarytest.WriteLibrary(music, 400, 5); err != nil {
		t.Fatal(err)
	}
	local, err := exec.CommandContext(ctx, bin, "scan", "-v", music).Output()
	if err != nil {
		t.Fatalf("local scan: %v", err)
	}

	t.Run("no worker", func(t *testing.T) {
		v, eps, _ := startVentilator(t, ctx, bin)
		defer v.stopWithin(t, syscall.SIGTERM, time.Second)
		out, err := exec.CommandContext(ctx, bin, "scan", "--ventilator", eps[0], "--timeout", "500ms").CombinedOutput()
		if code := exitCode(err); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		for _, want := range []string{"waiting for workers on " + eps[1], "no worker joined", "trackfeed worker --ventilator"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("output does not say %q:\n%s", want, out)
			}
		}
	})

	t.Run("worker killed", func(t *testing.T) {
		v, eps, vlog := startVentilator(t, ctx, bin)
		doomed := startWorker(t, ctx, bin, eps, music)
		// Frozen, it takes jobs and answers none, until it is killed.
		doomed.cmd.Process.Signal(syscall.SIGSTOP)
		scan := exec.CommandContext(ctx, bin, "scan", "-v", "--ventilator", eps[0])
		var out, stderr syncBuffer
		scan.Stdout, scan.Stderr = &out, &stderr
		if err := scan.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- scan.Wait() }()
		// The job the frozen worker holds goes to the next worker when the
		// kernel closes the killed worker's connections.
		if _, err := vlog.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"job handed out"`) }); err != nil {
			t.Fatal(err)
		}
		doomed.cmd.Process.Kill()
		<-doomed.done
		w := startWorker(t, ctx, bin, eps, music)
		if err := <-done; err != nil {
			t.Fatalf("remote scan: %v\n%s", err, stderr.String())
		}
		if got := out.String(); got != string(local) {
			gl, wl := strings.Split(got, "\n"), strings.Split(string(local), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Errorf("remote scan, line %d of %d:\n%s\nlocal scan, line %d of %d:\n%s", i+1, len(gl), gl[i], i+1, len(wl), wl[i])
					break
				}
			}
		}
		if _, err := vlog.waitFor(ctx, func(l string) bool {
			return strings.Contains(l, `"jobs_reassigned":`) && !strings.Contains(l, `"jobs_reassigned":0`)
		}); err != nil {
			t.Errorf("the ventilator logged no job reassigned: %v", err)
		}
		w.stopWithin(t, syscall.SIGTERM, time.Second)
		v.stopWithin(t, syscall.SIGINT, time.Second)
	})

	t.Run("publish", func(t *testing.T) {
		v, eps, _ := startVentilator(t, ctx, bin)
		w := startWorker(t, ctx, bin, eps, music)
		cmd := exec.CommandContext(ctx, bin, "publish", "--ventilator", eps[0], "--bind", "tcp://127.0.0.1:0", "--query", "",
			"--log-format", "json", "--cache", filepath.Join(t.TempDir(), "cache"))
		pub, log := startCmd(t, cmd)
		for _, step := range []struct {
			signal syscall.Signal
			want   string
		}{{0, `"msg":"scanned library"`}, {syscall.SIGHUP, `"msg":"rescanned library"`}} {
			if step.signal != 0 {
				pub.cmd.Process.Signal(step.signal)
			}
			if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, step.want) }); err != nil {
				t.Fatalf("publish --ventilator did not log %s: %v\n%s", step.want, err, log)
			}
		}
		if !strings.Contains(log.String(), `"summary":"`) {
			t.Errorf("no summary in the log:\n%s", log)
		}
		pub.stopWithin(t, syscall.SIGTERM, time.Second)
		w.stopWithin(t, syscall.SIGTERM, time.Second)
		v.stopWithin(t, syscall.SIGTERM, time.Second)
	})

	t.Run("scan interrupted", func(t *testing.T) {
		v, eps, _ := startVentilator(t, ctx, bin)
		defer v.stopWithin(t, syscall.SIGTERM, time.Second)
		for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
			scan := exec.CommandContext(ctx, bin, "scan", "--ventilator", eps[0])
			var out syncBuffer
			scan.Stderr = &out
			if err := scan.Start(); err != nil {
				t.Fatal(err)
			}
			// No worker: it waits until told so, then is interrupted.
			if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, "waiting for workers") }); err != nil {
				t.Fatal(err)
			}
			scan.Process.Signal(sig)
			if code := exitCode(scan.Wait()); code != want {
				t.Errorf("scan after %v: exit status %d, want %d", sig, code, want)
			}
		}
	})
}
