package tags

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"strings"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// The tests build their files with librarytest, and these few that only a
// test would write.

// audio is n bytes of MPEG audio, which hold no tag.
func audio(n int) []byte { return librarytest.Silence(n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// bytes8 returns n empty MP4 atoms of the given name.
func bytes8(name string, n int) []byte {
	return []byte(strings.Repeat("\x00\x00\x00\x08"+name, n))
}

// randomBytes returns n random bytes, the same for the same n.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{}).Read(b)
	return b
}

// hugeFrame is an MP3 whose tag holds a frame that claims 0x7FFFFFFF
// bytes, in front of 1 MiB of audio.
var hugeFrame = cat(librarytest.ID3v2Header(3, 100), []byte("TIT2\x7f\xff\xff\xff\x00\x00\x00Hi"), make([]byte, 87),
	audio(1<<20))

// vorbisComment is a Vorbis comment of fields ("ARTIST=A").
func vorbisComment(fields ...string) []byte {
	le := func(n int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
	b := cat(le(4), []byte("test"), le(len(fields)))
	for _, f := range fields {
		b = cat(b, le(len(f)), []byte(f))
	}
	return b
}

// oggPage is one Ogg page of the stream 1 holding whole packets, of at
// most 255 lacing values in all.
func oggPage(seq int, packets ...[]byte) []byte {
	h := cat([]byte("OggS\x00\x00"), make([]byte, 8), []byte{1, 0, 0, 0}, binary.LittleEndian.AppendUint32(nil, uint32(seq)), make([]byte, 4))
	var lacing []byte
	for _, p := range packets {
		for range len(p) / 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(len(p)%255))
	}
	h = append(h, byte(len(lacing)))
	return cat(h, lacing, bytes.Join(packets, nil))
}

// chunk is a RIFF (little-endian) or AIFF (big-endian) chunk.
func chunk(id string, data []byte, bigEndian bool) []byte {
	var size []byte
	if bigEndian {
		size = binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	} else {
		size = binary.LittleEndian.AppendUint32(nil, uint32(len(data)))
	}
	b := cat([]byte(id), size, data)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// apeTag is an APEv2 tag (items, then a footer) of key, value pairs.
func apeTag(kv ...string) []byte {
	le := func(n int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }
	var items []byte
	for i := 0; i+1 < len(kv); i += 2 {
		items = cat(items, le(len(kv[i+1])), le(0), []byte(kv[i]), []byte{0}, []byte(kv[i+1]))
	}
	return cat(items, []byte("APETAGEX"), le(2000), le(len(items)+32), le(len(kv)/2), le(0), make([]byte, 8))
}

// formatSeeds are small files of every format the readers of this package
// take apart by hand, for the fuzzer to start from.
func formatSeeds() [][]byte {
	comment := vorbisComment("ARTIST=A", "ARTIST=B", "TITLE=T", "TRACKNUMBER=3/12", "DATE=1991/04/08")
	id3 := librarytest.Tag(3, "TIT2", "Seed", "TPE1", "Artist")
	return [][]byte{
		cat(oggPage(0, cat([]byte("\x01vorbis"), make([]byte, 23))), oggPage(1, cat([]byte("\x03vorbis"), comment, []byte{1}))),
		cat(oggPage(0, cat([]byte("OpusHead"), make([]byte, 11))), oggPage(1, cat([]byte("OpusTags"), comment))),
		cat(oggPage(0, cat([]byte("\x7fFLAC\x01\x00\x00\x01fLaC\x00\x00\x00\x22"), make([]byte, 34))),
			oggPage(1, cat([]byte{0x84, 0, 0, byte(len(comment))}, comment))),
		cat(id3, librarytest.FLAC(0, "TITLE=F", "ARTIST=A")),
		cat([]byte("RIFF\x00\x00\x00\x00WAVE"), chunk("fmt ", make([]byte, 16), false), chunk("id3 ", id3, false)),
		cat([]byte("FORM\x00\x00\x00\x00AIFF"), chunk("COMM", make([]byte, 18), true), chunk("ID3 ", id3, true)),
		cat(audio(500), apeTag("Artist", "A\x00B", "Title", "T", "Track", "3/12", "Year", "2002")),
		librarytest.MP4(0, librarytest.MP4Item("\xa9ART", 1, []byte("A")), librarytest.MP4Item("\xa9ART", 1, []byte("B")),
			librarytest.MP4Item("trkn", 0, []byte{0, 0, 0, 3, 0, 12, 0, 0})),
	}
}
