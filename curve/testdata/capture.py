"""The libzmq side of curve's vector capture (go test ./curve -run TestCaptureVectors -capture).

    capture.py server SECRET
        binds a CURVE server REP with permanent secret key SECRET (Z85) on a
        free port of 127.0.0.1, prints {"endpoint": E, "libzmq": V, "pyzmq": V},
        answers one request R with "Hello R", and exits when stdin closes
    capture.py client ENDPOINT SERVER_PUBLIC PUBLIC SECRET FRAME
        sends FRAME from a CURVE client REQ of key pair PUBLIC/SECRET to the
        server ENDPOINT of key SERVER_PUBLIC and prints {"reply": [...],
        "libzmq": V, "pyzmq": V}
"""
import json
import sys

import zmq


def out(obj):
    obj.update(libzmq=zmq.zmq_version(), pyzmq=zmq.__version__)
    print(json.dumps(obj), flush=True)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    ctx = zmq.Context()
    if mode == "server":
        s = ctx.socket(zmq.REP)
        s.curve_server = True
        s.curve_secretkey = args[0].encode()
        s.rcvtimeo = 10000
        port = s.bind_to_random_port("tcp://127.0.0.1")
        out({"endpoint": "tcp://127.0.0.1:%d" % port})
        s.send(b"Hello " + s.recv())
        sys.stdin.read()
    elif mode == "client":
        endpoint, server, public, secret, frame = args
        s = ctx.socket(zmq.REQ)
        s.curve_serverkey = server.encode()
        s.curve_publickey = public.encode()
        s.curve_secretkey = secret.encode()
        s.rcvtimeo = 10000
        s.connect(endpoint)
        s.send(frame.encode())
        out({"reply": [f.decode() for f in s.recv_multipart()]})
    else:
        sys.exit("capture.py: unknown mode " + mode)
    s.close(linger=1000)
    ctx.term()


if __name__ == "__main__":
    main()
