"""pyzmq with CURVE, for the interop tests of internal/curve.

    curve.py keypair            prints {"public": Z85, "secret": Z85} from zmq.curve_keypair()
    curve.py public SECRET      prints {"public": Z85}, zmq.curve_public(SECRET)
    curve.py rep SECRET         binds a CURVE server REP on a free port of
                                127.0.0.1, prints {"endpoint": E}, then answers
                                each request R with "Hello R" until stdin closes
    curve.py req ENDPOINT SERVER_PUBLIC [--keys PUBLIC SECRET] FRAME...
                                asks ENDPOINT as a CURVE client (with a new key
                                pair unless one is given) and prints
                                {"reply": [FRAME...]}
"""
import json
import sys
import threading

import zmq


def out(obj):
    print(json.dumps(obj), flush=True)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "keypair":
        public, secret = zmq.curve_keypair()
        out({"public": public.decode(), "secret": secret.decode()})
        return
    if mode == "public":
        out({"public": zmq.curve_public(args[0].encode()).decode()})
        return
    ctx = zmq.Context()
    if mode == "rep":
        s = ctx.socket(zmq.REP)
        s.curve_server = True
        s.curve_secretkey = args[0].encode()
        s.linger = 0
        port = s.bind_to_random_port("tcp://127.0.0.1")
        out({"endpoint": "tcp://127.0.0.1:%d" % port})
        threading.Thread(target=lambda: (sys.stdin.read(), ctx.term()), daemon=True).start()
        try:
            while True:
                req = s.recv()
                s.send(b"Hello " + req)
        except zmq.ContextTerminated:
            s.close()
        return
    if mode == "req":
        endpoint, server, rest = args[0], args[1], args[2:]
        if rest and rest[0] == "--keys":
            public, secret, rest = rest[1].encode(), rest[2].encode(), rest[3:]
        else:
            public, secret = zmq.curve_keypair()
        s = ctx.socket(zmq.REQ)
        s.curve_serverkey = server.encode()
        s.curve_publickey = public
        s.curve_secretkey = secret
        s.linger = 0
        s.rcvtimeo = 10000
        s.connect(endpoint)
        s.send_multipart([r.encode() for r in rest])
        out({"reply": [f.decode() for f in s.recv_multipart()]})
        s.close()
        ctx.term()
        return
    sys.exit("curve.py: unknown mode " + mode)


if __name__ == "__main__":
    main()
