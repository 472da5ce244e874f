package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestProgressNotTerminal: on anything but a terminal there is no spinner,
// and the log writes straight to stderr. (The scan golden files check the
// same through run.)
func TestProgressNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	p, w := newProgress(&buf, progressDelay)
	if p != nil || w != io.Writer(&buf) {
		t.Fatalf("newProgress on a buffer = %v, %T; want nil and the buffer", p, w)
	}
	p.start("scanning")
	p.add()
	p.done()
	if buf.Len() != 0 {
		t.Errorf("a nil progress wrote %q", buf.String())
	}
}

// terminal opens a pseudo-terminal and returns its terminal end, for
// stderr, and what is written to it, read from the other end until the
// test ends.
func terminal(t *testing.T) (*os.File, *syncBuffer) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	var out syncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(&out, ptmx) // ends with an error once both ends are closed
	}()
	t.Cleanup(func() {
		tty.Close()
		ptmx.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("the pseudo-terminal reader did not end")
		}
	})
	return tty, &out
}

// TestProgressTerminal draws the spinner on a pseudo-terminal: it shows the
// count, steps aside for a log line, and leaves a clean line when done.
func TestProgressTerminal(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	tty, out := terminal(t)
	p, logTo := newProgress(tty, progressDelay)
	if p == nil {
		t.Fatal("no progress on a terminal")
	}
	p.delay = 0
	p.start("scanning")
	for range 42 {
		p.add()
	}
	if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, "scanning (42, ") }); err != nil {
		t.Fatalf("no spinner with the count: %v\noutput: %q", err, out)
	}
	io.WriteString(logTo, "level=INFO msg=hello\n")
	p.done()
	p.done()
	io.WriteString(logTo, "level=INFO msg=after\n")
	if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, "msg=after") }); err != nil {
		t.Fatalf("%v\noutput: %q", err, out)
	}
	got := out.String()
	if !strings.Contains(got, "\r\x1b[Klevel=INFO msg=hello") {
		t.Errorf("the log line does not clear the spinner's line first: %q", got)
	}
	// Whatever the spinner drew last was cleared: by the log line, or by done.
	if i := strings.LastIndex(got, "tracks/s"); !strings.Contains(got[i:], "\r\x1b[K") {
		t.Errorf("the spinner was not cleared: %q", got)
	}
	if !strings.HasSuffix(got, "\r\nlevel=INFO msg=after\r\n") && !strings.HasSuffix(got, "\r\x1b[Klevel=INFO msg=after\r\n") {
		t.Errorf("the last log line is not on a line of its own: %q", got)
	}
}

// TestScanTerminal runs scan with stderr on a pseudo-terminal: the spinner
// shows while it reads, and only the summary is left.
func TestScanTerminal(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	tty, out := terminal(t)
	dir := scanLibrary(t)
	var stdout syncBuffer
	err := runWith(ctx, []string{"scan", dir}, stdio{stdout: &stdout, stderr: tty, getenv: mapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	const summary = "3 tracks, 2 artists, 2 albums; 2 files skipped (1 corrupt tag, 1 empty file)"
	if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, summary) }); err != nil {
		t.Fatalf("%v\noutput: %q", err, out)
	}
	// The scan may end before the spinner's first turn; if it drew, it
	// was cleared before the summary.
	got := out.String()
	if i := strings.Index(got, "scanning"); i >= 0 && !strings.Contains(got[i:], "\r\x1b["+"K"+summary) {
		t.Errorf("the spinner was not cleared before the summary: %q", got)
	}
	if strings.Count(stdout.String(), "\n") != 3 {
		t.Errorf("stdout: %q, want 3 tracks", stdout.String())
	}
	t.Logf("stderr: %q", got)
}

// TestPublishTerminal runs publish with stderr on a pseudo-terminal: its
// log lines, written while the spinner turns, each keep a line of their own.
func TestPublishTerminal(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	tty, out := terminal(t)
	music := writeMusic(t, streetsAndCure...)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runWith(runCtx, []string{"publish", "--bind", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", "--interval", "1ms", music},
			stdio{stdout: io.Discard, stderr: tty, getenv: mapEnv(nil)}) // the spinner at once
	}()
	for _, msg := range []string{"msg=publishing", `msg="scanned library"`} {
		if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, msg) }); err != nil {
			stop()
			t.Fatalf("no %s: %v\noutput: %q", msg, err, out)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, "msg=stopped") }); err != nil {
		t.Fatalf("no stopped: %v\noutput: %q", err, out)
	}
	for _, line := range strings.Split(out.String(), "\r\n") {
		if i := strings.LastIndex(line, "\x1b[K"); i >= 0 {
			line = line[i+len("\x1b[K"):]
		}
		if line != "" && !strings.HasPrefix(line, "time=") {
			t.Errorf("a line that is not a log line: %q\noutput: %q", line, out)
		}
	}
}
