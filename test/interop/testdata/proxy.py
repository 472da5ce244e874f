"""libzmq's forwarder device, zmq.proxy(XSUB, XPUB), for the interop tests.

    proxy.py [--xsub-connect ENDPOINT]... [--xsub-bind ENDPOINT] --xpub-bind ENDPOINT

The XSUB faces the publishers: it connects to each --xsub-connect and binds
--xsub-bind. The XPUB faces the subscribers: it binds --xpub-bind. Prints
{"xpub": ENDPOINT, "xsub": ENDPOINT or null} with the bound endpoints, then
runs zmq.proxy until stdin is closed.
"""
import argparse
import json
import os
import threading

import zmq


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--xsub-connect", action="append", default=[])
    p.add_argument("--xsub-bind")
    p.add_argument("--xpub-bind", required=True)
    args = p.parse_args()

    ctx = zmq.Context.instance()
    xsub = ctx.socket(zmq.XSUB)
    xpub = ctx.socket(zmq.XPUB)
    xsub.linger = xpub.linger = 0
    if args.xsub_bind:
        xsub.bind(args.xsub_bind)
    for ep in args.xsub_connect:
        xsub.connect(ep)
    xpub.bind(args.xpub_bind)
    print(json.dumps({
        "xpub": xpub.last_endpoint.decode(),
        "xsub": xsub.last_endpoint.decode() if args.xsub_bind else None,
    }), flush=True)
    threading.Thread(target=zmq.proxy, args=(xsub, xpub), daemon=True).start()
    while os.read(0, 4096):
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
