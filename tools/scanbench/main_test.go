//go:build linux

package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// TestRun runs the whole benchmark on a small library and checks that it
// prints its tables. TagLib is measured if it is installed.
func TestRun(t *testing.T) {
	args := []string{"-n", "300", "--rounds", "1"}
	if err := exec.Command("pkg-config", "--exists", "taglib").Run(); err != nil {
		t.Log("TagLib not installed; measuring without it")
		args = append(args, "--taglib=false")
	}
	var stdout, stderr bytes.Buffer
	if err := run(testCtx(t), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"### Scan throughput", "| library.Scan, 1 worker |", "bound: walk + read the tag bytes, 2 workers",
		"### Scan cache: restart on an unchanged library", "| restart with the cache, 2 workers |",
		"encoding/gob: decode the same tracks", "(OpenCache + TrackChunks, 2 cores;",
		"Command: `go run ./tools/scanbench -n 300 --rounds 1", "Machine: ",
		"### Cover art: what locating it costs the scan", "| 2 | ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunBadArgs(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"--rounds", "0"}, {"--workers", "0"}, {"--no-such-flag"}} {
		var stdout, stderr bytes.Buffer
		if err := run(testCtx(t), args, &stdout, &stderr); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}

// TestFloorsVisitEveryFile checks that the bound and the stat floor see
// every file of a library, with one worker and with several.
func TestFloorsVisitEveryFile(t *testing.T) {
	dir := t.TempDir()
	st, err := librarytest.WriteLibrary(dir, 250, 9)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{1, 3} {
		if n, err := readBound(testCtx(t), dir, w); err != nil || n != st.Files {
			t.Errorf("readBound, %d workers = %d, %v; want %d files", w, n, err, st.Files)
		}
		if n, err := statFloor(testCtx(t), dir, w); err != nil || n != st.Files {
			t.Errorf("statFloor, %d workers = %d, %v; want %d files", w, n, err, st.Files)
		}
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {123456.4, "123,456"}, {1234567, "1,234,567"}} {
		if got := thousands(tc.in); got != tc.want {
			t.Errorf("thousands(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
