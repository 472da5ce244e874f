//go:build unix

package main

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRelayProcess runs the relay as a process between a publisher and a
// subscriber, and stops it with each signal: it exits 0 within a second.
func TestRelayProcess(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	bin := buildBinary(t, ctx)
	feed := startFeed(t, ctx)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			relay, log := startCmd(t, exec.CommandContext(ctx, bin, "relay", "-c", feed, "-b", "tcp://127.0.0.1:0", "--query", "", "--log-format", "json"))
			line, err := log.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"listening for subscribers"`) })
			if err != nil {
				t.Fatalf("relay did not log its endpoint: %v\n%s", err, log)
			}
			ep := line[strings.Index(line, `"connect":"`)+len(`"connect":"`):]
			ep = ep[:strings.IndexByte(ep, '"')]
			sub, out := start(t, ctx, bin, "subscribe", "--connect", ep)
			if _, err := out.waitFor(ctx, func(l string) bool { return strings.Contains(l, " — ") }); err != nil {
				t.Fatalf("subscribe printed no track through the relay: %v", err)
			}
			relay.stopWithin(t, sig, time.Second)
			sub.stopWithin(t, sig, time.Second)
		})
	}
}
