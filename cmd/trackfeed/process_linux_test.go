package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestScanUnreadableRoot: a library root this user cannot read is named,
// with what to do about it. Root reads any folder, so as root the binary
// runs as nobody (setpriv, from util-linux).
func TestScanUnreadableRoot(t *testing.T) {
	ctx := testContext(t, 60*time.Second)
	base, err := os.MkdirTemp("", "trackfeed-perm-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil { // nobody may walk to it
		t.Fatal(err)
	}
	dir := filepath.Join(base, "Music")
	if err := os.Mkdir(dir, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	bin := buildBinary(t, ctx)
	// The test's own folders are the test's to open to nobody.
	for p := filepath.Dir(bin); strings.HasPrefix(p, os.TempDir()+"/"); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{bin, "scan", dir}
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skipf("running as root, and no setpriv to run as nobody: %v", err)
		}
		for p := filepath.Dir(bin); p != "/"; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
				t.Skipf("nobody cannot reach the test binary (%s is %v)", p, fi.Mode().Perm())
			}
		}
		args = append([]string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	want := "trackfeed: scan: " + dir + ": permission denied (let this user read it: chmod -R o+rX " + shellQuote(dir) + "; or run as a user who can)\n"
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 || stderr.String() != want {
		t.Errorf("%v, stderr %q; want exit status 1, %q", err, stderr.String(), want)
	}
}
