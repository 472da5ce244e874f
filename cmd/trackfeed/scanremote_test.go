package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

// TestScanThroughVentilator: scan --ventilator prints what scan prints of
// the same folder, and publish --ventilator plays it until stopped, each
// ending every goroutine it started (TestMain checks).
func TestScanThroughVentilator(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	music := writeMusic(t, streetsAndCure...)
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, music, worker.Config{Jobs: 1})
	v.WaitWorkers(t, 1)

	local := runArgs(t, ctx, nil, "scan", "-v", music)
	for _, endpoint := range []string{v.Control, strings.TrimPrefix(v.Control, "tcp://")} {
		remote := runArgs(t, ctx, nil, "scan", "-v", "--ventilator", endpoint)
		if remote.code != 0 || remote.stdout != local.stdout || remote.stderr != local.stderr {
			t.Errorf("scan --ventilator %s: status %d\n%s%s\nwant\n%s%s", endpoint, remote.code, remote.stdout, remote.stderr, local.stdout, local.stderr)
		}
	}

	pctx, stop := context.WithCancel(ctx)
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(pctx, []string{"publish", "--ventilator", v.Control, "--bind", "tcp://127.0.0.1:0", "--query", "",
			"--no-cache", "--log-format", "json"}, &syncBuffer{}, &stderr, mapEnv(nil))
	}()
	if _, err := stderr.waitFor(ctx, func(l string) bool { return strings.Contains(l, `"msg":"scanned library"`) }); err != nil {
		t.Fatalf("publish --ventilator: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "3 tracks, 2 artists") {
		t.Errorf("publish --ventilator logged:\n%s", stderr.String())
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("publish --ventilator: %v", err)
	}
}
