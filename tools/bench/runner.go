//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pubKind is which publisher a run measures.
type pubKind string

const (
	tfPub  pubKind = "trackfeed"
	zmqPub pubKind = "libzmq"
)

// subKind is what receives: the same receiver for both publishers.
type subKind string

const (
	zmqSub subKind = "libzmq SUB"           // zmqpeer sub
	tfSub  subKind = "trackfeed subscriber" // subscriber.Run
	rawSub subKind = "raw zmtp readers"     // Go, one goroutine per connection
)

// hopKind is what stands between the publisher and the subscribers.
type hopKind string

const (
	noHop    hopKind = ""
	relayHop hopKind = "trackfeed relay"
	proxyHop hopKind = "libzmq proxy" // zmqpeer proxy: zmq_proxy(XSUB, XPUB)
)

// spec is one measured configuration. Runs with equal specs are
// repetitions of each other.
type spec struct {
	pub      pubKind
	sub      subKind
	conns    int // subscriber connections
	procs    int // processes they are spread over
	rate     int // msg/s; 0: as fast as possible
	duration time.Duration
	hop      hopKind // between publisher and subscribers, if any
	hops     int     // how many of them side by side (0 means 1), the subscribers spread over them
	curve    bool    // publisher and subscribers speak CURVE
	storm    int     // CURVE clients that connect at once when the timed run starts, beside the measured subscribers
	// stormFeed makes the storm's clients subscribe to the whole feed,
	// not only to the end marker.
	stormFeed bool
	half      bool // half of each process's raw readers subscribe to halfPrefix, not everything
	beside    bool // every other subscriber process connects to the publisher itself, beside the hop
}

// pubName is the publisher and its mechanism, for the report.
func (s spec) pubName() string {
	if s.curve {
		return string(s.pub) + " CURVE"
	}
	return string(s.pub)
}

// subsName is the measured subscribers, and the storm if any.
func (s spec) subsName() string {
	n := fmt.Sprintf("%d × %s", s.conns, s.sub)
	if s.storm > 0 {
		n += fmt.Sprintf(" + %s arriving", formatCount(s.storm))
		if s.stormFeed {
			n += " (subscribed)"
		}
	}
	return n
}

func (s spec) rateString() string {
	if s.rate == 0 {
		return "max"
	}
	return fmt.Sprintf("%d/s", s.rate)
}

// fileName names the run in profile file names.
func (s spec) fileName() string {
	sub := map[subKind]string{zmqSub: "zmqsub", tfSub: "tfsub", rawSub: "rawsub"}[s.sub]
	name := fmt.Sprintf("%s-%dx%s-%s-%s", s.pub, s.conns, sub, strings.TrimSuffix(s.rateString(), "/s"), s.duration)
	if s.curve {
		name += "-curve"
	}
	if s.storm > 0 {
		name += fmt.Sprintf("-storm%d", s.storm)
		if s.stormFeed {
			name += "-feed"
		}
	}
	if s.hop != noHop {
		name += fmt.Sprintf("-via-%dx", max(s.hops, 1)) + strings.ReplaceAll(string(s.hop), " ", "-")
	}
	if s.half {
		name += "-half-" + halfPrefix
	}
	if s.beside {
		name += "-and-direct"
	}
	return name
}

// result is one run.
type result struct {
	pub        pubResult
	subs       []subResult
	lat        latencies
	latDirect  latencies // with beside: the subscribers on the publisher itself (the others are in lat)
	load       float64   // 1-minute load average at the end of the run
	hopRSS     int64     // resident memory of the hops at the end, bytes
	hopRSS0    int64     // the same before the subscribers connected
	hopCPU     float64   // the hops' CPU seconds over the timed run
	subCPU     float64   // the subscriber processes' CPU seconds over the timed run
	conns      int
	halfConns  int // of them, subscribed to halfPrefix only
	countTotal uint64
	// stormHandshakes is the seconds from the storm's start to its last
	// connection's handshake, or 0 without a storm.
	stormHandshakes float64
}

// perSub is the mean messages/s each connection received.
func (r result) perSub() float64 {
	var sum float64
	for _, s := range r.subs {
		sum += s.Rate * float64(s.Sockets)
	}
	return sum / float64(r.conns)
}

func (r result) sendRate() float64 { return float64(r.pub.Sent) / r.pub.Seconds }

// cpuPercent is the publisher's CPU time over its timed run, in percent of
// one core.
func (r result) cpuPercent() float64 { return 100 * r.pub.CPUSeconds / r.pub.Seconds }

// delivered is the share of the messages the subscribers asked for that
// reached them.
func (r result) delivered() float64 {
	want := r.pub.Sent*uint64(r.conns-r.halfConns) + r.pub.SentPrefix*uint64(r.halfConns)
	return 100 * float64(r.countTotal) / float64(want)
}

// hopKBPerSub is the hops' resident memory per subscriber, in KB.
func (r result) hopKBPerSub() float64 { return float64(r.hopRSS) / 1024 / float64(r.conns) }

// rawSubArgs are the arguments of a raw subscriber child for s, before
// its endpoint and counts.
func (b *bench) rawSubArgs(s spec) []string {
	args := []string{childRawSub}
	if s.curve {
		args = append(args, "-curve-server", b.serverKey.Public.String(), "-curve-secret", b.clientKey.Secret.String())
	}
	return args
}

// hopKBPerSubAdded is what the subscribers added to the hops' resident
// memory, per subscriber, in KB.
func (r result) hopKBPerSubAdded() float64 {
	return float64(r.hopRSS-r.hopRSS0) / 1024 / float64(r.conns)
}

// hopCPUPercent is the hops' CPU time over the timed run, all hops
// together, in percent of one core.
func (r result) hopCPUPercent() float64 { return 100 * r.hopCPU / r.pub.Seconds }

// subCPUPercent is the subscriber processes' CPU time over the timed run,
// all together, in percent of one core.
func (r result) subCPUPercent() float64 { return 100 * r.subCPU / r.pub.Seconds }

// cpuTime is a process's user and system time so far, in seconds, or 0.
func cpuTime(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command, which is in brackets and may hold
	// spaces: state is field 3, utime 14, stime 15 (proc(5)).
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every Linux architecture Go runs on.
const clockTicks = 100

// rss is a process's resident memory (VmRSS), in bytes, or 0.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// proc is a child process that speaks the line protocol.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string   // stdout, closed at its end
	exited chan struct{} // closed once the process is waited for
}

// start starts path with args; its stderr goes to stderr.
func start(name string, stderr io.Writer, path string, args ...string) (*proc, error) {
	return startEnv(name, stderr, nil, path, args...)
}

// startEnv is start with env added to this process's environment.
func startEnv(name string, stderr io.Writer, env []string, path string, args ...string) (*proc, error) {
	cmd := exec.Command(path, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stderr = stderr
	// A child outlives nothing: killed if the benchmark dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, lines: make(chan string, 64), exited: make(chan struct{})}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 64<<20) // a histogram line can be long
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // a child that chatters loses lines rather than hangs
			}
		}
		close(p.lines)
		cmd.Wait()
	}()
	return p, nil
}

// next returns the next line the child prints, waiting at most d.
func (p *proc) next(ctx context.Context, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("%s exited early (its messages, if any, are above)", p.name)
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("%s: nothing on its stdout for %v", p.name, d)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (p *proc) nextJSON(ctx context.Context, d time.Duration, v any) error {
	l, err := p.next(ctx, d)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(l), v); err != nil {
		return fmt.Errorf("%s printed %.80q: %w", p.name, l, err)
	}
	return nil
}

// finish closes the child's stdin, which ends it, and kills it if it is
// still there after grace.
func (p *proc) finish(grace time.Duration) {
	p.stdin.Close()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return
	case <-t.C:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// measure runs s once: publisher, subscribers, warm-up, timed run, end.
func (b *bench) measure(ctx context.Context, s spec, rep int) (result, error) {
	var pub *proc
	var err error
	secs := strconv.FormatFloat(s.duration.Seconds(), 'f', -1, 64)
	switch s.pub {
	case tfPub:
		args := []string{childPub, "-rate", strconv.Itoa(s.rate), "-duration", s.duration.String(),
			"-tracks", b.tracks, "-max-subscribers", strconv.Itoa(s.conns + s.storm + 64)}
		if s.curve {
			args = append(args, "-curve-secret", b.serverKey.Secret.String())
		}
		if b.cfg.cpuprofile != "" {
			ext := filepath.Ext(b.cfg.cpuprofile)
			path := fmt.Sprintf("%s.%s-r%d%s", strings.TrimSuffix(b.cfg.cpuprofile, ext), s.fileName(), rep+1, ext)
			args = append(args, "-cpuprofile", path)
			b.profiles = append(b.profiles, path)
		}
		pub, err = start("trackfeed publisher", b.stderr, b.cfg.self, args...)
	case zmqPub:
		var env []string
		if s.curve {
			env = []string{"ZMQPEER_CURVE_SERVER_SECRET=" + b.serverKey.Secret.String()}
		}
		pub, err = startEnv("libzmq publisher", b.stderr, env, b.peer, "pub", "tcp://127.0.0.1:*", strconv.Itoa(s.rate), secs, b.tracks)
	}
	if err != nil {
		return result{}, err
	}
	procs := []*proc{pub}
	defer func() {
		for _, p := range procs {
			p.finish(0)
		}
	}()
	l, err := pub.next(ctx, 10*time.Second)
	if err != nil {
		return result{}, err
	}
	endpoint, ok := strings.CutPrefix(l, "endpoint ")
	if !ok {
		return result{}, fmt.Errorf("%s printed %q, want its endpoint", pub.name, l)
	}
	endpoints, pubEndpoint := []string{endpoint}, endpoint
	var hops []*proc
	if s.hop != noHop {
		endpoints = nil
		for range max(s.hops, 1) {
			var hop *proc
			if s.hop == relayHop {
				args := []string{childRelay, "-connect", endpoint, "-max-subscribers", strconv.Itoa(s.conns + 64)}
				if b.cfg.cpuprofile != "" {
					ext := filepath.Ext(b.cfg.cpuprofile)
					path := fmt.Sprintf("%s.%s-r%d-relay%d%s", strings.TrimSuffix(b.cfg.cpuprofile, ext), s.fileName(), rep+1, len(hops)+1, ext)
					args = append(args, "-cpuprofile", path)
					b.relayProfiles = append(b.relayProfiles, path)
				}
				hop, err = start("trackfeed relay", b.stderr, b.cfg.self, args...)
			} else {
				hop, err = start("libzmq proxy", b.stderr, b.peer, "proxy", endpoint)
			}
			if err != nil {
				return result{}, err
			}
			procs = append(procs, hop)
			hops = append(hops, hop)
			if l, err = hop.next(ctx, 10*time.Second); err != nil {
				return result{}, err
			}
			ep, ok := strings.CutPrefix(l, "endpoint ")
			if !ok {
				return result{}, fmt.Errorf("%s printed %q, want its endpoint", hop.name, l)
			}
			endpoints = append(endpoints, ep)
		}
	}

	r := result{conns: s.conns, lat: latencies{}, latDirect: latencies{}}
	for _, h := range hops {
		r.hopRSS0 += rss(h.cmd.Process.Pid)
	}
	// Subscribers give up on their own a while after the run should end.
	timeout := s.duration + 2*time.Minute
	var subs []*proc
	for i := range s.procs {
		n := s.conns / s.procs
		if i < s.conns%s.procs {
			n++
		}
		var p *proc
		name := fmt.Sprintf("%s %d", s.sub, i+1)
		endpoint := endpoints[i%len(endpoints)]
		if s.curve && s.sub == tfSub {
			return result{}, errors.New("the benchmark runs no trackfeed subscriber under CURVE")
		}
		if s.beside && i%2 == 1 {
			endpoint = pubEndpoint
		}
		switch s.sub {
		case zmqSub:
			latency := "1"
			if s.rate == 0 {
				latency = "0" // count only: see zmqpeer.c
			}
			var env []string
			if s.curve {
				env = []string{"ZMQPEER_CURVE_SERVER=" + b.serverKey.Public.String(),
					"ZMQPEER_CURVE_PUBLIC=" + b.clientKey.Public.String(), "ZMQPEER_CURVE_SECRET=" + b.clientKey.Secret.String()}
			}
			p, err = startEnv(name, b.stderr, env, b.peer, "sub", endpoint, strconv.FormatFloat(timeout.Seconds(), 'f', 0, 64), strconv.Itoa(n), latency)
		case tfSub:
			if n != 1 {
				return result{}, fmt.Errorf("trackfeed subscriber: one connection per process, not %d", n)
			}
			p, err = start(name, b.stderr, b.cfg.self, childSub, "-endpoint", endpoint, "-timeout", timeout.String())
		case rawSub:
			half := 0
			if s.half {
				half = n / 2
			}
			r.halfConns += half
			p, err = start(name, b.stderr, b.cfg.self, append(b.rawSubArgs(s), "-endpoint", endpoint, "-timeout", timeout.String(), "-n", strconv.Itoa(n), "-prefixed", strconv.Itoa(half))...)
		}
		if err != nil {
			return result{}, err
		}
		procs = append(procs, p)
		subs = append(subs, p)
	}
	readyBy := 30*time.Second + time.Duration(s.conns)*20*time.Millisecond
	for _, p := range subs {
		if l, err := p.next(ctx, readyBy); err != nil {
			return result{}, err
		} else if l != "ready" {
			return result{}, fmt.Errorf("%s printed %q, want ready", p.name, l)
		}
	}

	hopCPU0, subCPU0 := 0.0, 0.0
	for _, h := range hops {
		hopCPU0 += cpuTime(h.cmd.Process.Pid)
	}
	for _, p := range subs {
		subCPU0 += cpuTime(p.cmd.Process.Pid)
	}
	if _, err := io.WriteString(pub.stdin, "go\n"); err != nil {
		return result{}, fmt.Errorf("%s: %w", pub.name, err)
	}
	var storm *proc
	if s.storm > 0 {
		// They connect as the run starts, all at once, and wait for the
		// end (or read the feed to its end); only the subscribers
		// connected before count.
		args := append(b.rawSubArgs(s), "-endpoint", endpoint, "-timeout", timeout.String(), "-n", strconv.Itoa(s.storm), "-storm")
		if !s.stormFeed {
			args = append(args, "-prefix", endTopic)
		}
		if storm, err = start("storm", b.stderr, b.cfg.self, args...); err != nil {
			return result{}, err
		}
		procs = append(procs, storm)
	}
	if err := pub.nextJSON(ctx, s.duration+time.Minute, &r.pub); err != nil {
		return result{}, err
	}
	for _, h := range hops {
		r.hopCPU += cpuTime(h.cmd.Process.Pid)
	}
	r.hopCPU -= hopCPU0
	for _, p := range subs {
		r.subCPU += cpuTime(p.cmd.Process.Pid)
	}
	r.subCPU -= subCPU0
	for i, p := range subs {
		var sr subResult
		if err := p.nextJSON(ctx, time.Minute, &sr); err != nil {
			return result{}, err
		}
		if s.beside && i%2 == 1 {
			r.latDirect.merge(sr.Hist)
		} else {
			r.lat.merge(sr.Hist)
		}
		if sr.Ended != sr.Sockets {
			return result{}, fmt.Errorf("%s: %d of %d connections saw the end of the run", p.name, sr.Ended, sr.Sockets)
		}
		r.countTotal += sr.Count
		sr.Hist = nil
		r.subs = append(r.subs, sr)
	}
	if storm != nil {
		var sr subResult
		if err := storm.nextJSON(ctx, time.Minute, &sr); err != nil {
			return result{}, err
		}
		if sr.Ended != sr.Sockets {
			return result{}, fmt.Errorf("storm: %d of %d connections saw the end of the run", sr.Ended, sr.Sockets)
		}
		r.stormHandshakes = sr.Handshakes
		storm.finish(10 * time.Second)
	}
	r.load = loadAverage()
	for _, h := range hops {
		r.hopRSS += rss(h.cmd.Process.Pid)
	}
	for _, p := range subs {
		p.finish(10 * time.Second)
	}
	pub.finish(10 * time.Second)
	for _, h := range hops {
		h.finish(10 * time.Second) // a relay writes its profile as it ends
	}
	return r, nil
}
