package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/publisher"
)

// errHelpShown ends a command whose help was asked for and printed.
var errHelpShown = errors.New("help shown")

// newFlagSet makes the flag set of cmd, bound to r's fields. It prints
// nothing itself: parseFlags and help decide what to show, and where.
func newFlagSet(cmd command, r commandRunner, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(cmd.name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	fs.SortFlags = false
	r.flags(fs)
	return fs
}

// parseFlags parses args for cmd, then fills each flag not given on the
// command line from its environment variable (envName). It returns the
// arguments left, or errHelpShown after printing help for --help.
func parseFlags(cmd command, r commandRunner, args []string, st stdio) ([]string, error) {
	fs := newFlagSet(cmd, r, st.stderr)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		writeHelp(st.stdout, cmd, fs)
		return nil, errHelpShown
	case err != nil:
		var iv *pflag.InvalidValueError
		if errors.As(err, &iv) && isSecret(iv.GetFlag()) {
			err = fmt.Errorf("--%s: %v", iv.GetFlag().Name, iv.Unwrap()) // not the value: a key
		}
		return nil, usageErrorf("%v (see 'trackfeed %s --help')", err, cmd.name)
	}
	if err := applyEnv(fs, st.getenv); err != nil {
		return nil, usageErrorf("%v (see 'trackfeed %s --help')", err, cmd.name)
	}
	return fs.Args(), nil
}

// envName is the environment variable that stands in for a flag:
// --max-subscribers reads TRACKFEED_MAX_SUBSCRIBERS.
func envName(flag string) string {
	return "TRACKFEED_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// envAnnotation, set on a flag with SetAnnotation, names its environment
// variable when envName would give the wrong one: query's --connect reads
// TRACKFEED_QUERY, since TRACKFEED_CONNECT is subscribe's feed endpoint.
const envAnnotation = "trackfeed-env"

// flagEnv is the environment variable that stands in for f.
func flagEnv(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return envName(f.Name)
}

// applyEnv sets every flag that the command line left alone from its
// environment variable, if that is set and not empty. Repeatable flags take
// a comma-separated list.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := flagEnv(f)
		v := getenv(name)
		if v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			if cause := errors.Unwrap(e); cause != nil {
				e = cause // pflag's wrapping names the flag, not the variable
			}
			if isSecret(f) {
				err = fmt.Errorf("%s: %v", name, e) // not the value: a key
				return
			}
			err = fmt.Errorf("%s=%q: %v", name, v, e)
		}
	})
	return err
}

// writeHelp prints cmd's usage line, description, flags and examples.
func writeHelp(w io.Writer, cmd command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace("trackfeed "+cmd.name+" "+cmd.synopsis), strings.TrimSpace(cmd.about))

	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		varname, usage := pflag.UnquoteUsage(f)
		left := "    --" + f.Name
		if f.Shorthand != "" {
			left = "-" + f.Shorthand + ", --" + f.Name
		}
		if varname != "" && f.Value.Type() != "bool" {
			left += " " + strings.ToUpper(varname)
		}
		last := "env " + flagEnv(f)
		if d := defaultText(f); d != "" {
			last = "default " + d + ", " + last
		}
		usage += "\n" + last
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	if len(rows) > 0 {
		fmt.Fprint(w, "\nFlags (an environment variable stands in for each flag not given):\n")
		for _, r := range rows {
			for i, line := range strings.Split(r.usage, "\n") {
				left := ""
				if i == 0 {
					left = r.left
				}
				fmt.Fprintf(w, "  %-*s  %s\n", width, left, line)
			}
		}
	}
	if cmd.examples != "" {
		fmt.Fprint(w, "\nExamples:\n")
		for _, line := range strings.Split(strings.TrimSpace(cmd.examples), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// defaultText is a flag's default as help shows it, or "" for a zero value
// (whose meaning the usage text gives).
func defaultText(f *pflag.Flag) string {
	switch d := f.DefValue; d {
	case "", "0", "0s", "false", "[]":
		return ""
	default:
		return strings.TrimSuffix(strings.TrimPrefix(d, "["), "]")
	}
}

// logFlags are the flags of the commands that log.
type logFlags struct {
	level  string
	format string
}

func (l *logFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "info", "log `LEVEL`: debug, info, warn or error")
	fs.StringVar(&l.format, "log-format", "text", "log `FORMAT`: text, or json for machines")
}

// defineQuiet is define for a command whose output scripts read: with no
// --log-level, it logs at info on a terminal and only warnings when its
// stdout is not one (logger's quiet).
func (l *logFlags) defineQuiet(fs *pflag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "", "log `LEVEL`: debug, info, warn or error;\ndefault: info when stdout is a terminal, else warn")
	fs.StringVar(&l.format, "log-format", "text", "log `FORMAT`: text, or json for machines")
}

// logger makes the slog.Logger that the flags ask for, writing to w.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	return l.loggerQuiet(w, false)
}

// loggerQuiet is logger; with no --log-level (defineQuiet), quiet makes
// it log warnings and errors only.
func (l *logFlags) loggerQuiet(w io.Writer, quiet bool) (*slog.Logger, error) {
	var level slog.Level
	switch {
	case l.level == "" && quiet:
		level = slog.LevelWarn
	case l.level == "":
	case level.UnmarshalText([]byte(l.level)) != nil:
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", l.format)
}

// checkPublishFlags checks the numbers a publisher takes from its flags,
// and turns --interval 0 into publisher.Unpaced. Unlike libzmq's, an --hwm
// of 0 cannot mean "no limit": the publisher reads 0 as its default.
func checkPublishFlags(cfg *publisher.Config) error {
	if err := checkBind("bind", cfg.Bind...); err != nil {
		return err
	}
	if err := checkBind("query", cfg.Query...); err != nil {
		return err
	}
	switch {
	case cfg.Interval < 0:
		return usageErrorf("--interval %v: want 0 (as fast as possible) or more", cfg.Interval)
	case cfg.Interval == 0 && cfg.Pace == publisher.PaceReal:
		return usageErrorf("--interval 0 with --pace real: give the interval a track of unknown duration takes, such as 2s")
	case cfg.Interval == 0:
		cfg.Interval = publisher.Unpaced
	}
	for _, f := range []struct {
		name   string
		v, min int
	}{{"--hwm", cfg.HWM, 1}, {"--max-subscribers", cfg.MaxSubscribers, 1}, {"--workers", cfg.Workers, 0}} {
		if f.v < f.min {
			return usageErrorf("%s %d: want %d or more", f.name, f.v, f.min)
		}
	}
	return nil
}

// seedFlag is a shuffle seed: 1 or more (the publisher reads 0 as "pick
// one at random").
type seedFlag uint64

func (s *seedFlag) String() string {
	if *s == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(*s), 10)
}

func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return errors.New("want a whole number, 1 or more")
	}
	*s = seedFlag(n)
	return nil
}

func (s *seedFlag) Type() string { return "uint" }

// checkConnect checks the endpoints given with --flag, which connects: a
// malformed one is a usage error (exit 2), found before anything starts,
// with an example of an address to connect to.
func checkConnect(flag string, endpoints ...string) error {
	return checkEndpoints(flag, "tcp://localhost:10001", endpoints)
}

// checkBind is checkConnect for a flag that binds.
func checkBind(flag string, endpoints ...string) error {
	return checkEndpoints(flag, "tcp://*:10001 (every interface) or tcp://127.0.0.1:10001", endpoints)
}

func checkEndpoints(flag, example string, endpoints []string) error {
	for _, ep := range endpoints {
		_, _, err := zmtp.ParseEndpoint(ep)
		switch {
		case errors.Is(err, zmtp.ErrHostPort):
			return usageErrorf("--%s: %v, e.g. %s", flag, err, example)
		case err != nil:
			return usageErrorf("--%s: %v", flag, err)
		}
	}
	return nil
}

// check reads publish's flags that need parsing into its config, and
// checks the rest, before anything starts.
func (c *publishCmd) check() error {
	cfg := &c.cfg
	var ok bool
	if cfg.Order, ok = publisher.ParseOrder(c.order); !ok {
		return usageErrorf("--order %q: want shuffle or sequential", c.order)
	}
	if cfg.Pace, ok = publisher.ParsePace(c.pace); !ok {
		return usageErrorf("--pace %q: want interval or real", c.pace)
	}
	if err := checkPublishFlags(cfg); err != nil {
		return err
	}
	if err := checkStationFlags(cfg); err != nil {
		return err
	}
	cfg.ConnectCurveKeys = c.remote.curve.keys
	if c.remote.curve.keys == nil {
		c.remote.curve.keys = cfg.Curve
	}
	return nil
}
