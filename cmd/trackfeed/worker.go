package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/task"
	"github.com/trackfeed/trackfeed/worker"
)

var workerCommand = command{
	name:     "worker",
	synopsis: "[flags] ROOT",
	summary:  "list and read the music under ROOT for a ventilator's clients",
	about: `Worker runs where the music is (on the NAS, on each machine that holds
part of a collection): it takes jobs from a ventilator, lists folders and
reads tags under ROOT, and sends back only the records, so a client far
from the files scans them as fast as the disk allows. Several workers may
serve the same library, on one machine or many; each job goes to one.

--ventilator HOST reaches the ventilator's default fan and sink ports
(10004, 10005); --fan and --sink give other endpoints. A worker reconnects
by itself when the ventilator restarts. No job reaches outside ROOT: paths
with '..', absolute paths and links that lead out of ROOT are refused.
It runs until Ctrl-C or SIGTERM.`,
	examples: `trackfeed worker /srv/music
trackfeed worker --ventilator music.local --jobs 8 /mnt/nas/music
trackfeed worker --fan tcp://10.0.0.2:7004 --sink tcp://10.0.0.2:7005 ~/Music`,
	new: func() commandRunner { return new(workerCmd) },
}

type workerCmd struct {
	cfg   worker.Config
	host  string
	curve curveClient
	log   logFlags
}

func (c *workerCmd) flags(fs *pflag.FlagSet) {
	fs.StringVar(&c.host, "ventilator", "localhost", "the ventilator's `HOST`: its fan and sink on the default ports")
	fs.StringVar(&c.cfg.Fan, "fan", "", "take jobs from `ENDPOINT` (default tcp://HOST:10004)")
	fs.StringVar(&c.cfg.Sink, "sink", "", "send results to `ENDPOINT` (default tcp://HOST:10005)")
	fs.IntVar(&c.cfg.Jobs, "jobs", 0, "work on `N` jobs at once; 0 means one per CPU")
	c.curve.defineServer(fs, "curve-ventilator", "speak CURVE to the ventilator of public `KEY` (its 40 Z85\ncharacters, or a file such as keygen's NAME.pub)")
	c.curve.defineKeys(fs, "with --curve-ventilator, be the client of key pair `NAME`\n(NAME.key and NAME.pub, from trackfeed keygen); default:\na new pair each run, for a ventilator that admits anyone")
	c.log.define(fs)
}

func (c *workerCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) != 1 {
		return usageErrorf("want one ROOT, the folder that holds the music (see 'trackfeed worker --help')")
	}
	if strings.Contains(c.host, "://") || c.host == "" {
		return usageErrorf("--ventilator %q: want a host name or address; give endpoints with --fan and --sink", c.host)
	}
	if c.cfg.Jobs < 0 {
		return usageErrorf("--jobs %d: want 0 or more", c.cfg.Jobs)
	}
	c.cfg.CurveServer, c.cfg.CurveKeys = c.curve.server, c.curve.keys
	if c.cfg.Fan == "" {
		c.cfg.Fan = "tcp://" + net.JoinHostPort(c.host, strconv.Itoa(task.FanPort))
	}
	if c.cfg.Sink == "" {
		c.cfg.Sink = "tcp://" + net.JoinHostPort(c.host, strconv.Itoa(task.SinkPort))
	}
	c.cfg.Root = args[0]
	if _, err := musicFolder(c.cfg.Root, "give the folder that holds the music"); err != nil {
		return err
	}
	var err error
	if c.cfg.Logger, err = c.log.logger(st.stderr); err != nil {
		return err
	}
	w, err := worker.New(c.cfg)
	if err != nil {
		return fmt.Errorf("%w (check --fan and --sink)", err)
	}
	c.cfg.Logger.Info("worker started", "root", c.cfg.Root, "fan", c.cfg.Fan, "sink", c.cfg.Sink)
	err = w.Run(ctx)
	c.cfg.Logger.Info("stopped", "jobs", w.Done())
	return err
}
