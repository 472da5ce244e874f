"""A pyzmq SUB for the interop tests.

    sub.py [--heartbeat IVL_MS TIMEOUT_MS] [--monitor]
           [--curve-server PUBLIC [--curve-keys PUBLIC SECRET]] ENDPOINT [PREFIX...]

Prints one JSON object a line on stdout: {"frames": [hex...], "text": [the
first four frames decoded as UTF-8], "meta": frame 4 parsed as JSON} for each
message ("error" says what did not decode), {"event": NAME} for each socket
monitor event with --monitor. Reads commands from stdin, one a line, and
answers each with {"ok": COMMAND}: "sub PREFIX", "unsub PREFIX". Exits when
stdin is closed.
"""
import argparse
import json
import os
import sys

import zmq
from zmq.utils.monitor import recv_monitor_message

from options import joined


def out(obj):
    print(json.dumps(obj), flush=True)


def describe(frames):
    d = {"frames": [f.hex() for f in frames]}
    try:
        d["text"] = [f.decode("utf-8") for f in frames[:4]]
        if len(frames) >= 5:
            d["meta"] = json.loads(frames[4].decode("utf-8"))
    except ValueError as e:  # UnicodeDecodeError and JSONDecodeError both are
        d["error"] = str(e)
    return d


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--heartbeat", nargs=2, type=int, metavar=("IVL_MS", "TIMEOUT_MS"))
    p.add_argument("--monitor", action="store_true")
    p.add_argument("--curve-server", metavar="PUBLIC", help="speak CURVE, as a client of the server of this Z85 public key" if "sub" == "sub" else None)
    p.add_argument("--curve-secret", metavar="SECRET", help="speak CURVE, as the server of this Z85 secret key")
    p.add_argument("--curve-keys", type=lambda v: v.split(","), metavar="PUBLIC SECRET", help="with --curve-server, the client's key pair (default: a new one)")
    p.add_argument("endpoint")
    p.add_argument("prefixes", nargs="*")
    args = p.parse_args(joined(sys.argv[1:], {"--curve-server": 1, "--curve-secret": 1, "--curve-keys": 2}))

    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.linger = 0
    if args.curve_server:
        public, secret = zmq.curve_keypair()
        if args.curve_keys:
            public, secret = (k.encode() for k in args.curve_keys)
        sub.curve_serverkey = args.curve_server.encode()
        sub.curve_publickey, sub.curve_secretkey = public, secret
    if args.heartbeat:
        sub.heartbeat_ivl, sub.heartbeat_timeout = args.heartbeat
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    mon = None
    if args.monitor:
        mon = sub.get_monitor_socket()
        poller.register(mon, zmq.POLLIN)
    poller.register(0, zmq.POLLIN)  # stdin
    sub.connect(args.endpoint)
    for prefix in args.prefixes:
        sub.subscribe(prefix)

    pending = b""
    while True:
        for s, _ in poller.poll():
            if s is sub:
                msg = sub.recv_multipart(copy=False)
                d = describe([f.bytes for f in msg])
                try:
                    d["query"] = msg[0].get("X-Query")  # the publisher's handshake names its query socket
                except zmq.ZMQError:
                    pass  # a peer that names none
                out(d)
            elif s is mon:
                out({"event": zmq.Event(recv_monitor_message(mon)["event"]).name})
            else:
                data = os.read(0, 4096)
                if not data:
                    return
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    cmd, _, arg = line.decode().partition(" ")
                    if cmd == "sub":
                        sub.subscribe(arg)
                    elif cmd == "unsub":
                        sub.unsubscribe(arg)
                    else:
                        sys.exit("sub.py: unknown command %r" % line)
                    out({"ok": line.decode()})


if __name__ == "__main__":
    main()
