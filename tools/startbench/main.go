// Command startbench measures how soon `trackfeed publish` puts its first
// track on the wire after it starts, on generated libraries of several
// sizes, and how long its whole scan takes, cold (no scan cache) and warm
// (a restart with the cache of the previous run):
//
//	go run ./tools/startbench -n 20000,100000
//
// It builds cmd/trackfeed, writes each library with library/librarytest into a
// temporary folder, starts the publisher on an ipc:// endpoint and times,
// from the moment the process starts, the first message a subscriber
// receives and the "scanned library" log line.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library/librarytest"
)

func main() {
	sizes := flag.String("n", "20000,100000", "library sizes, comma-separated")
	runs := flag.Int("runs", 3, "runs of each case; the median is reported")
	flag.Parse()
	if err := run(*sizes, *runs); err != nil {
		log.Fatal(err)
	}
}

type result struct {
	first, scanned time.Duration
}

func run(sizes string, runs int) error {
	tmp, err := os.MkdirTemp("", "startbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "trackfeed")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/trackfeed").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	fmt.Println("| files | first track on the wire | whole scan | goal (first track ≤ 1 s) |")
	fmt.Println("| ---: | ---: | ---: | --- |")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("-n %q: %v", s, err)
		}
		dir := filepath.Join(tmp, "lib"+s)
		if _, err := librarytest.WriteLibrary(dir, n, 1); err != nil {
			return err
		}
		cache := filepath.Join(tmp, "cache"+s)
		for _, warm := range []bool{false, true} {
			var rs []result
			for i := range runs {
				if !warm {
					os.Remove(cache)
				}
				r, err := once(bin, dir, cache, filepath.Join(tmp, fmt.Sprintf("feed%d.sock", i)))
				if err != nil {
					return fmt.Errorf("%d files: %w", n, err)
				}
				rs = append(rs, r)
			}
			firsts, scans := make([]time.Duration, runs), make([]time.Duration, runs)
			for i, r := range rs {
				firsts[i], scans[i] = r.first, r.scanned
			}
			kind := "cold"
			if warm {
				kind = "restart with cache"
			}
			met := "met"
			if median(firsts) > time.Second {
				met = "not met"
			}
			fmt.Printf("| %d, %s | %v | %v | %s |\n", n, kind, median(firsts).Round(time.Millisecond), median(scans).Round(time.Millisecond), met)
		}
		os.RemoveAll(dir)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

var tookRE = regexp.MustCompile(`msg="scanned library".*took=([0-9.]+[a-zµ]+)`)

// once starts a publisher, waits for its first message and its scan, and
// stops it.
func once(bin, dir, cache, sock string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ep := "ipc://" + sock
	cmd := exec.CommandContext(ctx, bin, "publish", "--bind", ep, "--query", "", "--interval", "1ms", "--cache", cache, dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	scanned := make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := tookRE.FindStringSubmatch(sc.Text()); m != nil {
				// The scan's own measure starts after flags and binding:
				// take the wall time since the process started instead.
				scanned <- time.Since(start)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	var r result
	for {
		nc, err := zmtp.Dial(ctx, ep)
		if err != nil {
			if ctx.Err() != nil {
				return r, err
			}
			time.Sleep(time.Millisecond)
			continue
		}
		c, err := zmtp.Handshake(nc, zmq4.Sub, false, zmtp.DefaultLimits)
		if err != nil {
			nc.Close()
			continue
		}
		c.Write(zmtp.AppendMsg(nil, []byte{1}))
		c.Flush(time.Now().Add(time.Second))
		if _, _, err := c.ReadMsg(); err != nil {
			nc.Close()
			return r, err
		}
		r.first = time.Since(start)
		nc.Close()
		break
	}
	select {
	case r.scanned = <-scanned:
	case <-ctx.Done():
		return r, errors.New("no scan summary within 5 minutes")
	}
	return r, nil
}
