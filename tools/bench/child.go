//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/pub"
	"github.com/trackfeed/trackfeed/internal/schedule"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/relay"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// The hidden modes this program runs in as a child of the benchmark.
const (
	childPub    = "_pub"    // trackfeed's publisher
	childSub    = "_sub"    // trackfeed's subscriber (subscriber.Run)
	childRawSub = "_rawsub" // N raw zmtp readers in one process
	childRelay  = "_relay"  // trackfeed's relay
)

// runRelayChild is a trackfeed relay from -connect to a kernel-chosen
// loopback port, which it prints as "endpoint ENDPOINT"; it runs until its
// stdin closes.
func runRelayChild(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet(childRelay, flag.ContinueOnError)
	connect := fs.String("connect", "", "upstream")
	maxSubs := fs.Int("max-subscribers", 1024, "subscribers")
	profile := fs.String("cpuprofile", "", "CPU profile of the relay's whole life")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r, err := relay.New(relay.Config{Connect: []string{*connect}, Bind: []string{"tcp://127.0.0.1:0"}, MaxSubscribers: *maxSubs})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "endpoint", r.Endpoints()[0])
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		io.Copy(io.Discard, stdin)
		cancel()
	}()
	return r.Run(ctx)
}

// pubResult is the line a publisher prints after its timed run.
type pubResult struct {
	Sent       uint64  `json:"sent"`
	SentPrefix uint64  `json:"sent_prefix"` // of them, tracks whose topic starts with halfPrefix
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// subResult is the line a subscriber process prints at the end.
type subResult struct {
	Count   uint64     `json:"count"`   // messages counted, all connections
	Sockets int        `json:"sockets"` // connections
	Ended   int        `json:"ended"`   // connections that saw the end
	Seconds float64    `json:"seconds"` // first to last message counted
	Rate    float64    `json:"rate"`    // messages/s per connection
	P50     int64      `json:"p50_us"`
	P99     int64      `json:"p99_us"`
	Max     int64      `json:"max_us"`
	Hist    [][2]int64 `json:"hist"`
	// Handshakes is the seconds from a storm's start to the last of its
	// connections' handshakes (raw readers with -storm only).
	Handshakes float64 `json:"handshakes_s,omitempty"`
}

func writeSubResult(w io.Writer, count uint64, sockets, ended int, first, last time.Time, h histogram, handshakes time.Duration) error {
	r := subResult{Count: count, Sockets: sockets, Ended: ended, Hist: h.sparse(), Handshakes: handshakes.Seconds()}
	if count > 0 {
		r.Seconds = last.Sub(first).Seconds()
	}
	if r.Seconds > 0 {
		r.Rate = float64(count) / float64(sockets) / r.Seconds
	}
	l := latencies{}
	l.merge(r.Hist)
	r.P50, r.P99, r.Max = l.quantile(0.5), l.quantile(0.99), l.quantile(1)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// stdinLines sends the lines of r on the channel it returns, which it
// closes at the end of r. Its goroutine lives as long as r stays open: in a
// child, as long as the benchmark holds its stdin.
func stdinLines(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// runPubChild is trackfeed's side of zmqpeer's pub mode: publisher.Listen
// and publisher.New(...).Run, as cmd/trackfeed uses them.
func runPubChild(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet(childPub, flag.ContinueOnError)
	rate := fs.Int("rate", 0, "msg/s, 0: as fast as possible")
	duration := fs.Duration("duration", 5*time.Second, "timed run")
	tracksFile := fs.String("tracks", "", "tracks file")
	maxSubs := fs.Int("max-subscribers", 0, "SocketOptions.MaxSubscribers")
	profile := fs.String("cpuprofile", "", "CPU profile of the timed run")
	curveSecret := fs.String("curve-secret", "", "CURVE: the server's secret key (Z85); NULL if empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tracks, err := readTracks(*tracksFile)
	if err != nil {
		return err
	}
	list := publisher.NewPlaylist(publisher.Sequential, 1)
	list.Add(tracks...)
	opts := zmtp.ServerOptions{MaxConns: *maxSubs}
	if *curveSecret != "" {
		var kp curve.KeyPair
		if kp.Secret, err = curve.ParseKey(*curveSecret); err == nil {
			kp.Public, err = curve.PublicOf(kp.Secret)
		}
		if err != nil {
			return fmt.Errorf("-curve-secret: %w", err)
		}
		opts.Limits.Security = zmtp.CurveServer(kp, nil)
	}
	sock, err := pub.Listen([]string{"tcp://127.0.0.1:0"}, pub.Options{ServerOptions: opts})
	if err != nil {
		return err
	}
	defer sock.Close()
	fmt.Fprintf(stdout, "endpoint %s\n", sock.Endpoints()[0])

	lines := stdinLines(stdin)
	marker := func(topic string) { sock.Send(topic, wire.Encode(wireTrack(topic, tracks[0], 0))) }
	tick := time.NewTicker(markerInterval(*rate))
	defer tick.Stop()
	for started := false; !started; {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			started = l == "go"
		case <-tick.C:
			marker(warmupTopic)
		case <-ctx.Done():
			return nil
		}
	}

	var interval time.Duration
	if *rate > 0 {
		interval = time.Second / time.Duration(*rate)
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0, start := cpuSeconds(), time.Now()
	runCtx, cancel := context.WithTimeout(ctx, *duration)
	sent, sentPrefix, err := play(runCtx, sock, list, interval)
	cancel()
	elapsed, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	b, _ := json.Marshal(pubResult{Sent: sent, SentPrefix: sentPrefix, Seconds: elapsed, CPUSeconds: cpu})
	fmt.Fprintf(stdout, "%s\n", b)

	for {
		select {
		case l, ok := <-lines:
			if !ok || l == "quit" {
				return nil
			}
		case <-tick.C:
			marker(endTopic)
		case <-ctx.Done():
			return nil
		}
	}
}

// markerInterval is how often a publisher sends the warm-up and end
// markers: every 10 ms, or at the run's rate if that is slower, so that
// the warm-up is no heavier than the run. At 100 msg/s to 10,000
// subscribers, the warm-up alone was ten times the load measured, and
// libzmq's proxies, whose one I/O thread also answers handshakes, left
// subscribers waiting minutes for theirs (BENCHMARKS.md, issue 13).
// zmqpeer.c's pub does the same.
func markerInterval(rate int) time.Duration {
	if rate > 0 && rate < 100 {
		return time.Second / time.Duration(rate)
	}
	return 10 * time.Millisecond
}

// play sends list's tracks on sock as publisher.Publisher.Run does (its
// playlist, its encoding, its socket and its schedule) until ctx ends, and
// returns how many it sent, and how many of them had a topic starting with
// halfPrefix. It stands in for Run because the benchmark's
// protocol needs markers before and after the timed run on the same
// socket, which a Publisher does not send.
func play(ctx context.Context, sock *pub.Socket, list *publisher.Playlist, interval time.Duration) (uint64, uint64, error) {
	topicCache := map[string]string{}
	var seq, prefixed uint64
	send := func() {
		t, _ := list.Next()
		topic, ok := topicCache[t.Artist]
		if !ok {
			topic = topics.Slug(t.Artist)
			topicCache[t.Artist] = topic
		}
		seq++
		if strings.HasPrefix(topic, halfPrefix) {
			prefixed++
		}
		sock.Send(topic, wire.Encode(wireTrack(topic, t, seq)))
	}
	if interval == 0 {
		for ctx.Err() == nil {
			send()
		}
		return seq, prefixed, nil
	}
	err := schedule.Run(ctx, interval, send)
	return seq, prefixed, err
}

// errEnd stops subscriber.Run at the end marker.
var errEnd = errors.New("end of the run")

// runSubChild is trackfeed's subscriber (subscriber.Run, which decodes
// every message) as one process with one connection.
func runSubChild(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(childSub, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "publisher")
	timeout := fs.Duration("timeout", time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	h := newHistogram()
	var (
		count       uint64
		first, last time.Time
		warm        bool
		ready       = make(chan struct{})
	)
	handle := func(t subscriber.Track) error {
		switch t.Topic {
		case warmupTopic:
			if !warm {
				warm = true
				close(ready)
			}
			return nil
		case endTopic:
			return errEnd
		}
		now := time.Now()
		if count == 0 {
			first = now
		}
		last = now
		count++
		h.add(now.Sub(t.Sent))
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- subscriber.Run(ctx, subscriber.Options{Endpoints: []string{*endpoint}}, handle) }()
	var err error
	select {
	case <-ready:
		fmt.Fprintln(stdout, "ready")
		err = <-done
	case err = <-done:
	}
	ended := 0
	switch {
	case errors.Is(err, errEnd):
		ended = 1
	case err != nil:
		return err
	}
	return writeSubResult(stdout, count, 1, ended, first, last, h, 0)
}

// rawStats is one raw reader's count, kept by its goroutine alone.
type rawStats struct {
	count       uint64
	first, last time.Time
	ended       bool
	handshake   time.Time // when its handshake ended
	redials     int       // handshakes that failed and were tried again
}

// runRawSubChild runs N subscriber connections in one process, each a
// goroutine that reads with internal/zmtp and takes "sent" from frame 4
// without decoding the rest: the lightest receiver Go offers, so that a
// thousand of them measure the publisher rather than themselves.
//
// With -storm they are a crowd arriving during a run: they print no
// "ready" (the warm-up is over when they come), and the result says when
// the last handshake ended.
func runRawSubChild(ctx context.Context, args []string, stdout io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet(childRawSub, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "publisher")
	timeout := fs.Duration("timeout", time.Minute, "give up after")
	n := fs.Int("n", 1, "connections")
	storm := fs.Bool("storm", false, "arrive during the run")
	prefix := fs.String("prefix", "", "subscribe to this prefix only (default: everything); the end marker must match it")
	curveServer := fs.String("curve-server", "", "CURVE: the server's public key (Z85); NULL if empty")
	curveSecret := fs.String("curve-secret", "", "CURVE: the client's secret key (Z85)")
	prefixed := fs.Int("prefixed", 0, "connections (the first ones) that subscribe to halfPrefix, and the markers, instead of everything")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lim := receiverLimits
	if *curveServer != "" {
		server, err := curve.ParseKey(*curveServer)
		if err != nil {
			return fmt.Errorf("-curve-server: %w", err)
		}
		var kp curve.KeyPair
		if kp.Secret, err = curve.ParseKey(*curveSecret); err == nil {
			kp.Public, err = curve.PublicOf(kp.Secret)
		}
		if err != nil {
			return fmt.Errorf("-curve-secret: %w", err)
		}
		lim.Security = zmtp.CurveClient(kp, server)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	h := newHistogram()
	stats := make([]rawStats, *n)
	var (
		warm, ended atomic.Int64
		ready       = make(chan struct{})
		allEnded    = make(chan struct{})
		errOnce     sync.Once
		firstErr    error
		wg          sync.WaitGroup
	)
	for i := range stats {
		wg.Go(func() {
			prefixes := []string{*prefix}
			if i < *prefixed {
				prefixes = []string{halfPrefix, markerPrefix}
			}
			err := rawRead(ctx, *endpoint, lim, prefixes, &stats[i], h,
				func() {
					if warm.Add(1) == int64(*n) {
						close(ready)
					}
				},
				func() {
					if ended.Add(1) == int64(*n) {
						close(allEnded)
					}
				})
			if err != nil && ctx.Err() == nil {
				errOnce.Do(func() { firstErr = fmt.Errorf("connection %d: %w", i, err) })
				cancel()
			}
		})
	}
	if *storm {
		select {
		case <-allEnded:
		case <-ctx.Done():
		}
	} else {
		select {
		case <-ready:
			fmt.Fprintln(stdout, "ready")
			select {
			case <-allEnded:
			case <-ctx.Done():
			}
		case <-ctx.Done():
		}
	}
	cancel()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	var (
		count       uint64
		first, last time.Time
		nEnded      int
		handshakes  time.Duration
		redials     int
	)
	for _, s := range stats {
		redials += s.redials
		if *storm && !s.handshake.IsZero() {
			handshakes = max(handshakes, s.handshake.Sub(start))
		}
		if s.count > 0 {
			if count == 0 || s.first.Before(first) {
				first = s.first
			}
			if s.last.After(last) {
				last = s.last
			}
		}
		count += s.count
		if s.ended {
			nEnded++
		}
	}
	if redials > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d handshakes of %d connections were tried again\n", redials, *n)
	}
	return writeSubResult(stdout, count, *n, nEnded, first, last, h, handshakes)
}

// rawRead is one raw reader: it connects, subscribes to prefixes and
// counts messages until the end marker.
func rawRead(ctx context.Context, endpoint string, lim zmtp.Limits, prefixes []string, st *rawStats, h histogram, warmed, ended func()) error {
	nc, c, err := connectRetry(ctx, endpoint, lim, st)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()
	st.handshake = time.Now()
	for _, p := range prefixes {
		c.Write(zmtp.AppendMsg(nil, append([]byte{1}, p...)))
	}
	if err := c.Flush(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	warm := false
	for {
		frames, command, err := c.ReadMsg()
		if err != nil {
			return err
		}
		if command || len(frames) == 0 {
			continue
		}
		now := time.Now()
		switch string(frames[0]) {
		case warmupTopic:
			if !warm {
				warm = true
				warmed()
			}
			continue
		case endTopic:
			st.ended = true
			ended()
			return nil
		}
		if st.count == 0 {
			st.first = now
		}
		st.last = now
		st.count++
		if len(frames) >= 5 {
			if t, ok := sentTime(frames[4]); ok {
				h.add(now.Sub(t))
			}
		}
	}
}

// receiverLimits are the raw readers': zmtp's defaults, but as patient
// with a handshake as a libzmq SUB is (ZMQ_HANDSHAKE_IVL, 30 s): a hop
// busy with the warm-up's 100 msg/s to thousands of subscribers may take
// a while to answer the next one's greeting.
var receiverLimits = func() zmtp.Limits {
	l := zmtp.DefaultLimits
	l.HandshakeTimeout = 30 * time.Second
	return l
}()

// connectRetry connects and runs the handshake, trying both again a few
// times, as a subscriber reconnects: ten thousand connections at once on
// two loaded cores can overflow a listen backlog or outlast the other
// side's handshake deadline.
func connectRetry(ctx context.Context, endpoint string, lim zmtp.Limits, st *rawStats) (net.Conn, *zmtp.Conn, error) {
	for attempt := 0; ; attempt++ {
		nc, err := dialRetry(ctx, endpoint)
		if err != nil {
			return nil, nil, err
		}
		c, err := zmtp.Handshake(nc, zmq4.Sub, false, lim)
		if err == nil {
			return nc, c, nil
		}
		nc.Close()
		if attempt == 5 || ctx.Err() != nil {
			return nil, nil, err
		}
		st.redials++
	}
}

// dialRetry connects, trying again a few times: a thousand connections at
// once can overflow a listen backlog.
func dialRetry(ctx context.Context, endpoint string) (net.Conn, error) {
	wait := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := zmtp.Dial(dctx, endpoint)
		cancel()
		if err == nil {
			return c, nil
		}
		if attempt == 5 || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		wait *= 2
	}
}
