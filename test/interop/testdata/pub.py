"""A pyzmq PUB for the interop tests.

    pub.py [--heartbeat IVL_MS TIMEOUT_MS] [--monitor] [--interval MS] ENDPOINT SCRIPT

Binds ENDPOINT, prints {"endpoint": LAST_ENDPOINT} on stdout, then sends the
messages of SCRIPT (a JSON file) in a loop, one every --interval
milliseconds, until stdin is closed. SCRIPT is a list of
{"track": {...}} entries, encoded here in trackfeed's format (docs/PROTOCOL.md)
with "v", "seq" (counting from 1 across the loop) and "sent" filled in, its
optional "extra" fields added to frame 4 and "extra_frames" (hex) appended,
and {"frames": [hex...]} entries, sent as they are. With --monitor it prints
{"event": NAME} for each socket monitor event.
"""
import argparse
import datetime
import json
import os
import sys

import zmq
from zmq.utils.monitor import recv_monitor_message

from options import joined

FIELDS = ("path", "track", "disc", "year", "genre", "album_artist")


def out(obj):
    print(json.dumps(obj), flush=True)


def encode(track, seq):
    sent = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    meta = {"v": 1, "seq": seq, "sent": sent}
    meta.update((k, track[k]) for k in FIELDS)
    meta.update(track.get("extra", {}))
    frames = [track[k].encode("utf-8") for k in ("topic", "artist", "album", "title")]
    frames.append(json.dumps(meta).encode("utf-8"))
    frames += [bytes.fromhex(f) for f in track.get("extra_frames", [])]
    return frames


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--heartbeat", nargs=2, type=int, metavar=("IVL_MS", "TIMEOUT_MS"))
    p.add_argument("--monitor", action="store_true")
    p.add_argument("--curve-server", metavar="PUBLIC", help="speak CURVE, as a client of the server of this Z85 public key" if "pub" == "sub" else None)
    p.add_argument("--curve-secret", metavar="SECRET", help="speak CURVE, as the server of this Z85 secret key")
    p.add_argument("--interval", type=int, default=1)
    p.add_argument("endpoint")
    p.add_argument("script")
    args = p.parse_args(joined(sys.argv[1:], {"--curve-server": 1, "--curve-secret": 1}))
    with open(args.script) as f:
        script = json.load(f)

    pub = zmq.Context.instance().socket(zmq.PUB)
    pub.linger = 0
    if args.curve_secret:
        pub.curve_server = True
        pub.curve_secretkey = args.curve_secret.encode()
    if args.heartbeat:
        pub.heartbeat_ivl, pub.heartbeat_timeout = args.heartbeat
    poller = zmq.Poller()
    mon = None
    if args.monitor:
        mon = pub.get_monitor_socket()
        poller.register(mon, zmq.POLLIN)
    poller.register(0, zmq.POLLIN)  # stdin: closed means stop
    pub.bind(args.endpoint)
    out({"endpoint": pub.last_endpoint.decode()})

    seq = 0
    while True:
        for entry in script:
            if "track" in entry:
                seq += 1
                pub.send_multipart(encode(entry["track"], seq))
            else:
                pub.send_multipart([bytes.fromhex(f) for f in entry["frames"]])
            # Wait out the interval, handling monitor events and stdin meanwhile.
            for s, _ in poller.poll(args.interval):
                if s is mon:
                    out({"event": zmq.Event(recv_monitor_message(mon)["event"]).name})
                elif not os.read(0, 4096):
                    return


if __name__ == "__main__":
    main()
