"""Writes the differential corpus into DIR: one short file per case, made
with real encoders (ffmpeg, opusenc) and tagged with real tag writers
(mutagen, id3v2, metaflac, vorbiscomment, AtomicParsley), the odd forms
real libraries hold, and damaged variants. The same tools give the same
files. Prints the names it wrote, one a line.

    make_corpus.py DIR
"""
import base64
import os
import shutil
import subprocess
import sys

import struct

import mutagen
from mutagen import id3, mp4, apev2, flac, oggflac, wave, aiff, dsf

DIR = sys.argv[1]
ARTIST, ALBUMARTIST, ALBUM = "The Streets", "Various Artists", "Original Pirate Material"
TITLE, GENRE = "Has It Come to This?", "UK Garage"
written = []


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def base(name, *codec):
    """A second of a quiet tone, encoded by ffmpeg, with no tags."""
    path = os.path.join(DIR, name)
    run("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=44100",
        "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", *codec, path)
    return path


def done(path):
    written.append(os.path.basename(path))


def id3_frames(tags, v24=True, artist=ARTIST):
    tags.add(id3.TPE1(encoding=3, text=artist))
    tags.add(id3.TPE2(encoding=3, text=ALBUMARTIST))
    tags.add(id3.TALB(encoding=3, text=ALBUM))
    tags.add(id3.TIT2(encoding=3, text=TITLE))
    tags.add(id3.TRCK(encoding=3, text="3/12"))
    tags.add(id3.TPOS(encoding=3, text="1/2"))
    tags.add(id3.TDRC(encoding=3, text="2002-03-25"))
    tags.add(id3.TCON(encoding=3, text=GENRE))


def mp3(name):
    src = os.path.join(DIR, ".base.mp3")
    if not os.path.exists(src):
        base(".base.mp3", "-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0", "-id3v2_version", "0")
    path = os.path.join(DIR, name)
    shutil.copy(src, path)
    return path


os.makedirs(DIR, exist_ok=True)

# MP3, ID3v2.4 and 2.3 by mutagen, 2.3 and 1 by id3v2, APEv2 by mutagen.
p = mp3("mp3-id3v24-mutagen.mp3")
t = id3.ID3()
id3_frames(t)
t.save(p, v2_version=4)
done(p)

p = mp3("mp3-id3v23-mutagen.mp3")
t = id3.ID3()
id3_frames(t)
t.save(p, v2_version=3)
done(p)

p = mp3("mp3-id3v24-two-artists.mp3")
t = id3.ID3()
id3_frames(t, artist=["The Streets", "Mike Skinner"])
t.save(p, v2_version=4)
done(p)

p = mp3("mp3-id3v24-latin1.mp3")
t = id3.ID3()
t.add(id3.TPE1(encoding=0, text="Björk"))
t.add(id3.TALB(encoding=0, text="Début"))
t.add(id3.TIT2(encoding=0, text="Human Behaviour"))
t.add(id3.TRCK(encoding=0, text="1"))
t.save(p, v2_version=4)
done(p)

p = mp3("mp3-id3v23-utf16.mp3")
t = id3.ID3()
t.add(id3.TPE1(encoding=1, text="Sigur Rós"))
t.add(id3.TALB(encoding=1, text="Takk…"))
t.add(id3.TIT2(encoding=1, text="Glósóli"))
t.add(id3.TRCK(encoding=1, text="2"))
t.add(id3.TYER(encoding=1, text="2005"))
t.save(p, v2_version=3)
done(p)

p = mp3("mp3-id3v23-id3v2tool.mp3")
run("id3v2", "--id3v2-only", "-a", ARTIST, "-A", ALBUM, "-t", TITLE, "-T", "3/12", "-y", "2002",
    "--TPE2", ALBUMARTIST, "--TPOS", "1/2", "--TCON", GENRE, p)
done(p)

p = mp3("mp3-id3v1-only.mp3")
run("id3v2", "--id3v1-only", "-a", ARTIST, "-A", ALBUM, "-t", TITLE, "-T", "3", "-y", "2002", "-g", "17", p)
done(p)

p = mp3("mp3-id3v1-nul-junk.mp3")
run("id3v2", "--id3v1-only", "-a", "Blur", "-A", "Parklife", "-t", "Girls", "-T", "1", "-y", "1994", p)
with open(p, "r+b") as f:  # bytes after the terminating NUL, as old rippers left them
    f.seek(-128 + 3 + 4, os.SEEK_END)  # within the title field, after "Girls"
    f.write(b"\x00\x00junk")
done(p)

p = mp3("mp3-ape-only.mp3")
a = apev2.APEv2()
for k, v in [("Artist", ARTIST), ("Album Artist", ALBUMARTIST), ("Album", ALBUM), ("Title", TITLE),
             ("Track", "3/12"), ("Disc", "1/2"), ("Year", "2002"), ("Genre", GENRE)]:
    a[k] = v
a.save(p)
done(p)

# Odd ID3v2 forms real libraries hold.
def frames_of(data):
    """The frames of the ID3v2 tag at the start of data: (id, flags, body)."""
    end = 10 + id3.BitPaddedInt(data[6:10])
    off, out = 10, []
    while off + 10 <= end and data[off:off + 4].strip(b"\x00"):
        size = id3.BitPaddedInt(data[off + 4:off + 8]) if data[3] == 4 else int.from_bytes(data[off + 4:off + 8], "big")
        out.append((data[off:off + 4], data[off + 8:off + 10], data[off + 10:off + 10 + size]))
        off += 10 + size
    return out, end


def tag_bytes(version, flags, frames, size_of, pad=64):
    body = b"".join(fid + size_of(len(b)) + fl + b for fid, fl, b in frames) + b"\x00" * pad
    return b"ID3" + bytes([version, 0, flags]) + id3.BitPaddedInt.to_str(len(body), width=4) + body


long_title = "Has It Come to This? (" + "extended " * 20 + "mix)"
p = mp3("mp3-id3v24-plain-sizes.mp3")  # as iTunes wrote 2.4 tags: frame sizes not synchsafe
t = id3.ID3()
id3_frames(t)
t.setall("TIT2", [id3.TIT2(encoding=3, text=long_title)])
t.save(p, v2_version=4)
data = open(p, "rb").read()
frames, end = frames_of(data)
with open(p, "wb") as f:
    f.write(tag_bytes(4, 0, frames, lambda n: n.to_bytes(4, "big")) + data[end:])
done(p)

p = mp3("mp3-id3v23-ext-flag-no-header.mp3")  # the extended-header flag set, no extended header
t = id3.ID3()
id3_frames(t)
t.save(p, v2_version=3)
data = bytearray(open(p, "rb").read())
data[5] |= 0x40
open(p, "wb").write(data)
done(p)

p = mp3("mp3-id3v23-v22-names.mp3")  # a 2.3 tag whose frames have 2.2 names, padded to four letters
v22 = [(b"TP1\x00", "The Streets"), (b"TAL\x00", ALBUM), (b"TT2\x00", TITLE), (b"TRK\x00", "3/12")]
frames = [(fid, b"\x00\x00", b"\x03" + text.encode()) for fid, text in v22]
data = open(p, "rb").read()
with open(p, "wb") as f:
    f.write(tag_bytes(3, 0, frames, lambda n: n.to_bytes(4, "big")) + data)
done(p)

p = mp3("mp3-id3v22.mp3")  # ID3v2.2, as iTunes 2 and old taggers wrote: three-letter names and sizes
frames22 = [(b"TP1", ARTIST), (b"TP2", ALBUMARTIST), (b"TAL", ALBUM), (b"TT2", TITLE), (b"TRK", "3/12"),
            (b"TPA", "1/2"), (b"TYE", "2002"), (b"TCO", GENRE)]
body = b"".join(fid + len(b"\x00" + t.encode()).to_bytes(3, "big") + b"\x00" + t.encode() for fid, t in frames22) + b"\x00" * 32
data = open(p, "rb").read()
with open(p, "wb") as f:
    f.write(b"ID3\x02\x00\x00" + id3.BitPaddedInt.to_str(len(body), width=4) + body + data)
done(p)

# Damaged: an ID3v2.4 tag cut short at several places, and in the audio.
src = os.path.join(DIR, "mp3-id3v24-mutagen.mp3")
data = open(src, "rb").read()
tag_end = 10 + id3.BitPaddedInt(data[6:10])
for label, cut in [("in-first-frame", 40), ("in-frames", 90), ("in-padding", tag_end - 5), ("in-audio", tag_end + 500)]:
    name = "mp3-cut-%s.mp3" % label
    with open(os.path.join(DIR, name), "wb") as f:
        f.write(data[:cut])
    written.append(name)

# FLAC: Vorbis comments by metaflac, odd forms, and an ID3v2 tag in front.
flac_src = base(".base.flac", "-c:a", "flac")
p = os.path.join(DIR, "flac-metaflac.flac")
shutil.copy(flac_src, p)
run("metaflac", "--remove-all-tags", "--set-tag=ARTIST=" + ARTIST, "--set-tag=ALBUMARTIST=" + ALBUMARTIST,
    "--set-tag=ALBUM=" + ALBUM, "--set-tag=TITLE=" + TITLE, "--set-tag=TRACKNUMBER=3",
    "--set-tag=TRACKTOTAL=12", "--set-tag=DISCNUMBER=1", "--set-tag=DATE=2002-03-25", "--set-tag=GENRE=" + GENRE, p)
done(p)

p = os.path.join(DIR, "flac-odd-values.flac")
shutil.copy(flac_src, p)
run("metaflac", "--remove-all-tags", "--set-tag=ARTIST=Massive Attack", "--set-tag=ARTIST=Tricky",
    "--set-tag=ALBUM=Blue Lines", "--set-tag=TITLE=Daydreaming", "--set-tag=TRACKNUMBER=3/12",
    "--set-tag=DISCNUMBER=1/1", "--set-tag=DATE=1991/04/08", p)
done(p)

p = os.path.join(DIR, "flac-id3-in-front.flac")
t = id3.ID3()
t.add(id3.TIT2(encoding=3, text="Wrong Title From ID3"))
tmp = os.path.join(DIR, ".id3tag")
open(tmp, "wb").close()
t.save(tmp, v2_version=3, padding=lambda info: 0)
shutil.copy(os.path.join(DIR, "flac-metaflac.flac"), os.path.join(DIR, ".flac-tagged"))
with open(p, "wb") as out:
    out.write(open(tmp, "rb").read())
    out.write(open(os.path.join(DIR, ".flac-tagged"), "rb").read())
done(p)

p = base("oggflac.oga", "-c:a", "flac", "-f", "ogg")
o = oggflac.OggFLAC(p)
o["ARTIST"], o["ALBUM"], o["TITLE"], o["TRACKNUMBER"], o["DATE"] = ARTIST, ALBUM, TITLE, "3", "2002"
o.save()
done(p)

# Ogg Vorbis and Opus, tagged by their own tools.
p = base("vorbis.ogg", "-c:a", "libvorbis", "-q:a", "0")
run("vorbiscomment", "-w", "-t", "ARTIST=" + ARTIST, "-t", "ALBUMARTIST=" + ALBUMARTIST, "-t", "ALBUM=" + ALBUM,
    "-t", "TITLE=" + TITLE, "-t", "TRACKNUMBER=3", "-t", "DISCNUMBER=1", "-t", "DATE=2002", "-t", "GENRE=" + GENRE, p)
done(p)

wav = base(".base.wav", "-c:a", "pcm_s16le")
p = os.path.join(DIR, "opus.opus")
run("opusenc", "--quiet", "--artist", ARTIST, "--album", ALBUM, "--title", TITLE, "--date", "2002",
    "--genre", GENRE, "--tracknumber", "3", "--comment", "ALBUMARTIST=" + ALBUMARTIST, "--comment", "DISCNUMBER=1", wav, p)
done(p)

# MP4: AAC and ALAC tagged by mutagen, AAC by AtomicParsley, an audiobook.
def mp4_tags(path, artist=ARTIST):
    m = mp4.MP4(path)
    m["\xa9ART"], m["aART"], m["\xa9alb"], m["\xa9nam"] = artist, ALBUMARTIST, ALBUM, TITLE
    m["trkn"], m["disk"], m["\xa9day"], m["\xa9gen"] = [(3, 12)], [(1, 2)], "2002-03-25", GENRE
    m.save()


p = base("aac.m4a", "-c:a", "aac", "-b:a", "64k")
mp4_tags(p)
done(p)
p = base("alac.m4a", "-c:a", "alac")
mp4_tags(p)
done(p)
p = base("audiobook.m4b", "-c:a", "aac", "-b:a", "64k", "-f", "mp4")
mp4_tags(p)
done(p)
p = base("aac-two-artists.m4a", "-c:a", "aac", "-b:a", "64k")
mp4_tags(p, artist=["Massive Attack", "Tricky"])
done(p)
p = base("aac-atomicparsley.m4a", "-c:a", "aac", "-b:a", "64k")
run("AtomicParsley", p, "--overWrite", "--artist", ARTIST, "--albumArtist", ALBUMARTIST, "--album", ALBUM,
    "--title", TITLE, "--tracknum", "3/12", "--disk", "1/2", "--year", "2002", "--genre", GENRE)
done(p)

# Damaged: each other format cut short at a few places.
for name in ["flac-metaflac.flac", "vorbis.ogg", "opus.opus", "aac.m4a", "oggflac.oga"]:
    data = open(os.path.join(DIR, name), "rb").read()
    stem, ext = os.path.splitext(name)
    for label, cut in [("in-header", 20), ("in-tags", 200), ("in-audio", len(data) // 2)]:
        cut_name = "%s-cut-%s%s" % (stem, label, ext)
        with open(os.path.join(DIR, cut_name), "wb") as f:
            f.write(data[:cut])
        written.append(cut_name)

# MP4 odd forms: a cover in an untyped data atom, an empty freeform atom,
# and the moov atom's size in the 64-bit form.
p = base("aac-untyped-cover.m4a", "-c:a", "aac", "-b:a", "64k")
mp4_tags(p)
m = mp4.MP4(p)
m["covr"] = [mp4.MP4Cover(b"\xff\xd8\xff\xe0 not really a JPEG", imageformat=0)]
m.save()
done(p)
p = base("aac-empty-freeform.m4a", "-c:a", "aac", "-b:a", "64k")
mp4_tags(p)
m = mp4.MP4(p)
m["----:com.apple.iTunes:MOOD"] = [mp4.MP4FreeForm(b"")]
m.save()
done(p)
src = os.path.join(DIR, "aac.m4a")
data = open(src, "rb").read()
off = 0
out = b""
while off + 8 <= len(data):
    size, kind = struct.unpack(">I4s", data[off:off + 8])
    if kind == b"moov":
        out += struct.pack(">I4sQ", 1, kind, size + 8) + data[off + 8:off + size]
    else:
        out += data[off:off + size]
    off += size
p = os.path.join(DIR, "aac-64bit-moov.m4a")
open(p, "wb").write(out)
done(p)

# Cover art, written by the tools that write the tags: mutagen (ID3v2.4
# and 2.3, FLAC, Vorbis, MP4, WAV), metaflac, opusenc and AtomicParsley.
# The pictures are made by ffmpeg: a front cover (JPEG) and a back cover
# (PNG), which comes first where a file holds both.
def picture(name, colour, codec):
    path = os.path.join(DIR, name)
    run("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", "color=c=%s:s=64x64" % colour, "-frames:v", "1",
        "-fflags", "+bitexact", "-flags", "+bitexact", "-c:v", codec, path)
    return path, open(path, "rb").read()


front_path, FRONT = picture(".front.jpg", "0x9d174d", "mjpeg")
back_path, BACK = picture(".back.png", "0x0f766e", "png")

p = mp3("mp3-cover-mutagen.mp3")
t = id3.ID3()
id3_frames(t)
t.add(id3.APIC(encoding=3, mime="image/png", type=4, desc="back", data=BACK))
t.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="front", data=FRONT))
t.save(p, v2_version=4)
done(p)

p = mp3("mp3-cover-v23-utf16.mp3")
t = id3.ID3()
id3_frames(t)
t.add(id3.APIC(encoding=1, mime="image/jpeg", type=3, desc="Front Cover", data=FRONT))
t.save(p, v2_version=3)
done(p)

p = mp3("mp3-cover-other-type.mp3")  # no front cover: the first picture is the cover
t = id3.ID3()
id3_frames(t)
t.add(id3.APIC(encoding=0, mime="image/png", type=0, desc="", data=BACK))
t.save(p, v2_version=3)
done(p)

flac_src = os.path.join(DIR, "flac-metaflac.flac")
p = os.path.join(DIR, "flac-cover-metaflac.flac")
shutil.copy(flac_src, p)
run("metaflac", "--import-picture-from=3||front||" + front_path, p)
done(p)

p = os.path.join(DIR, "flac-cover-mutagen.flac")
shutil.copy(flac_src, p)
fl = flac.FLAC(p)
for typ, mime, data in [(4, "image/png", BACK), (3, "image/jpeg", FRONT)]:
    pic = flac.Picture()
    pic.type, pic.mime, pic.data, pic.width, pic.height, pic.depth = typ, mime, data, 64, 64, 24
    fl.add_picture(pic)
fl.save()
done(p)

p = os.path.join(DIR, "vorbis-cover.ogg")
shutil.copy(os.path.join(DIR, "vorbis.ogg"), p)
o = mutagen.File(p)
pic = flac.Picture()
pic.type, pic.mime, pic.data, pic.width, pic.height, pic.depth = 3, "image/jpeg", FRONT, 64, 64, 24
o["METADATA_BLOCK_PICTURE"] = [base64.b64encode(pic.write()).decode("ascii")]
o.save()
done(p)

p = os.path.join(DIR, "opus-cover.opus")
run("opusenc", "--quiet", "--artist", ARTIST, "--album", ALBUM, "--title", TITLE, "--tracknumber", "3",
    "--picture", "4||back||" + back_path, "--picture", "3||front||" + front_path, wav, p)
done(p)

p = base("aac-cover-atomicparsley.m4a", "-c:a", "aac", "-b:a", "64k")
run("AtomicParsley", p, "--overWrite", "--artist", ARTIST, "--album", ALBUM, "--title", TITLE,
    "--tracknum", "3/12", "--artwork", front_path)
done(p)

p = base("aac-cover-mutagen.m4a", "-c:a", "aac", "-b:a", "64k")
mp4_tags(p)
m = mp4.MP4(p)
m["covr"] = [mp4.MP4Cover(BACK, imageformat=mp4.MP4Cover.FORMAT_PNG), mp4.MP4Cover(FRONT, imageformat=mp4.MP4Cover.FORMAT_JPEG)]
m.save()
done(p)

p = base("id3-cover.wav", "-c:a", "pcm_s16le")
w = wave.WAVE(p)
w.add_tags()
id3_frames(w.tags)
w.tags.add(id3.APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=FRONT))
w.save()
done(p)

# DSF: a few blocks of DSD silence, tagged by mutagen (an ID3v2 tag at the
# end, which the header points to).
p = os.path.join(DIR, "dsd.dsf")
block, channels = 4096, 2
audio = b"\x69" * (block * channels)
fmt = struct.pack("<4sQIIIIIIQII", b"fmt ", 52, 1, 0, 2, channels, 2822400, 1, block * 8, block, 0)
datachunk = struct.pack("<4sQ", b"data", 12 + len(audio)) + audio
total = 28 + len(fmt) + len(datachunk)
with open(p, "wb") as f:
    f.write(struct.pack("<4sQQQ", b"DSD ", 28, total, 0) + fmt + datachunk)
d = dsf.DSF(p)
d.add_tags()
id3_frames(d.tags)
d.save()
done(p)

# WAV and AIFF with an ID3 chunk.
for cls, name, codec in [(wave.WAVE, "id3.wav", "pcm_s16le"), (aiff.AIFF, "id3.aiff", "pcm_s16be")]:
    p = base(name, "-c:a", codec)
    f = cls(p)
    f.add_tags()
    id3_frames(f.tags)
    f.save()
    done(p)

for name in os.listdir(DIR):
    if name.startswith("."):
        os.remove(os.path.join(DIR, name))

# Damaged variants of every whole file: cut short at seven places through
# it, and one byte flipped in each of two places near its start (where
# headers and sizes are).
for name in sorted(written):
    if "-cut-" in name:
        continue
    data = open(os.path.join(DIR, name), "rb").read()
    stem, ext = os.path.splitext(name)
    for i, frac in enumerate([0.01, 0.03, 0.1, 0.3, 0.5, 0.6, 0.9]):
        cut_name = "%s-trunc%d%s" % (stem, i, ext)
        open(os.path.join(DIR, cut_name), "wb").write(data[:max(1, int(len(data) * frac))])
        written.append(cut_name)
    for i, at in enumerate([5, 23]):
        flipped = bytearray(data)
        flipped[at % len(data)] ^= 0x41
        flip_name = "%s-flip%d%s" % (stem, i, ext)
        open(os.path.join(DIR, flip_name), "wb").write(flipped)
        written.append(flip_name)
print("\n".join(written))
