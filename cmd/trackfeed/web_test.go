package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWeb runs 'trackfeed web' on a real feed: the page, its health check
// and its event stream answer, the stream filtered by prefix, until the
// command is stopped.
func TestWeb(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	feed := startFeed(t, ctx)
	wctx, stop := context.WithCancel(ctx)
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(wctx, []string{"web", "--http", "127.0.0.1:0", "-c", feed, "--log-format", "json"}, &stdout, &stderr, mapEnv(nil))
	}()
	line, err := stderr.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"serving"`) })
	if err != nil {
		stop()
		t.Fatalf("no 'serving' line: %v; stderr:\n%s (exit: %v)", err, stderr.String(), <-done)
	}
	var serving struct{ URL string }
	if err := json.Unmarshal([]byte(line), &serving); err != nil {
		t.Fatal(err)
	}

	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", serving.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(path, "/events") {
			// The stream does not end: read up to the first track.
			return resp, firstTrack(t, resp.Body)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz: %s %q", resp.Status, body)
	}
	if resp, body := get("/"); resp.StatusCode != 200 || !strings.Contains(body, "Now playing") {
		t.Errorf("/: %s, no 'Now playing' in\n%s", resp.Status, body)
	}
	if _, data := get("/events?prefix=sigur"); !strings.Contains(data, `"artist":"Sigur Rós"`) {
		t.Errorf("/events?prefix=sigur: first track %s, want one by Sigur Rós", data)
	}

	stop()
	if err := <-done; err != nil {
		t.Errorf("web: %v", err)
	}
	if stdout.String() != "" {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}

// firstTrack returns the data of the first track event of an event stream.
func firstTrack(t *testing.T, r io.Reader) string {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	track := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "event: track":
			track = true
		case track && strings.HasPrefix(line, "data: "):
			return strings.TrimPrefix(line, "data: ")
		}
	}
	t.Fatalf("event stream ended without a track: %v", sc.Err())
	return ""
}

func TestWebErrors(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"address in use", []string{"--http", taken.Addr().String()}, 1,
			"--http " + taken.Addr().String() + ": address already in use (is another trackfeed web running? choose another address with --http)"},
		{"no port", []string{"--http", "127.0.0.1"}, 2,
			"--http 127.0.0.1: want HOST:PORT to listen on, such as 127.0.0.1:8080 or :8080 (not a URL)"},
		{"a URL", []string{"--http", "http://127.0.0.1:8080/"}, 2,
			"--http http://127.0.0.1:8080/: want HOST:PORT to listen on, such as 127.0.0.1:8080 or :8080 (not a URL)"},
		{"bad endpoint", []string{"--http", "127.0.0.1:0", "-c", "localhost:10001"}, 2,
			`--connect: endpoint "localhost:10001": want tcp://HOST:PORT or ipc://PATH`},
		{"arguments", []string{"the_"}, 2,
			"takes no arguments; give the feed with --connect (see 'trackfeed web --help')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runArgs(t, ctx, nil, append([]string{"web", "--log-level", "error"}, tc.args...)...)
			if r.code != tc.code {
				t.Errorf("exit status %d, want %d", r.code, tc.code)
			}
			if want := "trackfeed: web: " + tc.want + "\n"; r.stderr != want {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, want)
			}
		})
	}
}
