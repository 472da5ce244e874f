// Command trackfeed publishes a music library as a ZeroMQ feed of tracks and
// subscribes to such feeds. Run 'trackfeed help' for its commands; start
// with 'go run ./cmd/trackfeed demo' from the repository root.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			// A second Ctrl-C kills at once.
			signal.Stop(sigs)
			cancel(signalled{s.(syscall.Signal)})
		case <-done:
			return
		}
		// run ends every goroutine before it returns, and that can wait on
		// the world: a write to a stdout that nobody reads, or a publisher
		// flushing to a subscriber that stopped reading (it gives such a
		// peer up to its 30s write timeout). After a signal, the process
		// ends on time all the same. Nothing is printed: stderr may be the
		// stuck pipe.
		time.AfterFunc(stopGrace, func() { os.Exit(0) })
	}()
	// Writes to a closed pipe fail with EPIPE instead of killing the
	// process, so 'trackfeed subscribe | head -1' ends with status 0.
	signal.Ignore(syscall.SIGPIPE)

	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	close(done)
	os.Exit(report(os.Stderr, err))
}

// signalled is the cause of run's context when a signal stops it.
type signalled struct{ sig syscall.Signal }

func (s signalled) Error() string        { return s.sig.String() + " signal received" }
func (s signalled) Is(target error) bool { return target == context.Canceled }

// interrupted is the error of a command that a signal cut off before it
// finished (a scan, a query, subscribe --count): status 130 for SIGINT,
// 143 for SIGTERM, as a shell reports them, and nothing printed. Commands
// that run until stopped return nil instead: their stop is the end.
func interrupted(ctx context.Context) error {
	sig := syscall.SIGINT
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		sig = s.sig
	}
	return &exitError{code: 128 + int(sig)}
}

// stopGrace is how long main waits for run to return after SIGINT or
// SIGTERM: within the second a service manager or a user expects.
const stopGrace = 750 * time.Millisecond

// run runs the trackfeed command line args (without the program name),
// printing data on stdout and everything else on stderr, and reading the
// environment through getenv. When ctx is cancelled it returns nil, or
// interrupted(ctx) if the command had not finished.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	return runWith(ctx, args, stdio{stdout: stdout, stderr: stderr, getenv: getenv, progressDelay: progressDelay})
}

// runWith is run with every setting of the process in st.
func runWith(ctx context.Context, args []string, st stdio) error {
	stdout, stderr := st.stdout, st.stderr
	if len(args) == 0 {
		writeUsage(stderr)
		return &exitError{code: 2}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "--help":
		writeUsage(stdout)
		return nil
	case "--version":
		name = "version"
	}
	if strings.HasPrefix(name, "-") {
		return usageErrorf("unknown flag %s: flags go after the command (run 'trackfeed help')", name)
	}
	cmd, ok := lookup(name)
	if !ok {
		return usageErrorf("unknown command %q (run 'trackfeed help')", name)
	}
	c := cmd.new()
	args, err := parseFlags(cmd, c, rest, st)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	if err == nil {
		err = c.run(ctx, st, args)
	}
	if err != nil {
		return prefix(name, err)
	}
	return nil
}

// stdio is the outside world a command sees.
type stdio struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// progressDelay is how long a scan must take for its spinner to show.
	progressDelay time.Duration
}

// commandRunner is one invocation of a command: flags binds its fields to
// the flag set, run runs it with the arguments left after the flags.
type commandRunner interface {
	flags(fs *pflag.FlagSet)
	run(ctx context.Context, st stdio, args []string) error
}

// command describes a subcommand for dispatch and help.
type command struct {
	name     string
	synopsis string // what follows "trackfeed NAME" in the usage line
	summary  string // one line for the list of commands
	about    string // what the command does, for its help
	examples string // shown under "Examples:", one command a line
	new      func() commandRunner
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		demoCommand,
		publishCommand,
		subscribeCommand,
		queryCommand,
		relayCommand,
		webCommand,
		scanCommand,
		keygenCommand,
		ventilatorCommand,
		workerCommand,
		versionCommand,
		helpCommand,
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// writeUsage prints the top-level usage.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, `trackfeed broadcasts a music library as a feed of tracks over ZeroMQ,
and prints the tracks of such a feed as they arrive.

Usage:
  trackfeed COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s  %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Start here (from the repository root):
  go run ./cmd/trackfeed demo

Run 'trackfeed help COMMAND' (or 'trackfeed COMMAND --help') for a command's
flags, environment variables and examples.
`)
}

// exitError is an error with its own exit status. With a nil err nothing
// more is printed (the usage already said it).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a command line that cannot be run as given (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// prefix puts the command's name before err's message, keeping its status.
func prefix(name string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return err
		}
		return &exitError{code: ee.code, err: fmt.Errorf("%s: %w", name, ee.err)}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// report prints err on one line to stderr and returns the exit status for it.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintln(stderr, "trackfeed:", err)
	return code
}
