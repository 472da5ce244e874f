//go:build unix

// Command ventbench measures remote scans through a ventilator against a
// local scan of the same generated library, in one run so that the ratios
// compare like with like:
//
//   - overhead: a local scan (library.Scan, what 'trackfeed scan' runs)
//     against a remote one through a ventilator and 2 workers on this
//     machine (the goal: at least 0.5× the local files/s);
//   - scaling: a far-away store, where every file read first waits
//     --delay (2ms), with 8 workers reading one file at a time against 1
//     (goal: at least 6×). The delay is injected here, through
//     worker.Config.WrapFS, never in the product;
//   - memory (--memory SIZES): the peak resident memory of a 'trackfeed
//     ventilator' process of its own while it serves a remote scan of a
//     library of each size; bounded by the jobs in flight, it should not
//     grow with the library.
//
// Every round runs on ports the kernel picks on 127.0.0.1; each figure is
// the best of --rounds.
//
//	go run ./tools/ventbench --files 20000 --far-files 2000
//	go run ./tools/ventbench --memory 2000,20000,100000
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/worker"
)

func main() {
	files := flag.Int("files", 20000, "files in the library of the overhead benchmark")
	farFiles := flag.Int("far-files", 2000, "files in the library of the far-store benchmark")
	delay := flag.Duration("delay", 2*time.Millisecond, "what each file read costs on the far store")
	rounds := flag.Int("rounds", 3, "rounds of each; the best counts")
	flag.IntVar(&jobsPerWorker, "jobs", 0, "jobs each of the 2 workers of the overhead benchmark works on at once (0: one per CPU)")
	dir := flag.String("dir", "", "where to generate the libraries (default: a temporary folder, removed after)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the remote scans to `FILE`")
	sizes := flag.String("memory", "", "instead, measure a ventilator process's peak memory over remote scans of libraries of these `SIZES` (comma-separated file counts)")
	flag.Parse()
	if *sizes != "" {
		if err := memory(*sizes, *dir); err != nil {
			log.Fatal("ventbench: ", err)
		}
		return
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal("ventbench: ", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*files, *farFiles, *delay, *rounds, *dir); err != nil {
		pprof.StopCPUProfile()
		log.Fatal("ventbench: ", err)
	}
}

// jobsPerWorker is worker.Config.Jobs in the overhead benchmark.
var jobsPerWorker int

func run(files, farFiles int, delay time.Duration, rounds int, dir string) error {
	dir, cleanup, err := workDir(dir)
	if err != nil {
		return err
	}
	defer cleanup()
	lib := filepath.Join(dir, fmt.Sprintf("lib-%d", files))
	far := filepath.Join(dir, fmt.Sprintf("lib-%d", farFiles))
	for _, l := range []struct {
		dir string
		n   int
	}{{lib, files}, {far, farFiles}} {
		if _, err := librarytest.WriteLibrary(l.dir, l.n, 1); err != nil {
			return err
		}
	}
	fmt.Printf("GOMAXPROCS=%d, %s/%s\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	ctx := context.Background()

	// Local and remote rounds take turns, so that a neighbour's load on a
	// shared machine falls on both.
	var local, remote2, localCPU, remoteCPU time.Duration
	var n int
	for range rounds {
		c0 := cpuTime()
		l, k, err := best(1, func() (int, time.Duration, error) {
			start := time.Now()
			l, err := library.Scan(ctx, os.DirFS(lib), library.Options{})
			if err != nil {
				return 0, 0, err
			}
			return len(l.Tracks) + len(l.Skipped), time.Since(start), nil
		})
		if err != nil {
			return err
		}
		c1 := cpuTime()
		r, _, err := best(1, func() (int, time.Duration, error) { return remoteScan(ctx, lib, 2, jobsPerWorker, 0) })
		if err != nil {
			return err
		}
		c2 := cpuTime()
		localCPU += c1 - c0
		remoteCPU += c2 - c1
		if local == 0 || l < local {
			local, n = l, k
		}
		if remote2 == 0 || r < remote2 {
			remote2 = r
		}
	}
	report := func(name string, d time.Duration, files int) float64 {
		rate := float64(files) / d.Seconds()
		fmt.Printf("%-44s %8d files %10v %10.0f files/s\n", name, files, d.Round(time.Millisecond), rate)
		return rate
	}
	fmt.Println("overhead:")
	l := report("  local scan (library.Scan, one per CPU)", local, n)
	r := report("  remote scan, ventilator + 2 workers", remote2, n)
	fmt.Printf("  remote/local: %.2f× (goal ≥ 0.5×); CPU time per scan: local %v, remote %v (workers, ventilator and client together)\n",
		r/l, (localCPU / time.Duration(rounds)).Round(time.Millisecond), (remoteCPU / time.Duration(rounds)).Round(time.Millisecond))

	fmt.Printf("far store (%v per file read, one file at a time per worker):\n", delay)
	one, m, err := best(rounds, func() (int, time.Duration, error) { return remoteScan(ctx, far, 1, 1, delay) })
	if err != nil {
		return err
	}
	eight, _, err := best(rounds, func() (int, time.Duration, error) { return remoteScan(ctx, far, 8, 1, delay) })
	if err != nil {
		return err
	}
	r1 := report("  1 worker", one, m)
	r8 := report("  8 workers", eight, m)
	fmt.Printf("  8 workers/1: %.2f× (goal ≥ 6×)\n", r8/r1)
	return nil
}

// workDir is dir, or a temporary folder that cleanup removes when dir is
// empty.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "ventbench")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// cpuTime is the CPU time (user and system) the process has used: on a
// shared machine it varies less than the time a scan takes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// best runs f rounds times and returns the shortest time f measured and
// what it counted.
func best(rounds int, f func() (int, time.Duration, error)) (time.Duration, int, error) {
	var min time.Duration
	var n int
	for range rounds {
		runtime.GC()
		k, d, err := f()
		if err != nil {
			return 0, 0, err
		}
		if min == 0 || d < min {
			min, n = d, k
		}
	}
	return min, n, nil
}

// remoteScan scans root through a ventilator and workers, each working on
// jobs at once (0: one per CPU), every file read waiting delay; it counts
// the files. The ventilator and workers start before the clock and stop
// after.
func remoteScan(ctx context.Context, root string, workers, jobs int, delay time.Duration) (int, time.Duration, error) {
	local := []string{"tcp://127.0.0.1:0"}
	v, err := ventilator.New(ventilator.Config{Control: local, Fan: local, Sink: local})
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var wait []chan struct{}
	defer func() {
		cancel()
		for _, w := range wait {
			<-w
		}
		<-done
	}()
	go func() { defer close(done); v.Run(ctx) }()
	control, fan, sink := v.Endpoints()
	var wrap func(fs.FS) fs.FS
	if delay > 0 {
		wrap = func(f fs.FS) fs.FS { return farFS{f, delay} }
	}
	want := 0
	for range workers {
		w, err := worker.New(worker.Config{Root: root, Fan: fan[0], Sink: sink[0], Jobs: jobs, WrapFS: wrap})
		if err != nil {
			return 0, 0, err
		}
		d := make(chan struct{})
		wait = append(wait, d)
		go func() { defer close(d); w.Run(ctx) }()
		if jobs > 0 {
			want += jobs
		} else {
			want += runtime.GOMAXPROCS(0)
		}
	}
	// Time the scan, not the workers' connecting.
	for v.Stats().Workers < want {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	l, err := remote.Scan(ctx, control[0], "", remote.Options{})
	if err != nil {
		return 0, 0, err
	}
	return len(l.Tracks) + len(l.Skipped), time.Since(start), nil
}

// farFS is a store far away: every file read waits first.
type farFS struct {
	fs.FS
	delay time.Duration
}

func (f farFS) Open(name string) (fs.File, error) {
	if !strings.HasSuffix(name, "/") {
		time.Sleep(f.delay)
	}
	return f.FS.Open(name)
}

func (f farFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(f.FS, name) }
func (f farFS) Stat(name string) (fs.FileInfo, error)      { return fs.Stat(f.FS, name) }
