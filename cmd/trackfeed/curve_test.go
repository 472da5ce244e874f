package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCurveCommands: keys from keygen; a publisher that speaks CURVE and
// admits the keys of a folder; subscribe and query with an admitted key
// get in, query with another is refused with the reason, and so is a
// query in the clear.
func TestCurveCommands(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed")
	if err := os.Mkdir(allowed, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server", "allowed/client", "stranger"} {
		if r := runArgs(t, ctx, nil, "keygen", filepath.Join(dir, name)); r.err != nil {
			t.Fatalf("keygen %s: %v", name, r.err)
		}
	}
	music := writeMusic(t, streetsAndCure...)
	eps, log := startPublish(t, ctx, nil, "--bind", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", "--interval", "1ms",
		"--curve-secret", filepath.Join(dir, "server.key"), "--curve-clients", allowed, music)
	qep := queryEndpoint(t, log)
	server := filepath.Join(dir, "server.pub")
	client := filepath.Join(dir, "allowed", "client")

	r := runArgs(t, ctx, nil, "subscribe", "-c", eps[0], "--count", "1", "--curve-server", server, "--curve-key", client)
	if r.err != nil || !strings.Contains(r.stdout, " — ") {
		t.Errorf("subscribe over CURVE: %q, %v\n%s", r.stdout, r.err, r.stderr)
	}
	r = runArgs(t, ctx, nil, "query", "-c", qep, "--curve-server", server, "--curve-key", client, "hello", "you")
	if r.err != nil || r.stdout != "Hello you\n" {
		t.Errorf("query over CURVE: %q, %v\n%s", r.stdout, r.err, r.stderr)
	}
	r = runArgs(t, ctx, nil, "query", "-c", qep, "--curve-server", server, "--curve-key", filepath.Join(dir, "stranger"), "--timeout", "2s", "stats")
	t.Logf("refused: %s", r.stderr)
	if r.code != 1 || !strings.Contains(r.stderr, "is not in the allowlist") {
		t.Errorf("query with a key not admitted: exit %d, stderr %q; want 1 and the reason", r.code, r.stderr)
	}
	r = runArgs(t, ctx, nil, "query", "-c", qep, "--timeout", "2s", "stats")
	if r.code != 1 || r.stdout != "" {
		t.Errorf("query in the clear: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	if !strings.Contains(log.String(), `"msg":"CURVE client refused"`) {
		t.Errorf("the refusal is not logged:\n%s", log)
	}
	r = runArgs(t, ctx, nil, "publish", "--curve-secret", filepath.Join(dir, "nope.key"), music)
	if r.code != 2 || !strings.Contains(r.stderr, "nope.key: no such file or directory") {
		t.Errorf("a missing key file: exit %d, stderr %q; want 2 and the file named", r.code, r.stderr)
	}
}
