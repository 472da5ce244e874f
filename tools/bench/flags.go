//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"
)

// config is what the command line asks for.
type config struct {
	self       string   // this program, for the child processes
	args       []string // as given, for the report
	quick      bool
	count      int // repetitions of each comparison; 0: each one's default
	subs       int
	cpuprofile string

	broadcastDuration time.Duration
	slowRate          int
	slowDuration      time.Duration
	fastRate          int
	fastDuration      time.Duration
	fanoutSubs        int
	fanoutRate        int
	fanoutDuration    time.Duration
	fanoutReceiver    string
	treeSubs          int
	treeHops          int
	treeProcs         int
	idleDuration      time.Duration
	stormClients      int
	stormDuration     time.Duration
	stormFeed         bool
}

var modeNames = []string{"broadcast", "receive", "latency", "relay", "fanout", "tree", "idle", "curve", "all"}

const usage = `usage: go run ./tools/bench [broadcast|receive|latency|relay|fanout|tree|idle|curve|all] [flags]

Measures trackfeed's publisher and a libzmq PUB side by side and prints a
Markdown table on stdout (progress goes to stderr). With no mode, runs all.

Flags:
`

// parseFlags reads the modes and flags, in any order. It returns nil
// modes, and no error, when it printed the help.
func parseFlags(args []string, stderr io.Writer) (*config, []string, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	// The standard flag package, not pflag: it takes both -quick, as 'go
	// test' spells its flags (-cpuprofile), and --quick.
	fs.BoolVar(&cfg.quick, "quick", false, "short runs, once each: a smoke test, not figures to publish")
	fs.IntVar(&cfg.count, "count", 0, "run each comparison `N` times, alternating which publisher goes first, and report the median (default 3 for the runs of 5 s, 2 for the longer ones)")
	fs.IntVar(&cfg.subs, "subs", 10, "subscribers for the 10-subscriber figures")
	fs.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of each trackfeed publisher run (and of each relay's whole life) to `FILE`, with the run's name before the extension (profiling costs the publisher a little CPU)")
	fs.DurationVar(&cfg.broadcastDuration, "broadcast-duration", 5*time.Second, "length of each broadcast run")
	fs.IntVar(&cfg.slowRate, "slow-rate", 10, "low rate for latency and idle, msg/s")
	fs.DurationVar(&cfg.slowDuration, "slow-duration", 30*time.Second, "length of each run at -slow-rate")
	fs.IntVar(&cfg.fastRate, "fast-rate", 10000, "high rate for latency, msg/s")
	fs.DurationVar(&cfg.fastDuration, "fast-duration", 5*time.Second, "length of each run at -fast-rate")
	fs.IntVar(&cfg.fanoutSubs, "fanout-subs", 1000, "subscribers for fanout")
	fs.IntVar(&cfg.fanoutRate, "fanout-rate", 10, "rate for fanout, msg/s")
	fs.DurationVar(&cfg.fanoutDuration, "fanout-duration", 20*time.Second, "length of each fanout run")
	fs.StringVar(&cfg.fanoutReceiver, "fanout-receiver", "raw", "fanout's subscribers: raw (Go zmtp readers, one goroutine each, in one process) or libzmq (zmqpeer sub, zmq_poll over all sockets in one process: slower, as zmq_poll checks every socket on each call)")
	fs.IntVar(&cfg.treeSubs, "tree-subs", 10000, "subscribers for tree, spread over the hops")
	fs.IntVar(&cfg.treeHops, "tree-hops", 4, "relays (or libzmq proxies) for tree, side by side under the publisher")
	fs.IntVar(&cfg.stormClients, "storm-clients", 1000, "CURVE clients that arrive at once in curve's handshake storm")
	fs.BoolVar(&cfg.stormFeed, "storm-feed", false, "the storm's clients subscribe to the whole feed (default: to the end marker only, so that the figure is of their handshakes, not of a feed to 1,000 more subscribers)")
	fs.DurationVar(&cfg.stormDuration, "storm-duration", 10*time.Second, "length of each run of curve's handshake storm (at -slow-rate)")
	fs.IntVar(&cfg.treeProcs, "tree-procs", 1, "receiver processes for tree under each hop (each runs its share of the subscribers as raw zmtp readers)")
	fs.DurationVar(&cfg.idleDuration, "idle-duration", 30*time.Second, "length of each idle run (at -slow-rate; all reuses the latency run when they match)")

	var modes []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, nil
			}
			return nil, nil, fmt.Errorf("%v (see -h)", err)
		}
		if fs.NArg() == 0 {
			break
		}
		m := fs.Arg(0)
		if !slices.Contains(modeNames, m) {
			return nil, nil, fmt.Errorf("unknown mode %q: want one of %v (see -h)", m, modeNames)
		}
		modes = append(modes, m)
		args = fs.Args()[1:]
	}
	if len(modes) == 0 || slices.Contains(modes, "all") {
		modes = []string{"broadcast", "receive", "latency", "relay", "fanout", "idle"}
	}
	if cfg.fanoutReceiver != "raw" && cfg.fanoutReceiver != "libzmq" {
		return nil, nil, fmt.Errorf("-fanout-receiver %q: want raw or libzmq", cfg.fanoutReceiver)
	}
	if cfg.treeHops < 1 || cfg.treeProcs < 1 || cfg.treeSubs < cfg.treeHops*cfg.treeProcs {
		return nil, nil, errors.New("-tree-hops and -tree-procs must be at least 1, -tree-subs at least -tree-hops × -tree-procs")
	}
	if cfg.subs < 1 || cfg.fanoutSubs < 1 || cfg.stormClients < 1 || cfg.slowRate < 1 || cfg.fastRate < 1 || cfg.fanoutRate < 1 || cfg.count < 0 {
		return nil, nil, errors.New("subscriber counts and rates must be at least 1, -count at least 0")
	}
	if cfg.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		short := func(name string, d *time.Duration, v time.Duration) {
			if !set[name] {
				*d = v
			}
		}
		short("broadcast-duration", &cfg.broadcastDuration, 2*time.Second)
		short("slow-duration", &cfg.slowDuration, 10*time.Second)
		short("fast-duration", &cfg.fastDuration, 2*time.Second)
		short("fanout-duration", &cfg.fanoutDuration, 8*time.Second)
		short("idle-duration", &cfg.idleDuration, 10*time.Second)
		short("storm-duration", &cfg.stormDuration, 5*time.Second)
		if !set["count"] {
			cfg.count = 1
		}
	}
	return cfg, modes, nil
}
