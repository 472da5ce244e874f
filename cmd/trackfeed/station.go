package main

import (
	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/publisher"
)

// defineStationFlags adds publish's flags for feeding relays (where to
// connect, the name to give the messages) and for CURVE.
func defineStationFlags(fs *pflag.FlagSet, cfg *publisher.Config) {
	fs.StringSliceVar(&cfg.Connect, "connect", nil, "also feed the relay listening at `ENDPOINT` (relay --listen)\nor the XSUB of a libzmq proxy, reconnecting when it goes;\nrepeatable; with --bind '' only those")
	// Not TRACKFEED_CONNECT: that is where subscribe connects.
	fs.SetAnnotation("connect", envAnnotation, []string{"TRACKFEED_RELAY"})
	fs.StringVar(&cfg.Station, "station", "", "name this publisher `NAME` in every message (the\n\"station\" field, which subscribe --station filters on);\ndefault: the host name")
	fs.Var(serverKeyFlag{&cfg.Curve}, "curve-secret", "speak CURVE only, with the secret key of `FILE`\n(trackfeed keygen's NAME.key); clients need NAME.pub")
	fs.Var(allowlistFlag{&cfg.CurveAdmit}, "curve-clients", "with --curve-secret, admit only the client keys of `PATH`:\na file of keys, one a line, or a folder of .pub files;\nread again when it changes")
	fs.Var(publicKeyFlag{&cfg.ConnectCurve}, "curve-relay", "speak CURVE to the relays of --connect, of public `KEY`\n(their --curve-listen-secret's NAME.pub, or its 40 characters)")
}

// checkStationFlags checks the endpoints of --connect, and the CURVE flags.
func checkStationFlags(cfg *publisher.Config) error {
	if err := checkCurveServer(cfg.Curve, cfg.CurveAdmit, "curve-secret", "curve-clients"); err != nil {
		return err
	}
	switch {
	case cfg.ConnectCurve != nil && len(cfg.Connect) == 0:
		return usageErrorf("--curve-relay is the key of the relays of --connect: give --connect ENDPOINT too")
	case cfg.Curve != nil && len(cfg.Connect) > 0 && cfg.ConnectCurve == nil:
		return usageErrorf("--curve-secret: the feed speaks CURVE only, and would go to the relays of --connect in the clear; give their public key with --curve-relay")
	}
	return checkConnect("connect", cfg.Connect...)
}
