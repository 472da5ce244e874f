//go:build linux

// Command scanbench measures how fast library.Scan reads a generated
// library, side by side with its references in the same run, and prints the
// figures as Markdown tables for BENCHMARKS.md:
//
//	go run ./tools/scanbench -n 20000
//
// It writes a genlib library into a temporary folder (or reads --dir), runs
// every contender once to warm the page cache, then times --rounds rounds
// in which every contender runs once in turn, and reports each one's median
// round. The contenders are library.Scan, the bound (walking the tree and
// reading the bytes that hold each file's tags, parsing nothing; see
// readBound) and TagLib through a small C++ reader (taglib_reader.cpp,
// compiled here), each with 1 and 2 workers by default; then the scan
// cache: a cold scan against a restart that loads the cache and finds
// nothing changed, against the floor of walking and statting every file,
// and the cache's load against encoding/gob's of the same tracks; and
// library.Scan against itself with Options.SkipCovers, for what locating
// cover art costs.
//
// --cpuprofile runs library.Scan alone, --rounds times, under the CPU
// profiler: a cold scan, or with --profile restart, a restart with the
// scan cache, or with --profile load, the cache's load alone (OpenCache +
// TrackChunks, what trackfeed publish does on a restart before the scan).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	files      int
	seed       uint64
	rounds     int
	workers    []int
	dir        string
	taglib     bool
	cache      bool
	covers     bool
	cpuprofile string
	memprofile string
	profile    string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	flags := pflag.NewFlagSet("scanbench", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.IntVarP(&c.files, "files", "n", 20000, "files in the generated library")
	flags.Uint64Var(&c.seed, "seed", 1, "genlib seed")
	flags.IntVar(&c.rounds, "rounds", 5, "timed rounds; the median round is reported")
	flags.IntSliceVar(&c.workers, "workers", []int{1, 2}, "worker counts to measure")
	flags.StringVar(&c.dir, "dir", "", "scan this library instead of generating one (for the cache, a copy of its cache file is made in a temporary folder)")
	flags.BoolVar(&c.taglib, "taglib", true, "measure TagLib (needs c++, pkg-config and libtag1-dev)")
	flags.BoolVar(&c.cache, "cache", true, "measure the scan cache")
	flags.BoolVar(&c.covers, "covers", true, "measure what locating cover art costs the scan (library.Scan against Options.SkipCovers)")
	flags.StringVar(&c.cpuprofile, "cpuprofile", "", "profile library.Scan alone into this file, with the first of --workers on as many cores")
	flags.StringVar(&c.memprofile, "memprofile", "", "with --cpuprofile, also write the allocations of the profiled runs to this file")
	flags.StringVar(&c.profile, "profile", "scan", "what --cpuprofile profiles: scan (cold), restart (with the scan cache) or load (OpenCache + TrackChunks alone)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", flags.Arg(0))
	}
	if c.rounds < 1 || len(c.workers) == 0 {
		return fmt.Errorf("want at least one round and one worker count")
	}
	for _, w := range c.workers {
		if w < 1 {
			return fmt.Errorf("--workers %d: want 1 or more", w)
		}
	}
	return bench(ctx, c, stdout, stderr)
}
