package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lib")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-n", "50", "--seed", "3", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v (stderr %q)", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "50 files, ") {
		t.Errorf("stdout = %q, want a summary of 50 files", stdout.String())
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if n != 50 {
		t.Errorf("wrote %d files, want 50", n)
	}
}

func TestRunBadArgs(t *testing.T) {
	for _, args := range [][]string{{}, {"a", "b"}, {"--no-such-flag", "x"}, {"-n", "-1", "x"}} {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}
