package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPublishErrors checks that each way publish cannot start ends it with
// one line that names the problem and the next step, and exit status 1.
func TestPublishErrors(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	empty := t.TempDir()
	skipped := t.TempDir()
	if err := os.WriteFile(filepath.Join(skipped, "silence.mp3"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(music, "The Streets", "Corner Shop", "01 Bus Stop.mp3")
	missing := filepath.Join(t.TempDir(), "Music")

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenEP := "tcp://" + taken.Addr().String()
	const anyPort = "tcp://127.0.0.1:0"

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing folder", []string{"-b", anyPort, missing},
			missing + ": no such folder (give the path to your music)"},
		{"not a folder", []string{"-b", anyPort, file},
			file + ": not a folder (give the folder that holds your music, not a file in it)"},
		{"empty folder", []string{"-b", anyPort, empty},
			empty + ": no tracks found: no .mp3, .flac, .m4a, .ogg, .opus, .dsf, .wav or .aiff files in it (give the folder that holds your music)"},
		{"only skipped files", []string{"-b", anyPort, skipped},
			skipped + ": no tracks found: 1 file skipped (to see why, run: trackfeed scan -v " + skipped + ")"},
		{"malformed endpoint", []string{"--bind", "localhost:10001", music},
			`--bind: endpoint "localhost:10001": want tcp://HOST:PORT or ipc://PATH`},
		{"unknown transport", []string{"--bind", "udp://127.0.0.1:0", music},
			`--bind: endpoint "udp://127.0.0.1:0": unsupported transport "udp" (use tcp:// or ipc://)`},
		{"port out of range", []string{"--query", "tcp://127.0.0.1:99999", music},
			`--query: endpoint "tcp://127.0.0.1:99999": port "99999": want a number from 0 to 65535`},
		{"port in use", []string{"--bind", takenEP, music},
			"bind " + takenEP + ": address already in use (is another publisher running? choose another port with --bind)"},
		{"query port in use", []string{"-b", anyPort, "--query", takenEP, music},
			"bind " + takenEP + ": address already in use (is another publisher running? choose another port with --query, or --query '' for none)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"publish", "--log-level", "error", "--query", anyPort}, tc.args...)
			r := runArgs(t, ctx, nil, args...)
			want := 1
			if strings.HasPrefix(tc.want, "--") { // a flag's value: a usage error
				want = 2
			}
			if r.code != want {
				t.Errorf("exit status %d, want %d", r.code, want)
			}
			if want := "trackfeed: publish: " + tc.want + "\n"; r.stderr != want {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
		})
	}
}

// logLine is a line of publish --log-format json.
type logLine struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	Bind    string `json:"bind"`
	Connect string `json:"connect"`
	Summary string `json:"summary"`
	Tracks  int    `json:"tracks"`
}

// startPublish runs publish with args (a folder last) until the test ends,
// and returns the endpoints it logs, read from its JSON log. Its query
// socket is on a kernel-chosen loopback port (see queryEndpoint).
func startPublish(t *testing.T, ctx context.Context, env map[string]string, args ...string) (endpoints []string, log *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var stdout syncBuffer
	log = new(syncBuffer)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"publish", "--log-format", "json", "--query", "tcp://127.0.0.1:0"}, args...), &stdout, log, mapEnv(env))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("publish: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("publish still running 5s after its context ended")
		}
		if s := stdout.String(); s != "" {
			t.Errorf("publish wrote %q on stdout; it should only log", s)
		}
	})
	// publish logs "publishing" once every endpoint is bound and listed.
	if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"publishing"`) }); err != nil {
		t.Fatalf("publish did not start: %v\nlog:\n%s", err, log)
	}
	for _, line := range strings.Split(log.String(), "\n") {
		var l logLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "listening" {
			endpoints = append(endpoints, l.Connect)
		}
	}
	return endpoints, log
}

// TestPublishSubscribe runs publish and subscribe through run() over
// loopback TCP.
func TestPublishSubscribe(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	eps, log := startPublish(t, ctx, nil, "--bind", "tcp://127.0.0.1:0", "--interval", "1ms", music)
	if len(eps) != 1 || !strings.HasPrefix(eps[0], "tcp://127.0.0.1:") {
		t.Fatalf("endpoints %q, want one on 127.0.0.1\nlog:\n%s", eps, log)
	}
	// Publishing starts with the first track; the scan's summary may come
	// after it.
	if _, err := log.waitFor(ctx, func(l string) bool {
		return strings.Contains(l, `"summary":"3 tracks, 2 artists, 2 albums; 0 files skipped"`)
	}); err != nil {
		t.Errorf("the log has no scan summary: %v\n%s", err, log)
	}

	r := runArgs(t, ctx, nil, "subscribe", "--connect", eps[0], "--count", "5", "the_")
	if r.err != nil {
		t.Fatalf("subscribe: %v\nstderr:\n%s", r.err, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		if l != "The Streets — Corner Shop — Bus Stop" && l != "The Streets — Corner Shop — Chips" {
			t.Errorf("unexpected line %q", l)
		}
	}
}

// TestPublishEnvironment binds two endpoints given as one comma-separated
// environment variable.
func TestPublishEnvironment(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	music := writeMusic(t, streetsAndCure...)
	sock := filepath.Join(t.TempDir(), "feed.sock")
	eps, log := startPublish(t, ctx, map[string]string{
		"TRACKFEED_BIND":     "tcp://127.0.0.1:0,ipc://" + sock,
		"TRACKFEED_INTERVAL": "1ms",
		"TRACKFEED_ORDER":    "sequential",
	}, music)
	if len(eps) != 2 || !strings.HasPrefix(eps[0], "tcp://127.0.0.1:") || eps[1] != "ipc://"+sock {
		t.Fatalf("endpoints %q, want tcp://127.0.0.1:PORT and ipc://%s\nlog:\n%s", eps, sock, log)
	}
	if !strings.Contains(log.String(), `"interval":"1ms"`) || !strings.Contains(log.String(), `"order":"sequential"`) {
		t.Errorf("the log does not show the interval and order from the environment:\n%s", log)
	}
	for _, ep := range eps {
		r := runArgs(t, ctx, nil, "subscribe", "-c", ep, "--count", "1", "--format", "{{.Title}}")
		if r.err != nil || !strings.HasSuffix(r.stdout, "\n") || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("subscribe -c %s: err %v, stdout %q\nstderr:\n%s", ep, r.err, r.stdout, r.stderr)
		}
	}
}
