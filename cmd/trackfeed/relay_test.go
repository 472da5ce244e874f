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
			`trackfeed: relay: --bind: endpoint "tcp://nowhere": want tcp://HOST:PORT, e.g. tcp://*:10001 (every interface) or tcp://127.0.0.1:10001`},
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

// relayEndpoints are where a relay started by startRelay serves.
type relayEndpoints struct{ feed, query, listen string }

// startRelay runs relay with args until the test ends, on kernel-chosen
// loopback ports, and returns its endpoints, read from its JSON log.
func startRelay(t *testing.T, ctx context.Context, args ...string) (eps relayEndpoints) {
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
			eps.feed = l.Connect
		case "answering queries":
			eps.query = l.Connect
		case "listening for publishers":
			eps.listen = l.Connect
		}
	}
	return eps
}

// TestRelaySubscribe runs publish → relay → subscribe, and asks the relay
// for the track playing now.
func TestRelaySubscribe(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	eps := startRelay(t, ctx, "--connect", startFeed(t, ctx))
	r := runArgs(t, ctx, nil, "subscribe", "-c", eps.feed, "--count", "4", "the_cure")
	if r.err != nil {
		t.Fatalf("subscribe: %v\nstderr:\n%s", r.err, r.stderr)
	}
	if want := strings.Repeat("The Cure — Paper Moths — Spider Silk\n", 4); r.stdout != want {
		t.Errorf("subscribe through the relay printed\n%s\nwant\n%s", r.stdout, want)
	}
	r = runArgs(t, ctx, nil, "query", "-c", eps.query, "now")
	if r.err != nil || !strings.Contains(r.stdout, " — ") {
		t.Errorf("query now at the relay: %v, %q\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
}

// TestRelayStations has two publishers connect to a relay (publish
// --connect), each with a station name: subscribe --station picks one,
// query stations lists both, and subscribe --now asks the relay.
func TestRelayStations(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	eps := startRelay(t, ctx, "--listen", "tcp://127.0.0.1:0")
	music := writeMusic(t, streetsAndCure...)
	for _, name := range []string{"kitchen", "attic"} {
		startPublish(t, ctx, nil, "--bind", "", "--connect", eps.listen, "--station", name, "--interval", "2ms", music)
	}
	r := runArgs(t, ctx, nil, "subscribe", "-c", eps.feed, "--station", "attic", "--count", "5", "--format", "{{.Station}}")
	if r.err != nil || r.stdout != strings.Repeat("attic\n", 5) {
		t.Errorf("subscribe --station attic: %v, printed %q\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	r = runArgs(t, ctx, nil, "query", "-c", eps.query, "stations")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "attic\t") || !strings.HasPrefix(lines[1], "kitchen\t") {
		t.Errorf("query stations: %v, printed %q", r.err, r.stdout)
	}
	r = runArgs(t, ctx, nil, "query", "-c", eps.query, "--json", "now", "kitchen")
	if r.err != nil || !strings.Contains(r.stdout, `"station":"kitchen"`) {
		t.Errorf("query now kitchen: %v, printed %q", r.err, r.stdout)
	}
	r = runArgs(t, ctx, nil, "subscribe", "-c", eps.feed, "--now", "--query", eps.query, "--count", "1")
	if r.err != nil || !strings.Contains(r.stdout, " — ") {
		t.Errorf("subscribe --now at the relay: %v, printed %q\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
}
