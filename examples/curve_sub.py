#!/usr/bin/env python3
"""Print a trackfeed feed over CURVE: curve_sub.py SERVER.pub [ENDPOINT [PREFIX...]].

SERVER.pub is the publisher's public key (trackfeed keygen server; publish
--curve-secret server.key). This client makes a key pair of its own each
run: enough for a publisher that admits any client; for one with
--curve-clients, load a pair it admits instead (see docs/PROTOCOL.md)."""
import signal, sys
import zmq

signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C quits without a traceback
sub = zmq.Context().socket(zmq.SUB)
sub.curve_serverkey = open(sys.argv[1]).read().strip().encode()
sub.curve_publickey, sub.curve_secretkey = zmq.curve_keypair()
sub.connect(sys.argv[2] if len(sys.argv) > 2 else "tcp://localhost:10001")
for prefix in sys.argv[3:] or [""]:  # no prefix: every artist
    sub.setsockopt_string(zmq.SUBSCRIBE, prefix)
while True:
    frames = sub.recv_multipart()
    if len(frames) >= 5:  # skip what is not a trackfeed message; ignore frames past the fifth
        print(" — ".join(f.decode("utf-8", "replace") for f in frames[1:4]), flush=True)
