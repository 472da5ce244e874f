package main

import (
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// announceOpen says in one line, at start-up, which of binds are open to
// every interface, and how to try one from another machine: publish binds
// tcp://*:PORT by default, where web keeps to 127.0.0.1.
func announceOpen(log *slog.Logger, what string, binds []string) {
	for _, ep := range binds {
		network, addr, err := zmtp.ParseEndpoint(ep)
		if err != nil || network != "tcp" {
			continue
		}
		host, port, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			continue
		}
		name, err := os.Hostname()
		if err != nil || name == "" || strings.ContainsAny(name, " /") {
			name = "THIS-HOST"
		}
		log.Info(what+" is open on every interface of this machine; from another one, try: trackfeed subscribe -c tcp://"+net.JoinHostPort(name, port), "bind", ep)
		return
	}
}
