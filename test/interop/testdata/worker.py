"""A trackfeed worker in pyzmq: lists folders and reads tracks from paths.

usage: worker.py FAN SINK ROOT [SERVER_PUBLIC_KEY]

With the ventilator's CURVE public key it speaks CURVE, with a key pair
libzmq makes.

It prints "connecting" once it dials, then one line per job it answers. See docs/PROTOCOL.md, "Task system".
"""
import json
import os
import re
import sys

import zmq

AUDIO = (".mp3", ".flac", ".m4a", ".m4b", ".m4p", ".ogg", ".oga", ".opus", ".dsf")


def safe(root, *parts):
    """The real path of parts under root, or an error if it leaves root."""
    for p in parts:
        if p.startswith("/") or ".." in p.split("/") or len(p) > 4096:
            raise ValueError("path %r: want a relative path with no '..'" % p[:100])
    full = os.path.realpath(os.path.join(root, *[p for p in parts if p != "."]))
    if full != root and not full.startswith(root + os.sep):
        raise ValueError("path %r leads out of ROOT" % "/".join(parts)[:100])
    return full


def listing(root, job):
    folders = []
    for path in job["paths"]:
        try:
            d = safe(root, job["root"], path)
            entries = []
            for e in os.scandir(d):
                if e.name.startswith("."):
                    continue
                p = e.name if path == "." else path + "/" + e.name
                if e.is_dir(follow_symlinks=False):
                    entries.append({"path": p, "kind": "folder"})
                elif e.name.lower().endswith(AUDIO):
                    entries.append({"path": p, "kind": "link" if e.is_symlink() else "file"})
            folders.append({"path": path, "entries": entries})
        except (OSError, ValueError) as err:
            folders.append({"path": path, "error": str(err)})
    return {"folders": folders}


def read(root, job):
    files = []
    for f in job["files"]:
        p = f["path"]
        try:
            st = os.stat(safe(root, job["root"], p))
        except (OSError, ValueError) as err:
            files.append({"path": p, "skip": {"path": p, "reason": "unreadable", "error": str(err)}, "size": 0, "mtime": 0})
            continue
        parts = p.split("/")
        m = re.match(r"^(\d{1,3})[ ._-]+(.*)$", os.path.splitext(parts[-1])[0])
        track, title = (int(m.group(1)), m.group(2)) if m else (0, os.path.splitext(parts[-1])[0])
        rec = {"path": p, "size": st.st_size, "mtime": st.st_mtime_ns}
        if st.st_size == 0:
            rec["skip"] = {"path": p, "reason": "empty file"}
        else:
            rec["track"] = {"artist": parts[-3] if len(parts) > 2 else "", "album_artist": "",
                            "album": parts[-2] if len(parts) > 1 else "", "title": title,
                            "genre": "", "track": track, "disc": 0, "year": 0}
        files.append(rec)
    return {"files": files}


def main():
    fan, sink, root = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
    server = sys.argv[4] if len(sys.argv) > 4 else ""  # the ventilator's CURVE public key
    ctx = zmq.Context()
    out = ctx.socket(zmq.XPUB)  # an XPUB sees the ventilator's subscription
    jobs = ctx.socket(zmq.PULL)
    if server:
        public, secret = zmq.curve_keypair()
        for s in (out, jobs):
            s.curve_serverkey, s.curve_publickey, s.curve_secretkey = server.encode(), public, secret
    out.connect(sink)
    print("connecting", flush=True)  # libzmq dials until the sink is there
    out.recv()  # send nothing before it: a PUB drops what no one subscribed to
    jobs.connect(fan)
    while True:
        frames = jobs.recv_multipart()
        if len(frames) != 4 or frames[0] != b"job":
            continue
        _, jid, kind, body = frames
        try:
            job = json.loads(body)
            job.setdefault("root", ".")
            result = listing(root, job) if kind == b"list" else read(root, job)
        except (ValueError, KeyError, OSError) as err:
            result = {"error": str(err)}
        out.send_multipart([b"result", jid, json.dumps(result).encode()])
        print(kind.decode(), jid.decode(), flush=True)


if __name__ == "__main__":
    main()
