package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/task"
)

// remoteFlags are the flags of the commands that can read their library
// through a ventilator's workers (scan, publish).
type remoteFlags struct {
	ventilator string
	timeout    time.Duration
	curve      curveClient // the ventilator's key, and this client's
}

func (r *remoteFlags) define(fs *pflag.FlagSet) {
	fs.StringVar(&r.ventilator, "ventilator", "", "read the library through the workers of the ventilator at\n`ENDPOINT` (tcp://HOST:10003, or just HOST); FOLDER is then\nrelative to the workers' ROOT, default all of it")
	fs.DurationVar(&r.timeout, "timeout", remote.DefaultTimeout, "with --ventilator: give up after `DURATION` without a result")
	r.curve.defineServer(fs, "curve-ventilator", "with --ventilator: speak CURVE to the ventilator of\npublic `KEY` (its 40 Z85 characters, or a file such as\nkeygen's NAME.pub)")
}

// endpoint is the ventilator's control endpoint: HOST:PORT means
// tcp://HOST:PORT, and HOST alone the default port.
func (r *remoteFlags) endpoint() string {
	if strings.Contains(r.ventilator, "://") {
		return r.ventilator
	}
	if _, _, err := net.SplitHostPort(r.ventilator); err == nil {
		return "tcp://" + r.ventilator
	}
	return "tcp://" + net.JoinHostPort(r.ventilator, strconv.Itoa(task.ControlPort))
}

// folderArg is the FOLDER argument of a remote scan: none means all.
func (r *remoteFlags) folderArg(args []string, command string) (string, error) {
	switch {
	case r.timeout <= 0:
		return "", usageErrorf("--timeout %v: want more than 0", r.timeout)
	case len(args) > 1:
		return "", usageErrorf("want at most one FOLDER, relative to the workers' ROOT (see 'trackfeed %s --help')", command)
	case len(args) == 0:
		return ".", nil
	}
	if err := task.CheckPath(strings.TrimSuffix(args[0], "/")); err != nil && args[0] != "" {
		return "", usageErrorf("FOLDER %q: want a path relative to the workers' ROOT, with no '..'", args[0])
	}
	return args[0], nil
}

// scanner returns a scan through the ventilator that tells the user,
// through say, when it waits for workers.
func (r *remoteFlags) scanner(folder string, say func(string)) scanFunc {
	endpoint := r.endpoint()
	return func(ctx context.Context, opts library.Options) (*library.Library, error) {
		lib, err := remote.Scan(ctx, endpoint, folder, remote.Options{
			Library:     opts,
			Timeout:     r.timeout,
			CurveServer: r.curve.server,
			CurveKeys:   r.curve.keys,
			OnWaiting: func(fan string) {
				say(fmt.Sprintf("waiting for workers on %s (start one where the music is: trackfeed worker --ventilator HOST ROOT)", fan))
			},
		})
		return lib, remoteHint(err)
	}
}

// remoteHint adds to a remote scan's error the command or flag to try.
func remoteHint(err error) error {
	var (
		nw *remote.NoWorkersError
		na *remote.NoAnswerError
		cr *curve.RefusedError
	)
	switch {
	case errors.As(err, &cr):
		return fmt.Errorf("%w (give a key pair the ventilator admits with --curve-key)", err)
	case errors.As(err, &nw):
		return fmt.Errorf("%w; start a worker where the music is: trackfeed worker --ventilator HOST ROOT", err)
	case errors.As(err, &na):
		return fmt.Errorf("%w (is 'trackfeed ventilator' running there? check --ventilator)", err)
	}
	return err
}

// scanFunc scans a library, locally or through a ventilator.
type scanFunc func(context.Context, library.Options) (*library.Library, error)

// scanner returns what scan reads and how: DIR here, or FOLDER through
// the ventilator's workers, telling log when it waits for them.
func (c *scanCmd) scanner(args []string, log io.Writer) (string, scanFunc, error) {
	if c.remote.ventilator != "" {
		folder, err := c.remote.folderArg(args, "scan")
		if err != nil {
			return "", nil, err
		}
		say := func(s string) { fmt.Fprintln(log, "trackfeed: scan:", s) }
		return folder, c.remote.scanner(folder, say), nil
	}
	if len(args) != 1 {
		return "", nil, usageErrorf("want one DIR, the folder to scan (see 'trackfeed scan --help')")
	}
	fsys, err := musicFolder(args[0], "give the path to your music")
	if err != nil {
		return "", nil, err
	}
	return args[0], func(ctx context.Context, opts library.Options) (*library.Library, error) {
		return library.Scan(ctx, fsys, opts)
	}, nil
}
