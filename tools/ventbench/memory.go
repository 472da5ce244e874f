//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/worker"
)

// memory builds the trackfeed command and, for each library size, starts
// a ventilator process of its own, lets 2 workers of this process scan
// the library through it for a client of this process, and reads the
// ventilator's peak resident memory (VmHWM) from /proc, beside what it
// held idle before the scan.
func memory(sizes, dir string) error {
	var ns []int
	for _, f := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("--memory %q: want file counts such as 2000,20000", sizes)
		}
		ns = append(ns, n)
	}
	dir, cleanup, err := workDir(dir)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := buildTrackfeed(dir)
	if err != nil {
		return err
	}
	fmt.Printf("%8s %12s %12s %12s %12s\n", "files", "idle RSS", "peak RSS", "added", "scan time")
	for _, n := range ns {
		lib := filepath.Join(dir, fmt.Sprintf("lib-%d", n))
		if _, err := os.Stat(lib); err != nil {
			if _, err := librarytest.WriteLibrary(lib, n, 1); err != nil {
				return err
			}
		}
		idle, peak, d, files, err := ventilatorPeak(bin, lib)
		if err != nil {
			return err
		}
		fmt.Printf("%8d %9.1f MB %9.1f MB %9.1f MB %12v\n", files, mb(idle), mb(peak), mb(peak-idle), d.Round(time.Millisecond))
	}
	return nil
}

// buildTrackfeed builds the trackfeed command into dir, from anywhere in
// the module, and returns its path.
func buildTrackfeed(dir string) (string, error) {
	bin := filepath.Join(dir, "trackfeed")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/trackfeed/trackfeed/cmd/trackfeed").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the trackfeed command: %v\n%s", err, out)
	}
	return bin, nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// ventilatorPeak runs one remote scan of lib through a ventilator process
// and returns its resident memory before the scan and at its peak, the
// scan's time and the files it counted.
func ventilatorPeak(bin, lib string) (idle, peak int64, d time.Duration, files int, err error) {
	local := "tcp://127.0.0.1:0"
	cmd := exec.Command(bin, "ventilator", "--control", local, "--fan", local, "--sink", local, "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	lines := bufio.NewScanner(stderr)
	var ready struct{ Msg, Control, Fan, Sink string }
	for ready.Msg != "ventilator ready" {
		if !lines.Scan() {
			return 0, 0, 0, 0, errors.New("the ventilator ended before it was ready")
		}
		json.Unmarshal(lines.Bytes(), &ready)
	}
	go func() { // keep its log from filling the pipe
		for lines.Scan() {
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	defer func() { cancel(); workers.Wait() }()
	for range 2 {
		w, err := worker.New(worker.Config{Root: lib, Fan: ready.Fan, Sink: ready.Sink})
		if err != nil {
			return 0, 0, 0, 0, err
		}
		workers.Go(func() { w.Run(ctx) })
	}
	time.Sleep(500 * time.Millisecond) // the workers connect; the ventilator settles
	if idle, err = status(cmd.Process.Pid, "VmRSS"); err != nil {
		return 0, 0, 0, 0, err
	}
	start := time.Now()
	l, err := remote.Scan(ctx, ready.Control, "", remote.Options{})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	d = time.Since(start)
	peak, err = status(cmd.Process.Pid, "VmHWM")
	return idle, peak, d, len(l.Tracks) + len(l.Skipped), err
}

// status reads a field of /proc/PID/status, in bytes.
func status(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
