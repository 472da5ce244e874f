#!/usr/bin/env python3
"""Print a trackfeed feed: subscribe.py [ENDPOINT [PREFIX...]] (see docs/PROTOCOL.md)."""
import signal, sys
import zmq

signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C quits without a traceback
sub = zmq.Context().socket(zmq.SUB)
sub.connect(sys.argv[1] if len(sys.argv) > 1 else "tcp://localhost:10001")
for prefix in sys.argv[2:] or [""]:  # no prefix: every artist
    sub.setsockopt_string(zmq.SUBSCRIBE, prefix)
while True:
    frames = sub.recv_multipart()
    if len(frames) >= 5:  # skip what is not a trackfeed message; ignore frames past the fifth
        print(" — ".join(f.decode("utf-8", "replace") for f in frames[1:4]), flush=True)
