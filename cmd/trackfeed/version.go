package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"
)

var versionCommand = command{
	name:     "version",
	synopsis: "",
	summary:  "print trackfeed's version and the Go version that built it",
	about: `Version prints the module version trackfeed was installed at (or the
version control revision it was built from) and the Go version that built it.`,
	examples: `trackfeed version`,
	new:      func() commandRunner { return versionCmd{} },
}

type versionCmd struct{}

func (versionCmd) flags(*pflag.FlagSet) {}

func (versionCmd) run(_ context.Context, st stdio, args []string) error {
	if len(args) > 0 {
		return usageErrorf("takes no arguments (see 'trackfeed version --help')")
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	_, err := fmt.Fprintln(st.stdout, versionLine(info))
	return endOfOutput(err)
}

// versionLine describes the build: "trackfeed v1.2.0 go1.26.8 linux/amd64",
// with the revision instead of a version for a build from a checkout
// ("trackfeed devel 1a2b3c4d5e6f+dirty ...").
func versionLine(info *debug.BuildInfo) string {
	version, goVersion := "devel", runtime.Version()
	if info != nil {
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		switch v := info.Main.Version; {
		case v != "" && v != "(devel)":
			version = v
		case rev != "":
			version = "devel " + rev[:min(12, len(rev))]
			if modified == "true" {
				version += "+dirty"
			}
		}
	}
	return fmt.Sprintf("trackfeed %s %s %s/%s", version, goVersion, runtime.GOOS, runtime.GOARCH)
}
