//go:build linux

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// report prints the figures of one run as Markdown.
type report struct {
	env                   machine
	files                 int
	stats                 librarytest.LibraryStats
	seed                  uint64
	rounds                int
	generated             bool
	loadBefore, loadAfter string
	args                  config
	cacheSize, gobSize    int64
	reads                 [2]readStats // a scan's reads of the files, with covers and without
}

// readStats are a scan's reads of the files' bytes, per file.
type readStats struct{ calls, bytes float64 }

// command is the command line that reruns this benchmark.
func (r *report) command() string {
	cmd := fmt.Sprintf("go run ./tools/scanbench -n %d", r.args.files)
	if r.args.seed != 1 {
		cmd += fmt.Sprintf(" --seed %d", r.args.seed)
	}
	if r.args.rounds != 5 {
		cmd += fmt.Sprintf(" --rounds %d", r.args.rounds)
	}
	if !slices.Equal(r.args.workers, []int{1, 2}) {
		cmd += " --workers " + strings.Trim(strings.Join(strings.Fields(fmt.Sprint(r.args.workers)), ","), "[]")
	}
	if r.args.dir != "" {
		cmd += " --dir " + r.args.dir
	}
	return cmd
}

func (r *report) header(w io.Writer) {
	fmt.Fprintf(w, "Command: `%s`  \n", r.command())
	fmt.Fprintf(w, "Machine: %s, %d cores, %s  \n", r.env.cpu, r.env.cores, r.env.goVer)
	fmt.Fprintf(w, "Date: %s; load average (1, 5, 15 min) %s before the timed rounds, %s after  \n",
		r.env.date, r.loadBefore, r.loadAfter)
	if r.generated {
		s := r.stats
		fmt.Fprintf(w, "Library: genlib, %s files (seed %d), %.0f MB: %d ID3v2.3 (%d unsynchronised), "+
			"%d ID3v2.4, %d ID3v1 only, %d untagged, %d covers of 100 KiB, %d empty, %d truncated; "+
			"warm page cache (one untimed round first), then %d rounds, every contender once a round in turn. "+
			"A Go contender with n workers runs with GOMAXPROCS=n, so that 1 worker uses one core as 1 TagLib thread does.\n\n",
			thousands(float64(s.Files)), r.seed, float64(s.Bytes)/1e6, s.ID3v23, s.Unsynchronised, s.ID3v24,
			s.ID3v1Only, s.Untagged, s.Covers, s.Empty, s.Truncated, r.rounds)
	} else {
		fmt.Fprintf(w, "Library: %s, %s files; warm page cache, %d rounds, every contender once a round in turn.\n\n",
			r.args.dir, thousands(float64(r.files)), r.rounds)
	}
}

// scanTable prints library.Scan against the bound and against TagLib.
func (r *report) scanTable(w io.Writer, cs []*contender) {
	fmt.Fprintf(w, "### Scan throughput\n\n")
	r.header(w)
	fmt.Fprintf(w, "Files/s: best round (median round). CPU: median user + system time a file, all threads. "+
		"Ratio and goal use the best rounds.\n\n")
	fmt.Fprintln(w, "| Figure | Files/s | CPU | Reference | Files/s | CPU | Ratio | Goal | Met? |")
	fmt.Fprintln(w, "|---|--:|--:|---|--:|--:|--:|---|---|")
	for _, n := range r.args.workers {
		scan := find(cs, "library.Scan", n)
		for _, ref := range []struct {
			name, label string
			goal        float64
			goalText    string
		}{
			{"bound", "bound: walk + read the tag bytes", 0.80, "≥ 80% of the bound"},
			{"TagLib", "TagLib 1.13, C++ FileRef", 1.00, "faster than TagLib"},
		} {
			c := find(cs, ref.name, n)
			if c == nil || scan == nil {
				continue
			}
			a, b := rate(r.files, scan.best()), rate(r.files, c.best())
			met := "yes"
			if a/b < ref.goal || (ref.goal == 1 && a == b) {
				met = "**no**"
			}
			fmt.Fprintf(w, "| library.Scan, %s | %s | %s | %s, %s | %s | %s | %s | %s | %s |\n",
				workers(n), r.filesPerSec(scan), r.cpuPerFile(scan), ref.label, workers(n),
				r.filesPerSec(c), r.cpuPerFile(c), ratio(a/b), ref.goalText, met)
		}
	}
	fmt.Fprintln(w)
}

// coverTable prints library.Scan against itself without cover art.
func (r *report) coverTable(w io.Writer, cs []*contender) {
	fmt.Fprintf(w, "### Cover art: what locating it costs the scan\n\n")
	r.header(w)
	fmt.Fprintf(w, "With covers, the scan locates each file's picture (a frame or block header past the text, not "+
		"the picture) and each folder's cover image; `Options.SkipCovers` does neither. "+
		"Files/s: best round (median round); CPU: median a file. The cost compares the best rounds, and the median CPU.\n\n")
	fmt.Fprintln(w, "| Workers | With covers | CPU | Without (SkipCovers) | CPU | Time | CPU a file |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, n := range r.args.workers {
		with, without := find(cs, "library.Scan", n), find(cs, "no covers", n)
		if with == nil || without == nil {
			continue
		}
		dt := with.best().Seconds()/without.best().Seconds() - 1
		dcpu := float64(with.cpu().Nanoseconds()-without.cpu().Nanoseconds()) / 1e3 / float64(r.files)
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %+.1f%% | %+.2f µs |\n", n,
			r.filesPerSec(with), r.cpuPerFile(with), r.filesPerSec(without), r.cpuPerFile(without), 100*dt, dcpu)
	}
	fmt.Fprintln(w)
	with, without := r.reads[0], r.reads[1]
	fmt.Fprintf(w, "What the scan reads of the files (counted, the same on any machine): with covers %.3f reads and "+
		"%s bytes a file, without %.3f reads and %s bytes: %+.3f reads (%+.1f%%) and %+.0f bytes (%+.1f%%) a file.\n\n",
		with.calls, thousands(with.bytes), without.calls, thousands(without.bytes),
		with.calls-without.calls, 100*(with.calls/without.calls-1), with.bytes-without.bytes, 100*(with.bytes/without.bytes-1))
}

// filesPerSec prints a contender's best and median rates.
func (r *report) filesPerSec(c *contender) string {
	return fmt.Sprintf("%s (%s)", thousands(rate(r.files, c.best())), thousands(rate(r.files, c.median())))
}

// cpuPerFile prints a contender's median CPU time a file.
func (r *report) cpuPerFile(c *contender) string {
	return fmt.Sprintf("%.1f µs", float64(c.cpu().Nanoseconds())/1e3/float64(r.files))
}

// find returns the contender of that name and worker count, or nil.
func find(cs []*contender, name string, workers int) *contender {
	for _, c := range cs {
		if c.name == name && c.workers == workers {
			return c
		}
	}
	return nil
}

// cacheTable prints a restart with the scan cache against a cold scan.
func (r *report) cacheTable(w io.Writer, cs []*contender) {
	fmt.Fprintf(w, "### Scan cache: restart on an unchanged library\n\n")
	r.header(w)
	fmt.Fprintf(w, "A restart is `OpenCache` + `Scan` with `Options.Cache` + `Save` (a no-op, as nothing changed). "+
		"The cache file holds %s files in %s bytes (%.0f bytes a file). "+
		"Times: best round (median round); ratio and goal use the best rounds.\n\n",
		thousands(float64(r.files)), thousands(float64(r.cacheSize)), float64(r.cacheSize)/float64(r.files))
	fmt.Fprintln(w, "| Figure | Time | CPU | Reference | Time | CPU | Ratio | Goal | Met? |")
	fmt.Fprintln(w, "|---|--:|--:|---|--:|--:|--:|---|---|")
	for _, n := range r.args.workers {
		cold := find(cs, "library.Scan", n)
		for _, row := range []struct {
			name, label, goal string
			limit             float64
		}{
			{"restart", "restart with the cache", "≤ 5% of the cold scan", 0.05},
			{"walk + stat", "floor: walk + stat every file, no cache", "", 0},
			{"first scan", "first scan, empty cache, then Save", "", 0},
		} {
			c := find(cs, row.name, n)
			if c == nil || cold == nil {
				continue
			}
			x := c.best().Seconds() / cold.best().Seconds()
			met := "—"
			if row.limit > 0 {
				met = "yes"
				if x > row.limit {
					met = "**no**"
				}
			}
			fmt.Fprintf(w, "| %s, %s | %s | %s | cold scan without cache, %s | %s | %s | %.1f%% | %s | %s |\n",
				row.label, workers(n), times(c), millis(c.cpu()), workers(n), times(cold), millis(cold.cpu()),
				100*x, cmpOr(row.goal, "—"), met)
		}
	}
	for _, n := range r.args.workers {
		ct, cold := find(cs, "cached tracks", n), find(cs, "library.Scan", n)
		if ct == nil || cold == nil {
			continue
		}
		x := ct.best().Seconds() / cold.best().Seconds()
		met := "yes"
		if x > 0.05 {
			met = "**no**"
		}
		fmt.Fprintf(w, "| publish restart: the cache's tracks ready to play (OpenCache + TrackChunks, %s; the checking scan runs on the air) | %s | %s | cold scan without cache, %s | %s | %s | %.1f%% | ≤ 5%% of the cold scan | %s |\n",
			cores(n), times(ct), millis(ct.cpu()), workers(n), times(cold), millis(cold.cpu()), 100*x, met)
	}
	load, restart, cold := find(cs, "OpenCache", 1), find(cs, "restart", r.args.workers[0]), find(cs, "library.Scan", r.args.workers[0])
	if load != nil && restart != nil && cold != nil {
		fmt.Fprintf(w, "| OpenCache alone (load %s bytes, 1 core) | %s | %s | cold scan without cache, %s | %s | %s | %.1f%% | — | — |\n",
			thousands(float64(r.cacheSize)), times(load), millis(load.cpu()), workers(r.args.workers[0]),
			times(cold), millis(cold.cpu()), 100*load.best().Seconds()/cold.best().Seconds())
	}
	if load != nil && find(cs, "gob load", 1) != nil {
		g := find(cs, "gob load", 1)
		fmt.Fprintf(w, "| OpenCache alone (load %s bytes, 1 core) | %s | %s | encoding/gob: decode the same tracks (%s bytes) into a map | %s | %s | %.0f%% | — | — |\n",
			thousands(float64(r.cacheSize)), times(load), millis(load.cpu()), thousands(float64(r.gobSize)),
			times(g), millis(g.cpu()), 100*load.best().Seconds()/g.best().Seconds())
	}
	fmt.Fprintln(w)
}

// roundsTable prints every timed round of every contender.
func (r *report) roundsTable(w io.Writer, cs []*contender) {
	fmt.Fprintf(w, "Every round, in files/s, in the order run (a round runs every contender once):\n\n")
	fmt.Fprintln(w, "| Contender | Best | Median | Rounds | CPU a file |")
	fmt.Fprintln(w, "|---|--:|--:|---|--:|")
	for _, c := range cs {
		var rounds []string
		for _, k := range c.rounds {
			rounds = append(rounds, thousands(rate(r.files, k.wall)))
		}
		fmt.Fprintf(w, "| %s, %s | %s | %s | %s | %s |\n", c.name, workers(c.workers),
			thousands(rate(r.files, c.best())), thousands(rate(r.files, c.median())),
			strings.Join(rounds, ", "), r.cpuPerFile(c))
	}
	fmt.Fprintln(w)
}

// times prints a contender's best and median rounds.
func times(c *contender) string {
	return fmt.Sprintf("%s (%s)", millis(c.best()), millis(c.median()))
}

func millis(d time.Duration) string { return fmt.Sprintf("%.1f ms", d.Seconds()*1000) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cores(n int) string {
	if n == 1 {
		return "1 core"
	}
	return fmt.Sprintf("%d cores", n)
}

func workers(n int) string {
	if n == 1 {
		return "1 worker"
	}
	return fmt.Sprintf("%d workers", n)
}

// ratio prints a/b as a percentage below 2, as a multiple above.
func ratio(x float64) string {
	if x < 2 {
		return fmt.Sprintf("%.0f%%", 100*x)
	}
	return fmt.Sprintf("%.1f×", x)
}

// thousands prints x rounded, with commas: 123,456.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
