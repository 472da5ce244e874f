"""Prints, for each file named, one JSON object a line with the fields
trackfeed compares, as mutagen reads them (its easy interfaces where it
has them; ID3 and APEv2 tags by frame otherwise), and the cover picture's
type and SHA-256 (its full interface)."""
import base64
import hashlib
import json
import sys

import mutagen
import mutagen.apev2
import mutagen.flac
import mutagen.id3
import mutagen.mp4

KEYS = ["artist", "albumartist", "album", "title", "tracknumber", "discnumber", "date", "genre"]
ID3 = {"artist": "TPE1", "albumartist": "TPE2", "album": "TALB", "title": "TIT2",
       "tracknumber": "TRCK", "discnumber": "TPOS", "date": "TDRC", "genre": "TCON"}
APE = {"artist": "Artist", "albumartist": "Album Artist", "album": "Album", "title": "Title",
       "tracknumber": "Track", "discnumber": "Disc", "date": "Year", "genre": "Genre"}


def from_id3(tags):
    out = {}
    for k, frame in ID3.items():
        f = tags.get(frame)
        if f is None and frame == "TDRC":
            f = tags.get("TYER")
        if f is None:
            out[k] = []
        elif frame == "TCON":
            out[k] = [str(g) for g in f.genres]
        else:
            out[k] = [str(t) for t in f.text]
    return out


def read(path):
    try:
        f = mutagen.File(path, easy=True)
    except Exception as e:  # a damaged file: say so, as TagLib's reader does
        return {"error": "%s: %s" % (type(e).__name__, e)}
    if f is not None and f.tags is not None:
        if isinstance(f.tags, mutagen.id3.ID3):
            return from_id3(f.tags)
        try:
            return {k: [str(v) for v in f.tags.get(k, [])] for k in KEYS}
        except Exception:
            pass
    try:
        ape = mutagen.apev2.APEv2(path)
        return {k: [str(v) for v in ape[n]] if n in ape else [] for k, n in APE.items()}
    except Exception:
        pass
    if f is None:
        return {"error": "not read"}
    return {k: [] for k in KEYS}


def cover(path):
    """The picture trackfeed takes for the file's cover: the front cover
    (type 3) if one is marked so, else the first; MP4's first. Its type
    and the SHA-256 of its bytes, or None."""
    try:
        f = mutagen.File(path)
    except Exception:
        return None
    if f is None:
        return None
    pics = []  # (type, data)
    tags = f.tags
    if isinstance(f, mutagen.flac.FLAC) and f.pictures:
        pics = [(p.type, p.data) for p in f.pictures]
    elif isinstance(tags, mutagen.id3.ID3):
        pics = [(p.type, p.data) for p in tags.getall("APIC")]
    elif isinstance(tags, mutagen.mp4.MP4Tags):
        pics = [(3, bytes(c)) for c in tags.get("covr", [])[:1]]
    elif tags is not None and hasattr(tags, "get"):
        for v in tags.get("metadata_block_picture", []) or []:
            try:
                p = mutagen.flac.Picture(base64.b64decode(v))
            except Exception:
                continue
            pics.append((p.type, p.data))
    if not pics:
        return None
    typ, data = next((p for p in pics if p[0] == 3), pics[0])
    return {"type": typ, "sha256": hashlib.sha256(data).hexdigest()}


for p in sys.argv[1:]:
    d = read(p)
    d["path"] = p
    d["cover"] = cover(p)
    print(json.dumps(d))
