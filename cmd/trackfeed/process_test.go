//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds trackfeed into a temporary folder.
func buildBinary(t *testing.T, ctx context.Context) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "trackfeed")
	if out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestProcess builds the binary and checks what only a real process shows:
// the exit status after a signal, and after a reader closes the pipe.
func TestProcess(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	bin := buildBinary(t, ctx)
	music := writeMusic(t, streetsAndCure...)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			pub, pubLog := start(t, ctx, bin, "publish", "--bind", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", "--interval", "10ms", "--log-format", "json", music)
			ep := publishedEndpoint(t, ctx, pubLog)
			sub, subOut := start(t, ctx, bin, "subscribe", "--connect", ep)
			// A line on stdout: subscribe is connected and receiving.
			if _, err := subOut.waitFor(ctx, func(l string) bool { return strings.Contains(l, " — ") }); err != nil {
				t.Fatalf("subscribe printed no track: %v", err)
			}
			for _, p := range []*process{sub, pub} {
				p.stopWithin(t, sig, time.Second)
			}
			if !strings.Contains(pubLog.String(), `"msg":"stopped"`) {
				t.Errorf("publish did not log its stop:\n%s", pubLog)
			}
		})
	}

	// A command cut off before it finished exits as a shell reports a
	// signal: 130 for SIGINT, 143 for SIGTERM.
	t.Run("interrupted", func(t *testing.T) {
		pub, pubLog := start(t, ctx, bin, "publish", "--bind", "tcp://127.0.0.1:0", "--query", "", "--interval", "10ms", "--log-format", "json", music)
		defer pub.stopWithin(t, syscall.SIGTERM, time.Second)
		ep := publishedEndpoint(t, ctx, pubLog)
		mute, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
		if err != nil {
			t.Fatal(err)
		}
		defer mute.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			if c, err := mute.Accept(); err == nil {
				accepted <- c
			}
		}()
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			sub, subOut := start(t, ctx, bin, "subscribe", "--connect", ep, "--count", "100000")
			if _, err := subOut.waitFor(ctx, func(l string) bool { return strings.Contains(l, " — ") }); err != nil {
				t.Fatalf("subscribe printed no track: %v", err)
			}
			sub.stopWithStatus(t, sig, 128+int(sig))
		}
		q, _ := start(t, ctx, bin, "query", "-c", "tcp://"+mute.Addr().String(), "--timeout", "1m", "stats")
		select {
		case c := <-accepted: // query is waiting for its answer
			defer c.Close()
		case <-ctx.Done():
			t.Fatal("query did not connect")
		}
		q.stopWithStatus(t, syscall.SIGINT, 130)
	})

	t.Run("closed pipe", func(t *testing.T) {
		pub, pubLog := start(t, ctx, bin, "publish", "--bind", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", "--interval", "1ms", "--log-format", "json", music)
		defer pub.stopWithin(t, syscall.SIGTERM, time.Second)
		ep := publishedEndpoint(t, ctx, pubLog)

		// trackfeed subscribe | head -1
		cmd := exec.CommandContext(ctx, bin, "subscribe", "--connect", ep)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		sub, stderr := startCmd(t, cmd)
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.Contains(line, " — ") {
			t.Fatalf("first line %q, %v", line, err)
		}
		stdout.Close()
		select {
		case <-sub.done:
			if sub.err != nil {
				t.Errorf("subscribe after its reader left: %v (want exit status 0)", sub.err)
			}
		case <-ctx.Done():
			t.Fatal("subscribe still running after its reader left")
		}
		if strings.Contains(stderr.String(), "trackfeed:") {
			t.Errorf("subscribe complained about the closed pipe:\n%s", stderr.String())
		}
	})
}

// process is a running trackfeed.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // what Wait returned, once done is closed
}

// start runs bin with args until the test ends. It returns the process and
// its stdout, or, for publish, its stderr (its log).
func start(t *testing.T, ctx context.Context, bin string, args ...string) (*process, *syncBuffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout syncBuffer
	cmd.Stdout = &stdout
	p, stderr := startCmd(t, cmd)
	if args[0] == "publish" {
		return p, stderr
	}
	return p, &stdout
}

// startCmd starts cmd, whose stderr it returns, until the test ends.
func startCmd(t *testing.T, cmd *exec.Cmd) (*process, *syncBuffer) {
	t.Helper()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // fails harmlessly if it has exited
		<-p.done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", cmd.Args[1], stderr.String())
		}
	})
	return p, &stderr
}

// stopWithin sends sig and wants the process to exit with status 0 within d.
func (p *process) stopWithin(t *testing.T, sig syscall.Signal, d time.Duration) {
	t.Helper()
	sent := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("%s after %v: %v (want exit status 0)", p.cmd.Args[1], sig, p.err)
		}
		if took := time.Since(sent); took > d {
			t.Errorf("%s took %v to stop after %v, want at most %v", p.cmd.Args[1], took, sig, d)
		}
	case <-time.After(d):
		t.Errorf("%s still running %v after %v", p.cmd.Args[1], d, sig)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// stopWithStatus sends sig and wants the process to exit with status want
// within a second.
func (p *process) stopWithStatus(t *testing.T, sig syscall.Signal, want int) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if got := p.cmd.ProcessState.ExitCode(); got != want {
			t.Errorf("%s after %v: exit status %d (%v), want %d", p.cmd.Args[1], sig, got, p.err, want)
		}
	case <-time.After(time.Second):
		t.Errorf("%s still running a second after %v", p.cmd.Args[1], sig)
	}
}

// publishedEndpoint reads the endpoint a publisher logged it listens on.
func publishedEndpoint(t *testing.T, ctx context.Context, log *syncBuffer) string {
	t.Helper()
	line, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"listening"`) })
	if err != nil {
		t.Fatalf("publish did not log its endpoint: %v\n%s", err, log)
	}
	var l logLine
	if err := json.Unmarshal([]byte(line), &l); err != nil || l.Connect == "" {
		t.Fatalf("log line %q: %v", line, err)
	}
	return l.Connect
}
