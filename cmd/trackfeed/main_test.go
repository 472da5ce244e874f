package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMain fails the package if a test leaves a goroutine running: every
// command must end all it started before run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is what one run of the command line gave.
type result struct {
	err            error
	code           int
	stdout, stderr string
}

// runArgs runs the command line args with the environment env and returns
// what it printed and the exit status main would give.
func runArgs(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	err := run(ctx, args, &stdout, &stderr, mapEnv(env))
	code := report(&stderr, err)
	return result{err: err, code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mapEnv is a getenv over m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testContext is a context that ends before the test's deadline, so that a
// broken test fails rather than hangs.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// golden compares got with the file testdata/name, or rewrites that file
// under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./cmd/trackfeed -update' to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is right)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// syncBuffer is a bytes.Buffer that goroutines may write while a test
// reads it, and that can wait for text to appear.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the buffer holds a line for which match is true, and
// returns that line.
func (s *syncBuffer) waitFor(ctx context.Context, match func(line string) bool) (string, error) {
	for {
		s.mu.Lock()
		for _, line := range strings.Split(s.b.String(), "\n") {
			if match(line) {
				s.mu.Unlock()
				return line, nil
			}
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
}

// testTrack is the tag of a test MP3 file.
type testTrack struct {
	path, artist, album, title, trackNo string
}

// writeMusic writes a small library under a new temporary folder and
// returns the folder: each file an ID3v2.3 tag followed by a few bytes
// standing in for audio.
func writeMusic(t *testing.T, tracks ...testTrack) string {
	t.Helper()
	dir := t.TempDir()
	for _, tr := range tracks {
		name := filepath.Join(dir, filepath.FromSlash(tr.path))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		b := librarytest.Tag(3, "TPE1", tr.artist, "TALB", tr.album, "TIT2", tr.title, "TRCK", tr.trackNo)
		b = append(b, librarytest.Silence(256)...)
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// streetsAndCure is a library of three tracks by two artists.
var streetsAndCure = []testTrack{
	{"The Streets/Corner Shop/01 Bus Stop.mp3", "The Streets", "Corner Shop", "Bus Stop", "1"},
	{"The Streets/Corner Shop/02 Chips.mp3", "The Streets", "Corner Shop", "Chips", "2"},
	{"Bjork/Glacier/01 Tundra.mp3", "Bjork", "Glacier", "Tundra", "1"},
}

func TestHelp(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	t.Run("top", func(t *testing.T) {
		r := runArgs(t, ctx, nil, "help")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("help: exit %d, stderr %q", r.code, r.stderr)
		}
		golden(t, "help/top/stdout", r.stdout)
		for _, args := range [][]string{{"--help"}, {"-h"}} {
			if r2 := runArgs(t, ctx, nil, args...); r2.code != 0 || r2.stdout != r.stdout {
				t.Errorf("%v: exit %d, output differs from 'help':\n%s", args, r2.code, r2.stdout)
			}
		}
	})
	t.Run("no arguments", func(t *testing.T) {
		r := runArgs(t, ctx, nil)
		if r.code != 2 || r.stdout != "" {
			t.Fatalf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
		}
		golden(t, "help/top/stdout", r.stderr)
	})
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			r := runArgs(t, ctx, nil, "help", c.name)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("help %s: exit %d, stderr %q", c.name, r.code, r.stderr)
			}
			golden(t, "help/"+c.name+"/stdout", r.stdout)
			for _, flag := range []string{"--help", "-h"} {
				r2 := runArgs(t, ctx, nil, c.name, flag)
				if r2.code != 0 || r2.stdout != r.stdout || r2.stderr != "" {
					t.Errorf("%s %s: exit %d, stderr %q, stdout differs from 'help %s':\n%s", c.name, flag, r2.code, r2.stderr, c.name, r2.stdout)
				}
			}
		})
	}
}

// TestUsageErrors checks command lines that cannot run: each gives exit
// status 2 and one line on stderr.
func TestUsageErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"publsh"}, nil,
			`trackfeed: unknown command "publsh" (run 'trackfeed help')`},
		{"flag before command", []string{"--bind", "x"}, nil,
			`trackfeed: unknown flag --bind: flags go after the command (run 'trackfeed help')`},
		{"help for unknown command", []string{"help", "nope"}, nil,
			`trackfeed: help: unknown command "nope" (run 'trackfeed help')`},
		{"unknown flag", []string{"publish", "--bogus", "x"}, nil,
			`trackfeed: publish: unknown flag: --bogus (see 'trackfeed publish --help')`},
		{"unknown shorthand", []string{"subscribe", "-z"}, nil,
			`trackfeed: subscribe: unknown shorthand flag: 'z' in -z (see 'trackfeed subscribe --help')`},
		{"bad flag value", []string{"scan", "--workers", "many", "x"}, nil,
			`trackfeed: scan: invalid argument "many" for "--workers" flag: must be an integer (see 'trackfeed scan --help')`},
		{"missing DIR", []string{"publish"}, nil,
			`trackfeed: publish: want one DIR, the folder that holds your music (see 'trackfeed publish --help')`},
		{"negative interval", []string{"publish", "--interval", "-1s", "x"}, nil,
			`trackfeed: publish: --interval -1s: want 0 (as fast as possible) or more`},
		{"bad order", []string{"publish", "--order", "random", "x"}, nil,
			`trackfeed: publish: --order "random": want shuffle or sequential`},
		{"bad pace", []string{"publish", "--pace", "slow", "x"}, nil,
			`trackfeed: publish: --pace "slow": want interval or real`},
		{"real pace, no interval", []string{"publish", "--pace", "real", "--interval", "0", "x"}, nil,
			`trackfeed: publish: --interval 0 with --pace real: give the interval a track of unknown duration takes, such as 2s`},
		{"bad seed", []string{"publish", "--seed", "-3", "x"}, nil,
			`trackfeed: publish: invalid argument "-3" for "--seed" flag: want a whole number, 1 or more (see 'trackfeed publish --help')`},
		{"zero hwm", []string{"publish", "--hwm", "0", "x"}, nil,
			`trackfeed: publish: --hwm 0: want 1 or more`},
		{"bad log level", []string{"publish", "--log-level", "loud", "x"}, nil,
			`trackfeed: publish: --log-level "loud": want debug, info, warn or error`},
		{"interval from the environment", []string{"publish", "x"}, map[string]string{"TRACKFEED_INTERVAL": "-2s"},
			`trackfeed: publish: --interval -2s: want 0 (as fast as possible) or more`},
		{"bad environment value", []string{"publish", "x"}, map[string]string{"TRACKFEED_INTERVAL": "soon"},
			`trackfeed: publish: TRACKFEED_INTERVAL="soon": must be a duration like "30s" or "5m" (see 'trackfeed publish --help')`},
		{"negative count", []string{"subscribe", "--count", "-1"}, nil,
			`trackfeed: subscribe: --count -1: want a positive number, or 0 for no limit`},
		{"json and format", []string{"subscribe", "--json", "--format", "{{.Title}}"}, nil,
			`trackfeed: subscribe: --json and --format: give one or the other`},
		{"negative duration", []string{"demo", "--duration", "-1s"}, nil,
			`trackfeed: demo: --duration -1s: want 0 (until Ctrl-C) or more`},
		{"version with arguments", []string{"version", "now"}, nil,
			`trackfeed: version: takes no arguments (see 'trackfeed version --help')`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, ctx, tc.env, tc.args...)
			if r.code != 2 {
				t.Errorf("exit status %d, want 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if got := strings.TrimSuffix(r.stderr, "\n"); got != tc.want {
				t.Errorf("stderr:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestFlagBeatsEnvironment gives --interval on the command line and a bad
// one in the environment: the flag wins, so the run gets as far as the
// folder.
func TestFlagBeatsEnvironment(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	missing := filepath.Join(t.TempDir(), "nothing")
	r := runArgs(t, ctx, map[string]string{"TRACKFEED_INTERVAL": "-1s", "TRACKFEED_ORDER": "sideways"},
		"publish", "--interval", "1s", "--order", "sequential", missing)
	want := "trackfeed: publish: " + missing + ": no such folder (give the path to your music)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}

func TestEnvName(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{"bind", "TRACKFEED_BIND"},
		{"max-subscribers", "TRACKFEED_MAX_SUBSCRIBERS"},
		{"log-level", "TRACKFEED_LOG_LEVEL"},
	} {
		if got := envName(tc.flag); got != tc.want {
			t.Errorf("envName(%q) = %q, want %q", tc.flag, got, tc.want)
		}
	}
}
