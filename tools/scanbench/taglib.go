//go:build linux

package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed taglib/taglib_reader.cpp
var taglibReaderSource []byte

// buildTagLibReader compiles taglib_reader.cpp into dir and returns the
// program's path.
func buildTagLibReader(ctx context.Context, dir string) (string, error) {
	flags, err := exec.CommandContext(ctx, "pkg-config", "--cflags", "--libs", "taglib").Output()
	if err != nil {
		return "", fmt.Errorf("pkg-config taglib: %w (install TagLib with `apt-get install -y libtag1-dev`, or pass --taglib=false)", err)
	}
	src := filepath.Join(dir, "taglib_reader.cpp")
	if err := os.WriteFile(src, taglibReaderSource, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "taglib_reader")
	args := append([]string{"-O2", "-std=c++17", "-o", bin, src}, strings.Fields(string(flags))...)
	args = append(args, "-pthread")
	cmd := exec.CommandContext(ctx, "c++", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("c++ %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return bin, nil
}

// runTagLib runs the reader once over root and returns how many files it
// read and what that cost, as the reader measured it (so the process's
// start is not counted).
func runTagLib(ctx context.Context, bin, root string, threads int) (int, cost, error) {
	out, err := exec.CommandContext(ctx, bin, root, strconv.Itoa(threads)).Output()
	if err != nil {
		return 0, cost{}, fmt.Errorf("%s: %w", bin, err)
	}
	fields := strings.Fields(string(out))
	bad := fmt.Errorf("%s printed %q, want five numbers: files, tagged, seconds, CPU seconds, checksum", bin, out)
	if len(fields) != 5 {
		return 0, cost{}, bad
	}
	files, err1 := strconv.Atoi(fields[0])
	secs, err2 := strconv.ParseFloat(fields[2], 64)
	cpu, err3 := strconv.ParseFloat(fields[3], 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, cost{}, bad
	}
	return files, cost{wall: time.Duration(secs * float64(time.Second)), cpu: time.Duration(cpu * float64(time.Second))}, nil
}
