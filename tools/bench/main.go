//go:build linux

// Command bench measures trackfeed's publisher against a libzmq PUB socket,
// side by side in one run, and prints a Markdown table for BENCHMARKS.md:
//
//	go run ./tools/bench [broadcast|receive|latency|relay|fanout|tree|idle|curve|all] [flags]
//
// broadcast: messages/s each subscriber receives from a publisher sending
// as fast as it can, with 1 and 10 subscribers. receive: messages/s one
// receiver takes from a libzmq PUB sending as fast as it can: a raw
// internal/zmtp reader and subscriber.Run against a libzmq SUB. relay:
// p50 and p99 at 10 msg/s, 10 subscribers, through a trackfeed relay and
// through libzmq's proxy, and with nothing in between. tree: 10,000 raw
// subscribers, half of them subscribed to "the_" only, under 4 relays (or
// 4 libzmq proxies) under one publisher, at 10 msg/s, the same receivers
// for both: latency, publisher CPU, the hops' CPU and memory per
// subscriber, and whether every subscriber got every message it asked for
// (not part of all: it takes a while). latency: p50 and p99 from
// "sent" to receipt at 10 and 10,000 msg/s, 10 subscribers. fanout: p99 and
// publisher CPU with 1,000 subscribers at 10 msg/s. idle: publisher CPU at
// 10 msg/s with 10 subscribers. curve (not part of all): broadcast with
// CURVE on both sides against libzmq's CURVE; publisher CPU at 10 msg/s
// under CURVE against NULL; and p99 of 10 subscribers at 10 msg/s while
// 1,000 CURVE clients (raw zmtp readers, -storm-clients) arrive at once.
// Everything runs on 127.0.0.1, on ports the
// kernel picks.
//
// The reference is zmqpeer/zmqpeer.c, built at start with cc and -lzmq (Debian:
// gcc and libzmq3-dev): a libzmq PUB that sends the same five frames as
// trackfeed, JSON built per message, and a libzmq SUB that both publishers
// are measured with. trackfeed's publisher runs in a child process, this
// program re-executed in a hidden mode, so that its CPU time is its own.
//
// Every publisher and subscriber speaks one line protocol on stdin and
// stdout. The publisher prints "endpoint ENDPOINT" and sends a "_warmup"
// message every 10 ms (or at the run's rate, if slower); each subscriber
// prints "ready" once all of its connections have had one; then the
// publisher is told "go", sends for the run's duration, prints its count
// and CPU seconds (getrusage), and sends "_end" as often until its stdin
// closes; each subscriber counts what it got between the two, with
// latencies, and prints one JSON line.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err == nil {
		err = run(ctx, self, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run runs the benchmark command line args (without the program name).
// self is this program, which the benchmark runs again in a hidden mode
// (the first argument starting with "_") for trackfeed's side.
func run(ctx context.Context, self string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case childPub:
			return runPubChild(ctx, args[1:], stdin, stdout)
		case childSub:
			return runSubChild(ctx, args[1:], stdout)
		case childRawSub:
			return runRawSubChild(ctx, args[1:], stdout)
		case childRelay:
			return runRelayChild(ctx, args[1:], stdin, stdout)
		}
	}
	cfg, modes, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if modes == nil {
		return nil // -h
	}
	cfg.self, cfg.args = self, args
	return benchmark(ctx, cfg, modes, stdout, stderr)
}
