package main

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestProcessStuckReader stops a subscribe whose stdout nobody reads, and
// a publish sending to it as fast as it can: both must end with status 0
// within a second of SIGTERM, though subscribe cannot finish its write.
// (Whether the publisher is stuck too depends on how far it has filled the
// connection's buffers when the signal comes: by hand, after a fraction of
// a second, it waits on its 30s write timeout without main's stopGrace.)
func TestProcessStuckReader(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	bin := buildBinary(t, ctx)
	music := writeMusic(t, streetsAndCure...)
	pub, pubLog := start(t, ctx, bin, "publish", "--bind", "tcp://127.0.0.1:0", "--query", "tcp://127.0.0.1:0", "--interval", "0", "--log-format", "json", music)
	ep := publishedEndpoint(t, ctx, pubLog)

	// trackfeed subscribe | a reader that never reads
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, bin, "subscribe", "--connect", ep)
	cmd.Stdout = w
	sub, _ := startCmd(t, cmd)
	w.Close()

	// Wait for the pipe to fill up: subscribe is then blocked writing, and
	// the publisher soon after, once the connection's buffers are full.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for pipeBuffered(t, r) < 60000 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the pipe did not fill: %d bytes", pipeBuffered(t, r))
		}
	}
	// The publisher first, while its subscriber is still stuck.
	pub.stopWithin(t, syscall.SIGTERM, time.Second)
	sub.stopWithin(t, syscall.SIGTERM, time.Second)
}

// pipeBuffered is how many bytes wait in the pipe r.
func pipeBuffered(t *testing.T, r *os.File) int {
	var n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("ioctl TIOCINQ (FIONREAD): %v", errno)
	}
	return int(n)
}
