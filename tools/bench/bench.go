//go:build linux

package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/curve"
)

//go:embed zmqpeer/zmqpeer.c
var zmqpeerSource []byte

// bench is one invocation: its tools and every run so far.
type bench struct {
	cfg           *config
	stderr        io.Writer
	peer          string // zmqpeer binary
	tracks        string // tracks file
	runs          map[spec][]result
	failed        map[spec]error // a spec whose run failed is not run again; the report says why
	order         []spec         // specs in the order first run
	profiles      []string
	relayProfiles []string
	// CURVE keys of the runs that use it: the publisher's, and the one
	// pair every subscriber shares (the publisher admits any key).
	serverKey, clientKey curve.KeyPair
}

// figure is one row of the report: a value of trackfeed's run (tf) beside
// the same value of the reference run (ref).
type figure struct {
	section string
	refName string // the reference's column: "libzmq (reference)" if empty
	name    string
	tf, ref spec
	reps    int
	value   func(result) float64
	format  func(float64) string
	goal    string
	met     func(tf, ratio float64) bool // nil: no goal
	// rate, if not 0, is the rate the goal is for: a trackfeed run that
	// sent less than 95% of it does not meet the goal, whatever its value.
	rate int
}

// figures lists what modes ask for, in report order.
func figures(cfg *config, modes []string) []figure {
	reps := func(def int) int {
		if cfg.count > 0 {
			return cfg.count
		}
		return def
	}
	pair := func(s spec) (spec, spec) {
		ref := s
		ref.pub, ref.sub = zmqPub, zmqSub
		if s.sub == rawSub {
			ref.sub = rawSub
		}
		return s, ref
	}
	var out []figure
	add := func(f figure) { out = append(out, f) }
	for _, mode := range modes {
		switch mode {
		case "broadcast":
			for _, n := range slices.Compact([]int{1, cfg.subs}) {
				tf, ref := pair(spec{pub: tfPub, sub: zmqSub, conns: n, procs: n, duration: cfg.broadcastDuration})
				add(figure{section: "Broadcast", name: fmt.Sprintf("msg/s per subscriber, %s, as fast as possible", subscribers(n)),
					tf: tf, ref: ref, reps: reps(3), value: result.perSub, format: formatRate,
					goal: "≥ 0.5×", met: func(_, ratio float64) bool { return ratio >= 0.5 }})
			}
			for _, n := range slices.Compact([]int{1, cfg.subs}) {
				tf := spec{pub: tfPub, sub: tfSub, conns: n, procs: n, duration: cfg.broadcastDuration}
				_, ref := pair(tf)
				add(figure{section: "Broadcast", name: fmt.Sprintf("end to end: trackfeed subscriber vs libzmq SUB, %s", subscribers(n)),
					tf: tf, ref: ref, reps: reps(3), value: result.perSub, format: formatRate})
			}
		case "receive":
			// One stream, a libzmq PUB sending as fast as it can, read by
			// each receiver in turn: the receiver is the bottleneck.
			ref := spec{pub: zmqPub, sub: zmqSub, conns: 1, procs: 1, duration: cfg.broadcastDuration}
			raw, dec := ref, ref
			raw.sub, dec.sub = rawSub, tfSub
			add(figure{section: "Receive", name: "msg/s received from a libzmq PUB: internal/zmtp reader (a relay's upstream side) vs libzmq SUB",
				tf: raw, ref: ref, reps: reps(3), value: result.perSub, format: formatRate,
				goal: "≥ 0.8×", met: func(_, ratio float64) bool { return ratio >= 0.8 }})
			add(figure{section: "Receive", name: "msg/s received from a libzmq PUB: subscriber.Run (decodes each message) vs libzmq SUB",
				tf: dec, ref: ref, reps: reps(3), value: result.perSub, format: formatRate})
		case "relay":
			// The same trackfeed publisher and libzmq SUBs, with nothing,
			// a trackfeed relay, or libzmq's proxy in between.
			direct := spec{pub: tfPub, sub: zmqSub, conns: cfg.subs, procs: cfg.subs, rate: cfg.slowRate, duration: cfg.slowDuration}
			viaRelay, viaProxy := direct, direct
			viaRelay.hop, viaProxy.hop = relayHop, proxyHop
			at := fmt.Sprintf("at %s msg/s, %s", formatCount(cfg.slowRate), subscribers(cfg.subs))
			for _, q := range []float64{0.5, 0.99} {
				name := fmt.Sprintf("p%.0f", q*100)
				add(figure{section: "Relay", name: name + " through one hop (trackfeed relay vs libzmq proxy) " + at, tf: viaRelay, ref: viaProxy,
					reps: reps(2), value: quantile(q), format: formatMicros})
				add(figure{section: "Relay", name: name + " with no hop (the same publisher, for the difference) " + at, tf: direct, ref: direct,
					reps: reps(2), value: quantile(q), format: formatMicros})
			}
			add(figure{section: "Relay", name: "messages delivered through one hop " + at, tf: viaRelay, ref: viaProxy,
				reps: reps(2), value: result.delivered, format: formatPercent})
			// The hop's cost from one run: half the subscriber processes
			// on the hop, half on the publisher beside it, so that both
			// see the same messages at the same moments of the machine's
			// load, which from run to run moves a p99 by more than a hop
			// adds.
			besideRelay, besideProxy := viaRelay, viaProxy
			besideRelay.beside, besideProxy.beside = true, true
			besideRelay.conns, besideRelay.procs = 2*cfg.subs, 2*cfg.subs
			besideProxy.conns, besideProxy.procs = 2*cfg.subs, 2*cfg.subs
			beside := fmt.Sprintf("at %s msg/s, %s through the hop and %s on the publisher, same run", formatCount(cfg.slowRate), subscribers(cfg.subs), formatCount(cfg.subs))
			for _, q := range []float64{0.5, 0.99} {
				name := fmt.Sprintf("p%.0f", q*100)
				add(figure{section: "Relay", name: name + " added by the hop (trackfeed relay vs libzmq proxy) " + beside, tf: besideRelay, ref: besideProxy,
					reps: reps(2), value: added(q), format: formatSignedMicros,
					goal: map[bool]string{true: "≤ 1 ms"}[q == 0.99], met: map[bool]func(tf, _ float64) bool{true: func(tf, _ float64) bool { return tf <= 1000 }}[q == 0.99]})
			}
		case "tree":
			base := spec{pub: tfPub, sub: rawSub, conns: cfg.treeSubs, procs: cfg.treeHops * cfg.treeProcs, rate: cfg.fanoutRate, duration: cfg.fanoutDuration, hops: cfg.treeHops, half: true}
			viaRelay, viaProxy := base, base
			viaRelay.hop, viaProxy.hop = relayHop, proxyHop
			at := fmt.Sprintf("%s (half on %s) under %d hops at %s msg/s (trackfeed relays vs libzmq proxies)", subscribers(cfg.treeSubs), halfPrefix, cfg.treeHops, formatCount(cfg.fanoutRate))
			add(figure{section: "Tree", name: "p50, " + at, tf: viaRelay, ref: viaProxy, reps: reps(2), value: quantile(0.5), format: formatMicros})
			add(figure{section: "Tree", name: "p99, " + at, tf: viaRelay, ref: viaProxy, reps: reps(2), value: quantile(0.99), format: formatMicros,
				rate: cfg.fanoutRate, goal: "≤ 50 ms", met: func(tf, _ float64) bool { return tf <= 50_000 }})
			add(figure{section: "Tree", name: "publisher CPU (% of one core), " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.cpuPercent, format: formatPercent})
			kb := func(v float64) string { return fmt.Sprintf("%.1f", v) }
			add(figure{section: "Tree", name: "hops' resident memory per subscriber, process included (KB), " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.hopKBPerSub, format: kb, goal: "≤ 32", met: func(tf, _ float64) bool { return tf <= 32 }})
			add(figure{section: "Tree", name: "hops' resident memory the subscribers added, per subscriber (KB), " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.hopKBPerSubAdded, format: kb})
			add(figure{section: "Tree", name: "hops' CPU (% of one core, all hops), " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.hopCPUPercent, format: formatPercent})
			add(figure{section: "Tree", name: "receivers' CPU (% of one core, all receiver processes), " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.subCPUPercent, format: formatPercent})
			add(figure{section: "Tree", name: "messages delivered, " + at, tf: viaRelay, ref: viaProxy, reps: reps(2),
				value: result.delivered, format: formatPercent})
		case "latency":
			for _, r := range []struct {
				rate int
				d    time.Duration
				reps int
			}{{cfg.slowRate, cfg.slowDuration, 2}, {cfg.fastRate, cfg.fastDuration, 3}} {
				tf, ref := pair(spec{pub: tfPub, sub: zmqSub, conns: cfg.subs, procs: cfg.subs, rate: r.rate, duration: r.d})
				at := fmt.Sprintf("at %s msg/s, %s", formatCount(r.rate), subscribers(cfg.subs))
				add(figure{section: "Latency", name: "p50 " + at, tf: tf, ref: ref, reps: reps(r.reps),
					value: quantile(0.5), format: formatMicros})
				add(figure{section: "Latency", name: "p99 " + at, tf: tf, ref: ref, reps: reps(r.reps),
					value: quantile(0.99), format: formatMicros, rate: r.rate,
					goal: "≤ 1.5×", met: func(_, ratio float64) bool { return ratio <= 1.5 }})
				add(figure{section: "Latency", name: "rate sent " + at, tf: tf, ref: ref, reps: reps(r.reps),
					value: result.sendRate, format: formatRate})
			}
		case "fanout":
			sub := rawSub
			if cfg.fanoutReceiver == "libzmq" {
				sub = zmqSub
			}
			tf, ref := pair(spec{pub: tfPub, sub: sub, conns: cfg.fanoutSubs, procs: 1, rate: cfg.fanoutRate, duration: cfg.fanoutDuration})
			at := fmt.Sprintf("%s at %s msg/s", subscribers(cfg.fanoutSubs), formatCount(cfg.fanoutRate))
			add(figure{section: "Fanout", name: "p50, " + at, tf: tf, ref: ref, reps: reps(2),
				value: quantile(0.5), format: formatMicros})
			add(figure{section: "Fanout", name: "p99, " + at, tf: tf, ref: ref, reps: reps(2),
				value: quantile(0.99), format: formatMicros, rate: cfg.fanoutRate,
				goal: "≤ 20 ms", met: func(tf, _ float64) bool { return tf <= 20_000 }})
			add(figure{section: "Fanout", name: "publisher CPU (% of one core), " + at, tf: tf, ref: ref, reps: reps(2),
				value: result.cpuPercent, format: formatPercent, rate: cfg.fanoutRate,
				goal: "< 25%", met: func(tf, _ float64) bool { return tf < 25 }})
			add(figure{section: "Fanout", name: "messages delivered, " + at, tf: tf, ref: ref, reps: reps(2),
				value: result.delivered, format: formatPercent})
		case "curve":
			for _, n := range slices.Compact([]int{1, cfg.subs}) {
				tf, ref := pair(spec{pub: tfPub, sub: zmqSub, conns: n, procs: n, duration: cfg.broadcastDuration, curve: true})
				add(figure{section: "CURVE broadcast", name: fmt.Sprintf("msg/s per subscriber, %s, as fast as possible, CURVE on both", subscribers(n)),
					tf: tf, ref: ref, reps: reps(3), value: result.perSub, format: formatRate,
					goal: "≥ 0.5×", met: func(_, ratio float64) bool { return ratio >= 0.5 }})
			}
			null := spec{pub: tfPub, sub: zmqSub, conns: cfg.subs, procs: cfg.subs, rate: cfg.slowRate, duration: cfg.idleDuration}
			withCurve := null
			withCurve.curve = true
			at := fmt.Sprintf("at %s msg/s, %s", formatCount(cfg.slowRate), subscribers(cfg.subs))
			add(figure{section: "CURVE idle, against NULL", refName: "trackfeed NULL (reference)",
				name: "publisher CPU (% of one core) " + at + ": trackfeed CURVE vs trackfeed NULL", tf: withCurve, ref: null, reps: reps(2),
				value: result.cpuPercent, format: formatPercent, rate: cfg.slowRate,
				goal: "≤ 1.5×", met: func(_, ratio float64) bool { return ratio <= 1.5 }})
			_, zmqCurve := pair(withCurve)
			add(figure{section: "CURVE idle, against libzmq",
				name: "publisher CPU (% of one core) " + at + ", CURVE on both", tf: withCurve, ref: zmqCurve, reps: reps(2),
				value: result.cpuPercent, format: formatPercent})
			tf, ref := pair(spec{pub: tfPub, sub: zmqSub, conns: cfg.subs, procs: cfg.subs, rate: cfg.slowRate, duration: cfg.stormDuration, curve: true, storm: cfg.stormClients, stormFeed: cfg.stormFeed})
			arrive := "arrive at once"
			if cfg.stormFeed {
				arrive = "arrive at once and subscribe to everything"
			}
			at = fmt.Sprintf("%s at %s msg/s while %s CURVE clients %s, CURVE on all", subscribers(cfg.subs), formatCount(cfg.slowRate), formatCount(cfg.stormClients), arrive)
			add(figure{section: "CURVE handshake storm", name: "p50 of the " + at, tf: tf, ref: ref, reps: reps(2),
				value: quantile(0.5), format: formatMicros})
			add(figure{section: "CURVE handshake storm", name: "p99 of the " + at, tf: tf, ref: ref, reps: reps(2),
				value: quantile(0.99), format: formatMicros, rate: cfg.slowRate,
				goal: "≤ 50 ms", met: func(tf, _ float64) bool { return tf <= 50_000 }})
			add(figure{section: "CURVE handshake storm", name: fmt.Sprintf("seconds until all %s arriving clients are in (handshake done)", formatCount(cfg.stormClients)),
				tf: tf, ref: ref, reps: reps(2), value: func(r result) float64 { return r.stormHandshakes }, format: func(v float64) string { return fmt.Sprintf("%.2f s", v) }})
			add(figure{section: "CURVE handshake storm", name: "messages delivered to the " + subscribers(cfg.subs), tf: tf, ref: ref, reps: reps(2),
				value: result.delivered, format: formatPercent})
		case "idle":
			tf, ref := pair(spec{pub: tfPub, sub: zmqSub, conns: cfg.subs, procs: cfg.subs, rate: cfg.slowRate, duration: cfg.idleDuration})
			add(figure{section: "Idle", name: fmt.Sprintf("publisher CPU (%% of one core) at %s msg/s, %s", formatCount(cfg.slowRate), subscribers(cfg.subs)),
				tf: tf, ref: ref, reps: reps(2), value: result.cpuPercent, format: formatPercent, rate: cfg.slowRate,
				goal: "≤ 0.3%", met: func(tf, _ float64) bool { return tf <= 0.3 }})
		}
	}
	return out
}

func subscribers(n int) string {
	if n == 1 {
		return "1 subscriber"
	}
	return formatCount(n) + " subscribers"
}

func quantile(q float64) func(result) float64 {
	return func(r result) float64 { return float64(r.lat.quantile(q)) }
}

// added is the q-quantile through the hop less the same without it, from
// a run with subscribers beside the hop.
func added(q float64) func(result) float64 {
	return func(r result) float64 { return float64(r.lat.quantile(q) - r.latDirect.quantile(q)) }
}

// benchmark runs the figures of modes and prints the report on stdout.
func benchmark(ctx context.Context, cfg *config, modes []string, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "trackfeed-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{cfg: cfg, stderr: childStderr(stderr), runs: map[spec][]result{}, failed: map[spec]error{}, tracks: filepath.Join(dir, "tracks.tsv")}
	if b.serverKey, err = curve.NewKeyPair(); err != nil {
		return err
	}
	if b.clientKey, err = curve.NewKeyPair(); err != nil {
		return err
	}
	if b.peer, err = buildPeer(ctx, dir); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, b.peer, "version").Output()
	if err != nil {
		return fmt.Errorf("zmqpeer version: %w", err)
	}
	tracks := sampleTracks()
	if err := writeTracks(b.tracks, tracks); err != nil {
		return err
	}
	if cfg.cpuprofile != "" {
		if cfg.cpuprofile, err = filepath.Abs(cfg.cpuprofile); err != nil {
			return err
		}
	}
	m := readMachine(strings.TrimSpace(string(out)))
	m.messageBytes = meanWireBytes(tracks)
	m.tracks = len(tracks)

	figs := figures(cfg, modes)
	for _, f := range figs {
		if err := b.compare(ctx, f); err != nil {
			return err
		}
	}
	m.loadEnd, m.took = loadAverage(), time.Since(m.start)
	b.report(stdout, m, figs)
	for _, p := range b.profiles {
		fmt.Fprintf(stderr, "bench: CPU profile of the trackfeed publisher: %s (go tool pprof -top %s)\n", p, p)
	}
	for _, p := range b.relayProfiles {
		fmt.Fprintf(stderr, "bench: CPU profile of a trackfeed relay, its whole life: %s\n", p)
	}
	return nil
}

// compare runs f's two specs until each has f.reps runs, alternating which
// goes first so that a drift in the machine's load falls on both.
func (b *bench) compare(ctx context.Context, f figure) error {
	for i := range f.reps {
		order := []spec{f.tf, f.ref}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, s := range order {
			if len(b.runs[s]) > i || b.failed[s] != nil {
				continue // run for an earlier figure, or failed
			}
			fmt.Fprintf(b.stderr, "bench: %s PUB →%s %s (%d process(es)), %s, %v, run %d of %d\n",
				s.pubName(), map[bool]string{true: " " + string(s.hop) + " →"}[s.hop != noHop], s.subsName(), s.procs, s.rateString(), s.duration, i+1, f.reps)
			r, err := b.measure(ctx, s, len(b.runs[s]))
			if err != nil {
				err = fmt.Errorf("%s publisher,%s %d × %s, %s: %w", s.pub, map[bool]string{true: " via " + string(s.hop) + ","}[s.hop != noHop], s.conns, s.sub, s.rateString(), err)
				if ctx.Err() != nil {
					return err
				}
				// The other side of the comparison still runs: a hop that
				// cannot carry the load is a result too.
				fmt.Fprintf(b.stderr, "bench: %v\n", err)
				b.failed[s] = err
				if len(b.runs[s]) == 0 {
					b.order = append(b.order, s)
				}
				continue
			}
			if len(b.runs[s]) == 0 {
				b.order = append(b.order, s)
			}
			b.runs[s] = append(b.runs[s], r)
		}
	}
	return nil
}

// summary is the median of a figure's values over its runs, with the range.
type summary struct{ median, lo, hi float64 }

func summarize(vs []float64) summary {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return summary{med, s[0], s[n-1]}
}

func (s summary) format(f func(float64) string, n int) string {
	if n < 2 {
		return f(s.median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.median), f(s.lo), f(s.hi))
}

func (b *bench) values(s spec, reps int, value func(result) float64) []float64 {
	var vs []float64
	for _, r := range b.runs[s][:reps] {
		vs = append(vs, value(r))
	}
	return vs
}

// report prints the tables: one per section, then every run.
func (b *bench) report(w io.Writer, m machine, figs []figure) {
	args := "all"
	if len(b.cfg.args) > 0 {
		args = strings.Join(b.cfg.args, " ")
	}
	fmt.Fprintf(w, "Command: `go run ./tools/bench %s`\n\n", args)
	m.write(w)
	section := ""
	for _, f := range figs {
		if f.section != section {
			section = f.section
			ref := f.refName
			if ref == "" {
				ref = "libzmq (reference)"
			}
			fmt.Fprintf(w, "\n#### %s\n\n", section)
			fmt.Fprintf(w, "| Figure | trackfeed | %s | ratio | goal | met |\n", ref)
			fmt.Fprintln(w, "|---|--:|--:|--:|---|---|")
		}
		if b.failed[f.tf] != nil || b.failed[f.ref] != nil {
			col := func(s spec) string {
				if b.failed[s] != nil || len(b.runs[s]) == 0 {
					return "did not complete"
				}
				return summarize(b.values(s, len(b.runs[s]), f.value)).format(f.format, len(b.runs[s]))
			}
			goal := "—"
			if f.met != nil {
				goal = f.goal
			}
			fmt.Fprintf(w, "| %s | %s | %s | — | %s | — |\n", f.name, col(f.tf), col(f.ref), goal)
			continue
		}
		tf := summarize(b.values(f.tf, f.reps, f.value))
		ref := summarize(b.values(f.ref, f.reps, f.value))
		ratio := tf.median / ref.median
		if tf.median < 0 || ref.median < 0 {
			ratio = math.NaN() // a difference of latencies below zero: noise, no ratio
		}
		goal, met := "—", "—"
		if f.met != nil {
			goal, met = f.goal, "no"
			if f.met(tf.median, ratio) {
				met = "yes"
			}
			if sent := slices.Min(b.values(f.tf, f.reps, result.sendRate)); f.rate > 0 && sent < 0.95*float64(f.rate) {
				met = fmt.Sprintf("no: trackfeed sent %s msg/s, not %s", formatRate(sent), formatCount(f.rate))
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.name, tf.format(f.format, f.reps), ref.format(f.format, f.reps), formatRatio(ratio), goal, met)
	}
	fmt.Fprintln(w, "\nValues are medians over the runs (range in brackets); ratio = trackfeed / the reference (libzmq unless the table says otherwise).")
	for _, s := range b.order {
		if err := b.failed[s]; err != nil {
			fmt.Fprintf(w, "\nDid not complete: %v\n", err)
		}
	}

	fmt.Fprint(w, "\n#### Runs\n\n")
	fmt.Fprintln(w, "| publisher | subscribers | rate | duration | sent/s | publisher CPU | delivered | msg/s per subscriber | p50 | p99 | max | load (1 min) |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, s := range b.order {
		for _, r := range b.runs[s] {
			via := ""
			if s.hop != noHop {
				via = " via " + string(s.hop)
			}
			if s.beside {
				via += ", half of them on the publisher beside it"
			}
			fmt.Fprintf(w, "| %s | %s%s | %s | %v | %s | %s | %s | %s | %s | %s | %s | %.2f |\n",
				s.pubName(), s.subsName(), via, s.rateString(), s.duration, formatRate(r.sendRate()), formatPercent(r.cpuPercent()),
				formatPercent(r.delivered()), formatRate(r.perSub()), formatMicros(float64(r.lat.quantile(0.5))),
				formatMicros(float64(r.lat.quantile(0.99))), formatMicros(float64(r.lat.quantile(1))), r.load)
		}
	}
}

func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func formatRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.1f", v)
}

func formatMicros(v float64) string {
	switch {
	case v < 0:
		return "—"
	case v >= 10_000:
		return fmt.Sprintf("%.1f ms", v/1000)
	}
	return fmt.Sprintf("%.0f µs", v)
}

// formatSignedMicros is a difference of latencies, in µs.
func formatSignedMicros(v float64) string {
	if v >= 10_000 || v <= -10_000 {
		return fmt.Sprintf("%+.1f ms", v/1000)
	}
	return fmt.Sprintf("%+.0f µs", v)
}

func formatPercent(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.3f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

func formatRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}

// buildPeer compiles zmqpeer.c into dir.
func buildPeer(ctx context.Context, dir string) (string, error) {
	src, bin := filepath.Join(dir, "zmqpeer.c"), filepath.Join(dir, "zmqpeer")
	if err := os.WriteFile(src, zmqpeerSource, 0o644); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, "cc", "-O2", "-Wall", "-o", bin, src, "-lzmq").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build the libzmq reference (cc -O2 zmqpeer.c -lzmq): %v\n%s(it needs a C compiler and libzmq's headers: apt-get install gcc libzmq3-dev)", err, out)
	}
	return bin, nil
}

// machine describes where the benchmark ran.
type machine struct {
	cpu, kernel, zmq string
	cores            int
	start            time.Time
	took             time.Duration
	loadStart        float64
	loadEnd          float64
	messageBytes     float64
	tracks           int
}

func readMachine(zmqVersion string) machine {
	m := machine{cpu: "unknown CPU", kernel: "unknown", zmq: zmqVersion, cores: runtime.NumCPU(), start: time.Now(), loadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	return m
}

func (m machine) write(w io.Writer) {
	fmt.Fprintf(w, "- Machine: %s, %d cores, Linux %s, %s %s/%s, libzmq %s\n", m.cpu, m.cores, m.kernel, runtime.Version(), runtime.GOOS, runtime.GOARCH, m.zmq)
	fmt.Fprintf(w, "- Date: %s (took %v)\n", m.start.UTC().Format("2006-01-02 15:04 MST"), m.took.Round(time.Second))
	fmt.Fprintf(w, "- Load average (1 min): %.2f at the start, %.2f at the end (per run in the last column below)\n", m.loadStart, m.loadEnd)
	fmt.Fprintf(w, "- Messages: five frames, %.0f bytes on the wire on average (the %d tracks of sample-music, in a loop), tcp://127.0.0.1\n", m.messageBytes, m.tracks)
}

// childStderr is where the children's stderr goes: w itself if it is a
// file, which they then write to directly, or else w behind a lock, since
// os/exec copies each child's stderr to it from a goroutine of its own.
func childStderr(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return &syncWriter{w: w}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// loadAverage is the 1-minute load average, or -1.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return -1
	}
	return v
}
