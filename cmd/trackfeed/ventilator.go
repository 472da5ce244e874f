package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/ventilator"
)

var ventilatorCommand = command{
	name:     "ventilator",
	synopsis: "[flags]",
	summary:  "hand scan jobs from clients to workers, and results back",
	about: `Ventilator is the broker of the task system: clients (scan --ventilator,
publish --ventilator) send it jobs on --control, workers ('trackfeed worker',
run where the music is) take them from --fan and send results to --sink,
and the ventilator passes each result back to the client that asked. A job
whose worker dies or goes silent for --job-timeout goes to another worker;
a client that leaves takes its jobs with it. It runs until Ctrl-C or
SIGTERM. The protocol is in docs/PROTOCOL.md.`,
	examples: `trackfeed ventilator
trackfeed ventilator --control tcp://*:7003 --fan tcp://*:7004 --sink tcp://*:7005
trackfeed worker --ventilator nas.local /srv/music     # on the NAS
trackfeed scan --ventilator tcp://nas.local:10003      # anywhere`,
	new: func() commandRunner { return new(ventilatorCmd) },
}

type ventilatorCmd struct {
	cfg ventilator.Config
	log logFlags
}

func (c *ventilatorCmd) flags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.cfg.Control, "control", []string{ventilator.DefaultControl}, "take clients' jobs on `ENDPOINT` (ROUTER); repeatable")
	fs.StringSliceVar(&c.cfg.Fan, "fan", []string{ventilator.DefaultFan}, "hand jobs to workers on `ENDPOINT` (PUSH); repeatable")
	fs.StringSliceVar(&c.cfg.Sink, "sink", []string{ventilator.DefaultSink}, "take workers' results on `ENDPOINT` (SUB); repeatable")
	fs.DurationVar(&c.cfg.JobTimeout, "job-timeout", ventilator.DefaultJobTimeout, "hand a job to another worker after `DURATION` without its result")
	fs.Var(serverKeyFlag{&c.cfg.Curve}, "curve-secret", "speak CURVE only, on all three sockets, with the secret key\nof `FILE` (trackfeed keygen's NAME.key); clients and workers\nneed NAME.pub (--curve-ventilator)")
	fs.Var(allowlistFlag{&c.cfg.CurveAdmit}, "curve-clients", "with --curve-secret, admit only the client and worker keys\nof `PATH`: a file of keys, one a line, or a folder of .pub\nfiles; read again when it changes")
	c.log.define(fs)
}

func (c *ventilatorCmd) run(ctx context.Context, st stdio, args []string) error {
	if len(args) != 0 {
		return usageErrorf("takes no arguments, only flags (see 'trackfeed ventilator --help')")
	}
	if c.cfg.JobTimeout <= 0 {
		return usageErrorf("--job-timeout %v: want more than 0", c.cfg.JobTimeout)
	}
	if err := checkCurveServer(c.cfg.Curve, c.cfg.CurveAdmit, "curve-secret", "curve-clients"); err != nil {
		return err
	}
	var err error
	if c.cfg.Logger, err = c.log.logger(st.stderr); err != nil {
		return err
	}
	v, err := ventilator.New(c.cfg)
	if err != nil {
		var bind *ventilator.BindError
		if errors.As(err, &bind) && errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%w (is another ventilator running? choose another port with --%s)", err, bind.Socket)
		}
		return err
	}
	control, fan, sink := v.Endpoints()
	c.cfg.Logger.Info("ventilator ready", "control", strings.Join(control, ","), "fan", strings.Join(fan, ","), "sink", strings.Join(sink, ","))
	err = v.Run(ctx)
	c.cfg.Logger.Info("stopped")
	return err
}
