package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
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

// service is a command run by startService: its log, and what it printed.
type service struct {
	name        string
	log, stdout *syncBuffer
}

// startService runs the command line args (JSON logs at debug level)
// until the test ends, and returns it once it has logged a line holding
// ready.
func startService(t *testing.T, ctx context.Context, ready string, args ...string) *service {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	s := &service{name: args[0], log: new(syncBuffer), stdout: new(syncBuffer)}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(args, "--log-format", "json", "--log-level", "debug"), s.stdout, s.log, mapEnv(nil))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s still running 5s after its context ended", s.name)
		}
	})
	if _, err := s.log.waitFor(ctx, func(l string) bool { return strings.Contains(l, ready) }); err != nil {
		t.Fatalf("%s did not start: %v\nlog:\n%s", s.name, err, s.log)
	}
	return s
}

// logged is the field field of the first line of s's log whose message
// is msg.
func (s *service) logged(t *testing.T, msg, field string) string {
	t.Helper()
	for _, line := range strings.Split(s.log.String(), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == msg {
			if v, ok := l[field].(string); ok {
				return v
			}
		}
	}
	t.Fatalf("%s logged no %q with a %s:\n%s", s.name, msg, field, s.log)
	return ""
}

// TestCurveEverySocket runs every command that speaks CURVE, each with
// keys from keygen and an allowlist, and checks that each works with an
// admitted key, that a key not admitted gets nothing, and that no secret
// key shows in any log, error, output, /metrics or query reply.
//
//	publish A (CURVE) → relay (CURVE client up, server down, and on --listen) → subscribe, query
//	publish B (CURVE client of the relay's --listen) ↗
//	publish A → web (feed and query over CURVE, /artists, /metrics)
//	ventilator (CURVE) ← worker, scan --ventilator, publish C --ventilator
func TestCurveEverySocket(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	dir := t.TempDir()
	key := func(name string) string { return filepath.Join(dir, name) }
	var secrets []string
	for _, name := range []string{"pub", "pub2", "relay", "relayup", "listen", "vent", "worker", "client", "stranger"} {
		if r := runArgs(t, ctx, nil, "keygen", key(name)); r.err != nil {
			t.Fatalf("keygen %s: %v", name, r.err)
		}
		b, err := os.ReadFile(key(name) + ".key")
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, strings.TrimSpace(string(b)))
	}
	allow := func(list string, names ...string) string {
		var b strings.Builder
		for _, n := range names {
			pub, err := os.ReadFile(key(n) + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			b.Write(pub)
		}
		if err := os.WriteFile(key(list), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return key(list)
	}
	// everything is what the commands printed and answered, for the
	// leak check at the end.
	var everything strings.Builder
	var services []*service
	check := func(r result) result {
		everything.WriteString(r.stdout + r.stderr)
		return r
	}
	local := "tcp://127.0.0.1:0"
	music := writeMusic(t, streetsAndCure...)

	// The feed's chain.
	a := startService(t, ctx, `"msg":"publishing"`, "publish", "-b", local, "--query", local, "--station", "a", "--interval", "2ms",
		"--curve-secret", key("pub.key"), "--curve-clients", allow("pub.allow", "relayup", "client"), music)
	aFeed, aQuery := a.logged(t, "listening", "connect"), a.logged(t, "answering queries", "connect")
	relay := startService(t, ctx, `"msg":"relaying"`, "relay", "-b", local, "--query", local, "--listen", local,
		"-c", aFeed, "--curve-upstream", key("pub.pub"), "--curve-key", key("relayup"),
		"--curve-secret", key("relay.key"), "--curve-clients", allow("relay.allow", "client"),
		"--curve-listen-secret", key("listen.key"), "--curve-listen-clients", allow("listen.allow", "pub2"))
	rFeed, rQuery, rListen := relay.logged(t, "listening for subscribers", "connect"), relay.logged(t, "answering queries", "connect"),
		relay.logged(t, "listening for publishers", "connect")
	b := startService(t, ctx, `"msg":"publishing"`, "publish", "-b", "", "--query", "", "--station", "b", "--interval", "2ms",
		"--connect", rListen, "--curve-relay", key("listen.pub"), "--curve-secret", key("pub2.key"), music)
	services = append(services, a, relay, b)

	for _, station := range []string{"a", "b"} {
		r := check(runArgs(t, ctx, nil, "subscribe", "-c", rFeed, "--curve-server", key("relay.pub"), "--curve-key", key("client"),
			"--station", station, "--count", "1", "--format", "{{.Station}}"))
		if r.err != nil || r.stdout != station+"\n" {
			t.Errorf("subscribe --station %s through the relay over CURVE: %q, %v\n%s", station, r.stdout, r.err, r.stderr)
		}
	}
	r := check(runArgs(t, ctx, nil, "query", "-c", rQuery, "--curve-server", key("relay.pub"), "--curve-key", key("stranger"), "--timeout", "5s", "stats"))
	if r.code != 1 || !strings.Contains(r.stderr, "is not in the allowlist") {
		t.Errorf("query at the relay with a key not admitted: exit %d, %q; want 1 and the reason", r.code, r.stderr)
	}
	r = check(runArgs(t, ctx, nil, "query", "-c", rQuery, "--curve-server", key("relay.pub"), "--curve-key", key("client"), "stats"))
	if r.err != nil || !strings.Contains(r.stdout, "\ncurve_refused: 1\n") {
		t.Errorf("query stats at the relay: %q, %v; want curve_refused 1", r.stdout, r.err)
	}
	for _, q := range [][]string{{"--json", "now"}, {"stations"}} {
		check(runArgs(t, ctx, nil, append([]string{"query", "-c", rQuery, "--curve-server", key("relay.pub"), "--curve-key", key("client")}, q...)...))
		check(runArgs(t, ctx, nil, append([]string{"query", "-c", aQuery, "--curve-server", key("pub.pub"), "--curve-key", key("client")}, q...)...))
	}

	// web, against publisher A.
	web := startService(t, ctx, `"msg":"serving"`, "web", "--http", "127.0.0.1:0", "-c", aFeed, "--query", aQuery,
		"--curve-server", key("pub.pub"), "--curve-key", key("client"))
	services = append(services, web)
	url := web.logged(t, "serving", "url")
	for _, path := range []string{"artists", "metrics"} {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		everything.Write(body)
		want := map[string]string{"artists": `"name":"The Streets"`, "metrics": "trackfeed_web_publisher_curve_refused_total 0\n"}[path]
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("web /%s: %s, no %q in\n%s", path, resp.Status, want, body)
		}
	}

	// The task system.
	vent := startService(t, ctx, `"msg":"ventilator ready"`, "ventilator", "--control", local, "--fan", local, "--sink", local,
		"--curve-secret", key("vent.key"), "--curve-clients", allow("vent.allow", "worker", "client", "pub"))
	control, fan, sink := vent.logged(t, "ventilator ready", "control"), vent.logged(t, "ventilator ready", "fan"), vent.logged(t, "ventilator ready", "sink")
	stranger := startService(t, ctx, "CURVE handshake with the ventilator failed", "worker", "--fan", fan, "--sink", sink, "--jobs", "1",
		"--curve-ventilator", key("vent.pub"), "--curve-key", key("stranger"), music)
	worker := startService(t, ctx, `"msg":"connected to the fan"`, "worker", "--fan", fan, "--sink", sink, "--jobs", "1",
		"--curve-ventilator", key("vent.pub"), "--curve-key", key("worker"), music)
	services = append(services, vent, stranger, worker)
	want := check(runArgs(t, ctx, nil, "scan", "-v", music))
	r = check(runArgs(t, ctx, nil, "scan", "-v", "--ventilator", control, "--curve-ventilator", key("vent.pub"), "--curve-key", key("client")))
	if r.err != nil || r.stdout != want.stdout {
		t.Errorf("scan --ventilator over CURVE: %v\n%s%s\nwant\n%s", r.err, r.stdout, r.stderr, want.stdout)
	}
	r = check(runArgs(t, ctx, nil, "scan", "--ventilator", control, "--curve-ventilator", key("vent.pub"), "--curve-key", key("stranger")))
	if r.code != 1 || !strings.Contains(r.stderr, "not in the allowlist") || !strings.Contains(r.stderr, "--curve-key") {
		t.Errorf("scan --ventilator with a key not admitted: exit %d, %q; want 1, the reason and the flag", r.code, r.stderr)
	}
	// publish C's client pair is its --curve-secret's, pub, admitted.
	c := startService(t, ctx, `"msg":"publishing"`, "publish", "-b", local, "--query", "", "--interval", "2ms", "--no-cache",
		"--ventilator", control, "--curve-ventilator", key("vent.pub"), "--curve-secret", key("pub.key"))
	services = append(services, c)
	r = check(runArgs(t, ctx, nil, "subscribe", "-c", c.logged(t, "listening", "connect"), "--curve-server", key("pub.pub"), "--curve-key", key("client"), "--count", "1"))
	if r.err != nil || !strings.Contains(r.stdout, " — ") {
		t.Errorf("subscribe to publish --ventilator over CURVE: %q, %v\n%s", r.stdout, r.err, r.stderr)
	}
	if !strings.Contains(vent.log.String(), `"msg":"CURVE client refused"`) {
		t.Errorf("the ventilator did not log the stranger:\n%s", vent.log)
	}

	// Errors about secret keys name the file, or nothing, never the key.
	if err := os.WriteFile(key("bad.key"), []byte(secrets[0][:39]+"~\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"publish", "--curve-secret", secrets[0][:39] + "~", music},
		{"relay", "-c", aFeed, "--curve-secret", key("bad.key")},
		{"ventilator", "--curve-secret", secrets[0][:39] + "~"},
	} {
		if r := check(runArgs(t, ctx, nil, args...)); r.code != 2 {
			t.Errorf("%q: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	r = check(runArgs(t, ctx, map[string]string{"TRACKFEED_CURVE_SECRET": secrets[0][:39] + "~"}, "ventilator"))
	if r.code != 2 || strings.Contains(r.stderr, secrets[0][:39]) {
		t.Errorf("TRACKFEED_CURVE_SECRET that is not a key: exit %d, %q; want 2, and not the value", r.code, r.stderr)
	}

	for _, s := range services {
		everything.WriteString(s.log.String() + s.stdout.String())
	}
	all := everything.String()
	for i, secret := range secrets {
		for _, form := range []string{secret, secret[:20], secret[20:]} {
			if strings.Contains(all, form) {
				t.Errorf("secret key %d (or half of it) shows in what the commands logged, printed or answered", i)
			}
		}
	}
	if strings.Contains(all, secrets[0][:39]) {
		t.Error("a secret key with one character wrong shows in an error")
	}
	if !strings.Contains(all, "CURVE client refused") || len(all) < 10000 {
		t.Errorf("the leak check read %d bytes, without a refusal: it checks too little", len(all))
	}
}

// TestCurveUsageErrors: CURVE flags without the flag they need are usage
// errors that name it.
func TestCurveUsageErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	dir := t.TempDir()
	k := filepath.Join(dir, "k")
	if r := runArgs(t, ctx, nil, "keygen", k); r.err != nil {
		t.Fatal(r.err)
	}
	music := writeMusic(t, streetsAndCure...)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"publish", "--curve-clients", k + ".pub", music}, "give its secret key with --curve-secret"},
		{[]string{"publish", "--curve-secret", k + ".key", "--connect", "tcp://127.0.0.1:1", music}, "give their public key with --curve-relay"},
		{[]string{"publish", "--curve-relay", k + ".pub", music}, "give --connect ENDPOINT too"},
		{[]string{"relay", "-c", "tcp://127.0.0.1:1", "--curve-clients", k + ".pub"}, "give its secret key with --curve-secret"},
		{[]string{"relay", "-c", "tcp://127.0.0.1:1", "--curve-listen-secret", k + ".key"}, "give --listen ENDPOINT too"},
		{[]string{"relay", "--listen", "tcp://127.0.0.1:0", "--curve-listen-clients", k + ".pub"}, "give its secret key with --curve-listen-secret"},
		{[]string{"relay", "--listen", "tcp://127.0.0.1:0", "--curve-upstream", k + ".pub"}, "give --connect ENDPOINT too"},
		{[]string{"ventilator", "--curve-clients", k + ".pub"}, "give its secret key with --curve-secret"},
	} {
		r := runArgs(t, ctx, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
