package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestVersionLine(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "trackfeed devel " + runtime.Version() + platform},
		{"go install at a version", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}},
			"trackfeed v1.2.0 go1.26.8" + platform},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.modified", Value: "true"}}},
			"trackfeed devel 1a2b3c4d5e6f+dirty go1.26.8" + platform},
		{"checkout, clean", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.modified", Value: "false"}}},
			"trackfeed devel 1a2b3c4d5e6f go1.26.8" + platform},
	} {
		if got := versionLine(tc.info); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		r := runArgs(t, testContext(t, 10*time.Second), nil, arg)
		if r.err != nil || !strings.HasPrefix(r.stdout, "trackfeed ") || !strings.Contains(r.stdout, runtime.Version()) {
			t.Errorf("%s: err %v, stdout %q", arg, r.err, r.stdout)
		}
	}
}
