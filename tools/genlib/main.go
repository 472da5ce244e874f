// Command genlib writes a synthetic music library for benchmarks; see
// librarytest.WriteLibrary for what it holds.
//
//	go run ./tools/genlib -n 20000 DIR
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "genlib:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	flags := pflag.NewFlagSet("genlib", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	n := flags.IntP("files", "n", 20000, "how many files to write")
	seed := flags.Uint64("seed", 1, "the seed of every random choice; the same seed writes the same files")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: genlib [-n FILES] [--seed N] DIR")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		flags.Usage()
		return errors.New("want one folder to write to")
	}
	st, err := librarytest.WriteLibrary(flags.Arg(0), *n, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d files, %.1f MB: %d ID3v2.3 (%d unsynchronised), %d ID3v2.4, %d ID3v1 only, "+
		"%d untagged, %d with an ID3v1 tail too, %d covers, %d empty, %d truncated\n",
		st.Files, float64(st.Bytes)/1e6, st.ID3v23, st.Unsynchronised, st.ID3v24, st.ID3v1Only,
		st.Untagged, st.WithID3v1, st.Covers, st.Empty, st.Truncated)
	return nil
}
