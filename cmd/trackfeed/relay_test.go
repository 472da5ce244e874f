package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestRelayUsageErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing upstream", []string{"relay"},
			`trackfeed: relay: nothing upstream: give --connect ENDPOINT (a publisher or relay) or --listen ENDPOINT (for publishers that connect)`},
		{"argument", []string{"relay", "-c", "tcp://h:1", "extra"},
			`trackfeed: relay: takes no arguments, got "extra" (see 'trackfeed relay --help')`},
		{"bad upstream", []string{"relay", "-c", "udp://h:1"},
			`trackfeed: relay: --connect: endpoint "udp://h:1": unsupported transport "udp" (use tcp:// or ipc://)`},
		{"bad bind", []string{"relay", "-c", "tcp://h:1", "-b", "tcp://nowhere"},
			`trackfeed: relay: --bind: endpoint "tcp://nowhere": want tcp://HOST:PORT, e.g. tcp://*:10001`},
		{"zero hwm", []string{"relay", "-c", "tcp://h:1", "--hwm", "0"},
			`trackfeed: relay: --hwm 0: want 1 or more`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, ctx, nil, tc.args...)
			if got := strings.TrimSuffix(r.stderr, "\n"); r.code != 2 || got != tc.want {
				t.Errorf("exit %d, stderr:\n got %s\nwant %s", r.code, got, tc.want)
			}
		})
	}
}

// startRelay runs relay with args until the test ends, on kernel-chosen
// loopback ports, and returns its feed and query endpoints, read from its
// JSON log.
func startRelay(t *testing.T, ctx context.Context, args ...string) (feed, query string) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	var stdout, log syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"relay", "--log-format", "json", "-b", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0"}, args...), &stdout, &log, mapEnv(nil))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("relay: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("relay still running 5s after its context ended")
		}
		if s := stdout.String(); s != "" {
			t.Errorf("relay wrote %q on stdout; it should only log", s)
		}
	})
	if _, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"relaying"`) }); err != nil {
		t.Fatalf("relay did not start: %v\nlog:\n%s", err, log.String())
	}
	for _, line := range strings.Split(log.String(), "\n") {
		var l logLine
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		switch l.Msg {
		case "listening for subscribers":
			feed = l.Connect
		case "answering queries":
			query = l.Connect
		}
	}
	return feed, query
}

// TestRelaySubscribe runs publish → relay → subscribe, and asks the relay
// for the track playing now.
func TestRelaySubscribe(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	feed, query := startRelay(t, ctx, "--connect", startFeed(t, ctx))
	r := runArgs(t, ctx, nil, "subscribe", "-c", feed, "--count", "4", "the_cure")
	if r.err != nil {
		t.Fatalf("subscribe: %v\nstderr:\n%s", r.err, r.stderr)
	}
	if want := strings.Repeat("The Cure — Paper Moths — Spider Silk\n", 4); r.stdout != want {
		t.Errorf("subscribe through the relay printed\n%s\nwant\n%s", r.stdout, want)
	}
	r = runArgs(t, ctx, nil, "query", "-c", query, "now")
	if r.err != nil || !strings.Contains(r.stdout, " — ") {
		t.Errorf("query now at the relay: %v, %q\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
}
