//go:build linux

// Command soak runs a publisher for a while under churn: many subscribers
// connecting and leaving, one that never reads, and reports the publisher's
// resident memory, goroutines and what every subscriber received.
//
//	go run ./tools/soak -duration 60s
//
// The publisher runs in a child process (this program, re-executed), so
// its memory is its own.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/subscriber"
)

type sample struct {
	Endpoint   string `json:"endpoint,omitempty"`
	RSSKiB     int    `json:"rss_kib"`
	Goroutines int    `json:"goroutines"`
	Subs       int    `json:"subscribers"`
	Dropped    uint64 `json:"dropped"`
}

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long to run")
	subs := flag.Int("subscribers", 100, "subscribers in churn")
	interval := flag.Duration("interval", 2*time.Millisecond, "publisher interval (2ms fills a stalled peer's buffers within a minute)")
	child := flag.Bool("publisher", false, "run as the publisher child (internal)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *child {
		err = runPublisher(ctx, *interval)
	} else {
		err = run(ctx, *duration, *subs, *interval)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// runPublisher serves a synthetic library and prints a sample every second.
func runPublisher(ctx context.Context, interval time.Duration) error {
	var tracks []library.Track
	for i := range 1000 {
		a := fmt.Sprintf("The Artist %d", i%50)
		tracks = append(tracks, library.Track{Path: fmt.Sprintf("%s/Album/%03d.mp3", a, i), Artist: a, Album: "Album", Title: fmt.Sprint("Track ", i)})
	}
	if interval == 0 {
		interval = publisher.Unpaced
	}
	p, err := publisher.New(publisher.Config{Tracks: tracks, Bind: []string{"tcp://127.0.0.1:0"}, Interval: interval, Seed: 1})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	report := func() {
		st := p.Stats()
		enc.Encode(sample{Endpoint: p.Endpoints()[0], RSSKiB: rssKiB(), Goroutines: runtime.NumGoroutine(), Subs: st.Subscribers, Dropped: st.Dropped})
	}
	report()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				report()
			}
		}
	}()
	return p.Run(ctx)
}

func rssKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// session is one connection of a churning subscriber.
type session struct {
	got, gaps int
	latency   []time.Duration
}

func run(ctx context.Context, d time.Duration, n int, interval time.Duration) error {
	cmd := exec.CommandContext(ctx, os.Args[0], "-publisher", "-interval", interval.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	samples := make(chan sample, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var s sample
			if json.Unmarshal(sc.Bytes(), &s) == nil {
				samples <- s
			}
		}
		close(samples)
	}()
	first := <-samples
	ep := first.Endpoint
	fmt.Printf("publisher %s at start: RSS %d KiB, %d goroutines\n", ep, first.RSSKiB, first.Goroutines)

	// One subscriber that subscribes to everything and never reads, with a
	// small receive buffer so its TCP window closes within seconds.
	d0 := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	nc, err := d0.DialContext(ctx, "tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		return err
	}
	defer nc.Close()
	stalled, err := zmtp.Handshake(nc, zmq4.Sub, false, zmtp.DefaultLimits)
	if err != nil {
		return err
	}
	stalled.Write(zmtp.AppendMsg(nil, []byte{1}))
	stalled.Flush(time.Time{})

	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var sessions []session
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				life := time.Duration(500+rand.IntN(2500)) * time.Millisecond
				sctx, scancel := context.WithTimeout(runCtx, life)
				var s session
				var last uint64
				subscriber.Run(sctx, subscriber.Options{Endpoints: []string{ep}, Prefixes: []string{fmt.Sprintf("the_artist_%d", i%10)}}, func(t subscriber.Track) error {
					if last != 0 && t.Seq <= last {
						s.gaps = -1 << 30 // out of order: make it show
					}
					last = t.Seq
					s.got++
					s.latency = append(s.latency, time.Since(t.Sent))
					return nil
				})
				scancel()
				mu.Lock()
				sessions = append(sessions, s)
				mu.Unlock()
			}
		}()
	}
	var lastSample sample
	peakRSS := first.RSSKiB
	for s := range samples {
		lastSample = s
		peakRSS = max(peakRSS, s.RSSKiB)
		if runCtx.Err() != nil {
			break
		}
	}
	wg.Wait()
	// Let the churned connections go, then read the publisher once more.
	for s := range samples {
		lastSample = s
		if s.Subs <= 1 {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	go func() {
		for range samples {
		}
	}()
	werr := cmd.Wait()

	got := make([]int, 0, len(sessions))
	var lat []time.Duration
	bad := 0
	for _, s := range sessions {
		got = append(got, s.got)
		lat = append(lat, s.latency...)
		if s.gaps < 0 {
			bad++
		}
	}
	slices.Sort(got)
	slices.Sort(lat)
	fmt.Printf("publisher at end:   RSS %d KiB (peak %d KiB), %d goroutines, %d subscriber(s) left, %d messages dropped for the stalled one\n",
		lastSample.RSSKiB, peakRSS, lastSample.Goroutines, lastSample.Subs, lastSample.Dropped)
	if len(got) > 0 {
		fmt.Printf("%d subscriber sessions over %v: tracks per session min %d, median %d, max %d; %d out of order\n",
			len(got), d, got[0], got[len(got)/2], got[len(got)-1], bad)
	}
	if len(lat) > 0 {
		fmt.Printf("latency over all %d deliveries: p50 %v, p99 %v, max %v\n", len(lat), lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	fmt.Printf("publisher exit: %v\n", werr)
	return nil
}
