//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
)

// contender is one thing that reads the library, and its timed rounds.
type contender struct {
	name    string
	workers int
	// run reads the library once and says how many files it read and what
	// that cost.
	run func(ctx context.Context) (int, cost, error)
	// procs, if set, is the GOMAXPROCS to run with: a Go contender with n
	// workers gets n cores, as TagLib with n threads does.
	procs  int
	rounds []cost
}

// cost is what one run took: the time it took, and the CPU time (user and
// system, all threads) it used. On a shared machine the CPU time varies
// less than the time.
type cost struct {
	wall, cpu time.Duration
}

// once runs the contender once.
func (c *contender) once(ctx context.Context) (int, cost, error) {
	if c.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
	}
	// From a collected heap, so that no contender pays for the garbage of
	// the one before (a millisecond load would pay for a whole scan's).
	runtime.GC()
	n, k, err := c.run(ctx)
	if err != nil {
		return 0, cost{}, fmt.Errorf("%s, %s: %w", c.name, workers(c.workers), err)
	}
	return n, k, nil
}

// best returns the fastest round: the one that other work on the machine
// disturbed least.
func (c *contender) best() time.Duration {
	return slices.Min(c.walls())
}

// median returns the median round, or the mean of the two middle ones.
func (c *contender) median() time.Duration { return median(c.walls()) }

// cpu returns the median CPU time of a round.
func (c *contender) cpu() time.Duration {
	var t []time.Duration
	for _, r := range c.rounds {
		t = append(t, r.cpu)
	}
	return median(t)
}

func (c *contender) walls() []time.Duration {
	var t []time.Duration
	for _, r := range c.rounds {
		t = append(t, r.wall)
	}
	return t
}

func median(t []time.Duration) time.Duration {
	t = slices.Sorted(slices.Values(t))
	if len(t)%2 == 1 {
		return t[len(t)/2]
	}
	return (t[len(t)/2-1] + t[len(t)/2]) / 2
}

// rate is files per second at duration d.
func rate(files int, d time.Duration) float64 { return float64(files) / d.Seconds() }

// timed turns a function that returns a file count into a contender's run.
func timed(fn func(ctx context.Context) (int, error)) func(context.Context) (int, cost, error) {
	return func(ctx context.Context) (int, cost, error) {
		cpu0 := cpuTime()
		start := time.Now()
		n, err := fn(ctx)
		return n, cost{wall: time.Since(start), cpu: cpuTime() - cpu0}, err
	}
}

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanFiles runs library.Scan on the folder root and counts the files it
// saw.
func scanFiles(ctx context.Context, root string, opts library.Options) (int, error) {
	return scanFS(ctx, os.DirFS(root), opts)
}

// scanFS runs library.Scan on fsys and counts the files it saw.
func scanFS(ctx context.Context, fsys fs.FS, opts library.Options) (int, error) {
	lib, err := library.Scan(ctx, fsys, opts)
	if err != nil {
		return 0, err
	}
	return len(lib.Tracks) + len(lib.Skipped), nil
}

func bench(ctx context.Context, c config, stdout, stderr io.Writer) error {
	tmp, err := os.MkdirTemp("", "scanbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	env := describeMachine()
	root := c.dir
	var st librarytest.LibraryStats
	if root == "" {
		root = tmp + "/library"
		fmt.Fprintf(stderr, "scanbench: writing %d files into %s\n", c.files, root)
		if st, err = librarytest.WriteLibrary(root, c.files, c.seed); err != nil {
			return err
		}
	}

	if c.cpuprofile != "" {
		return profile(ctx, c, root, tmp, stderr)
	}

	var contenders []*contender
	for _, w := range c.workers {
		contenders = append(contenders,
			&contender{name: "library.Scan", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
				return scanFiles(ctx, root, library.Options{Workers: w})
			})},
			&contender{name: "bound", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
				return readBound(ctx, root, w)
			})},
		)
		if c.covers {
			contenders = append(contenders, &contender{name: "no covers", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
				return scanFiles(ctx, root, library.Options{Workers: w, SkipCovers: true})
			})})
		}
	}
	var cacheSize, gobSize int64
	if c.cache {
		cachePath := tmp + "/scan.cache"
		if cacheSize, err = buildCache(ctx, root, cachePath); err != nil {
			return err
		}
		for _, w := range c.workers {
			contenders = append(contenders,
				&contender{name: "restart", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
					return restart(ctx, root, cachePath, w)
				})},
				&contender{name: "walk + stat", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
					return statFloor(ctx, root, w)
				})},
				&contender{name: "first scan", workers: w, procs: w, run: timed(func(ctx context.Context) (int, error) {
					return firstScan(ctx, root, tmp+"/first.cache", w)
				})},
			)
		}
		// The publisher loads the cache on every core it has (GOMAXPROCS),
		// so measured on as many as each cold scan has workers.
		for _, w := range c.workers {
			contenders = append(contenders, &contender{name: "cached tracks", workers: w, procs: w,
				run: timed(func(context.Context) (int, error) {
					return loadTracks(cachePath)
				})})
		}
		contenders = append(contenders, &contender{name: "OpenCache", workers: 1, procs: 1,
			run: timed(func(context.Context) (int, error) {
				cache, err := library.OpenCache(cachePath)
				if err != nil {
					return 0, err
				}
				return cache.Len(), nil
			})})
		gobPath := tmp + "/scan.gob"
		var skippedFiles int
		if gobSize, skippedFiles, err = writeGobCache(ctx, root, gobPath); err != nil {
			return err
		}
		contenders = append(contenders, &contender{name: "gob load", workers: 1, procs: 1,
			run: timed(func(context.Context) (int, error) {
				n, err := loadGobCache(gobPath)
				// The gob holds the tracks only; count the skipped files
				// too, as the other contenders do.
				return n + skippedFiles, err
			})})
	}
	if c.taglib {
		bin, err := buildTagLibReader(ctx, tmp)
		if err != nil {
			return err
		}
		for _, w := range c.workers {
			contenders = append(contenders, &contender{name: "TagLib", workers: w,
				run: func(ctx context.Context) (int, cost, error) { return runTagLib(ctx, bin, root, w) }})
		}
	}

	// One untimed round warms the page cache and checks that every
	// contender sees the same files.
	fmt.Fprintf(stderr, "scanbench: warming up\n")
	files := -1
	for _, ct := range contenders {
		n, _, err := ct.once(ctx)
		if err != nil {
			return err
		}
		if files >= 0 && n != files {
			return fmt.Errorf("%s, %d workers, read %d files; the others %d", ct.name, ct.workers, n, files)
		}
		files = n
	}
	var reads [2]readStats // with covers, without
	if c.covers {
		for i, skip := range []bool{false, true} {
			n, calls, bytes, err := countReads(ctx, root, library.Options{SkipCovers: skip})
			if err != nil {
				return err
			}
			reads[i] = readStats{calls: float64(calls) / float64(n), bytes: float64(bytes) / float64(n)}
		}
	}
	loadBefore := loadAverage()
	for round := range c.rounds {
		fmt.Fprintf(stderr, "scanbench: round %d of %d\n", round+1, c.rounds)
		for _, ct := range contenders {
			_, k, err := ct.once(ctx)
			if err != nil {
				return err
			}
			ct.rounds = append(ct.rounds, k)
		}
	}
	loadAfter := loadAverage()

	r := report{env: env, files: files, stats: st, seed: c.seed, rounds: c.rounds, generated: c.dir == "",
		loadBefore: loadBefore, loadAfter: loadAfter, args: c, cacheSize: cacheSize, gobSize: gobSize, reads: reads}
	r.scanTable(stdout, contenders)
	if c.covers {
		r.coverTable(stdout, contenders)
	}
	if c.cache {
		r.cacheTable(stdout, contenders)
	}
	r.roundsTable(stdout, contenders)
	return nil
}

// buildCache scans root into a new cache at path, saves it and returns the
// file's size.
func buildCache(ctx context.Context, root, path string) (int64, error) {
	n, err := firstScan(ctx, root, path, runtime.GOMAXPROCS(0))
	if err != nil {
		return 0, err
	}
	// A file changed in the last seconds is not remembered (see
	// library.Options.Cache); genlib's files are dated years back.
	if cache, err := library.OpenCache(path); err != nil || cache.Len() != n {
		return 0, fmt.Errorf("the cache of %d files holds %d (%v): are some files only just written?", n, cache.Len(), err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// firstScan scans root with an empty cache and saves it at path.
func firstScan(ctx context.Context, root, path string, workers int) (int, error) {
	os.Remove(path)
	cache := library.NewCache(path)
	n, err := scanFiles(ctx, root, library.Options{Workers: workers, Cache: cache})
	if err != nil {
		return 0, err
	}
	return n, cache.Save()
}

// restart is what a program does when it starts on a library it scanned
// before: it loads the cache, scans with it, and saves it (which, as
// nothing changed, writes nothing).
func restart(ctx context.Context, root, path string, workers int) (int, error) {
	cache, err := library.OpenCache(path)
	if err != nil {
		return 0, err
	}
	if cache.Len() == 0 {
		return 0, fmt.Errorf("cache %s is empty", path)
	}
	n, err := scanFiles(ctx, root, library.Options{Workers: workers, Cache: cache})
	if err != nil {
		return 0, err
	}
	return n, cache.Save()
}

// loadTracks is what trackfeed publish does on a restart: load the cache
// and take its tracks a chunk at a time (it plays the first at once; the
// scan that checks them runs while the feed is on the air). It returns how
// many files the cache knows.
func loadTracks(path string) (int, error) {
	cache, err := library.OpenCache(path)
	if err != nil {
		return 0, err
	}
	for range cache.TrackChunks() {
	}
	return cache.Len(), nil
}

// profile runs library.Scan --rounds times under the CPU profiler: a cold
// scan, or with --profile restart, a restart with the scan cache, or with
// --profile load, the publisher's load of the cache alone (OpenCache +
// TrackChunks).
func profile(ctx context.Context, c config, root, tmp string, stderr io.Writer) error {
	w := c.workers[0]
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(w))
	once := func(ctx context.Context) (int, error) { return scanFiles(ctx, root, library.Options{Workers: w}) }
	switch c.profile {
	case "scan":
	case "restart":
		cachePath := tmp + "/scan.cache"
		if _, err := buildCache(ctx, root, cachePath); err != nil {
			return err
		}
		once = func(ctx context.Context) (int, error) { return restart(ctx, root, cachePath, w) }
	case "load":
		cachePath := tmp + "/scan.cache"
		if _, err := buildCache(ctx, root, cachePath); err != nil {
			return err
		}
		once = func(context.Context) (int, error) { return loadTracks(cachePath) }
	default:
		return fmt.Errorf("--profile %q: want scan, restart or load", c.profile)
	}
	if _, err := once(ctx); err != nil {
		return err
	}
	f, err := os.Create(c.cpuprofile)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	files := 0
	for range c.rounds {
		n, err := once(ctx)
		if err != nil {
			pprof.StopCPUProfile()
			return err
		}
		files += n
	}
	elapsed := time.Since(start)
	pprof.StopCPUProfile()
	if c.memprofile != "" {
		m, err := os.Create(c.memprofile)
		if err != nil {
			return err
		}
		defer m.Close()
		if err := pprof.Lookup("allocs").WriteTo(m, 0); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "scanbench: %d runs of %s with %s on %d cores, %.0f files/s; profile in %s\n",
		c.rounds, c.profile, workers(w), w, rate(files, elapsed), c.cpuprofile)
	return f.Close()
}

// machine describes where the figures were measured.
type machine struct {
	cpu   string
	cores int
	goVer string
	date  string
}

func describeMachine() machine {
	m := machine{cpu: "unknown CPU", cores: runtime.NumCPU(), goVer: runtime.Version(),
		date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// loadAverage returns the 1, 5 and 15-minute load averages, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
