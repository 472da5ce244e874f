//go:build linux

package main

import (
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestVentilatorPeak runs the memory benchmark's measurement once on a
// small library: a ventilator process serves the whole scan, and its
// memory is read.
func TestVentilatorPeak(t *testing.T) {
	dir := t.TempDir()
	bin, err := buildTrackfeed(dir)
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "lib")
	if _, err := librarytest.WriteLibrary(lib, 120, 1); err != nil {
		t.Fatal(err)
	}
	idle, peak, _, files, err := ventilatorPeak(bin, lib)
	if err != nil {
		t.Fatal(err)
	}
	if files != 120 {
		t.Errorf("the scan counted %d files, want 120", files)
	}
	if idle <= 0 || peak < idle {
		t.Errorf("idle %d bytes, peak %d: want 0 < idle <= peak", idle, peak)
	}
}
