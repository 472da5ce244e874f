package library

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"
)

// This file builds small audio files by hand for the tests: ID3v2.3,
// ID3v2.4 and ID3v1 tags, FLAC metadata and MP4 atoms.

// frame is one ID3v2 text frame.
type frame struct{ id, text string }

// id3v2 returns an ID3v2 tag of the given major version (3 or 4). Version 4
// frames are UTF-8; version 3 frames are Latin-1 if they can be, else UTF-16
// with a byte order mark.
func id3v2(version byte, frames ...frame) []byte {
	var body []byte
	for _, f := range frames {
		var data []byte
		switch {
		case version == 4:
			data = append([]byte{3}, f.text...)
		case isLatin1(f.text):
			data = []byte{0}
			for _, r := range f.text {
				data = append(data, byte(r))
			}
		default:
			data = []byte{1, 0xFF, 0xFE}
			for _, u := range utf16.Encode([]rune(f.text)) {
				data = binary.LittleEndian.AppendUint16(data, u)
			}
		}
		body = append(body, f.id...)
		if version == 4 {
			body = append(body, syncsafeBytes(len(data))...)
		} else {
			body = binary.BigEndian.AppendUint32(body, uint32(len(data)))
		}
		body = append(body, 0, 0)
		body = append(body, data...)
	}
	body = append(body, make([]byte, 64)...) // padding
	return append(id3v2Header(version, len(body)), body...)
}

// id3v2Header returns a 10-byte ID3v2 header announcing size bytes of tag.
func id3v2Header(version byte, size int) []byte {
	return append([]byte{'I', 'D', '3', version, 0, 0}, syncsafeBytes(size)...)
}

func syncsafeBytes(n int) []byte {
	return []byte{byte(n >> 21 & 0x7f), byte(n >> 14 & 0x7f), byte(n >> 7 & 0x7f), byte(n & 0x7f)}
}

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF {
			return false
		}
	}
	return true
}

// id3v1 returns a 128-byte ID3v1.1 tag. Strings are written as given, so a
// test can store Latin-1 bytes.
func id3v1(title, artist, album, year string, track, genre byte) []byte {
	b := make([]byte, 128)
	copy(b, "TAG")
	copy(b[3:33], title)
	copy(b[33:63], artist)
	copy(b[63:93], album)
	copy(b[93:97], year)
	b[126] = track
	b[127] = genre
	return b
}

// audio stands for MPEG audio data: n bytes that hold no tag.
func audio(n int) []byte {
	b := bytes.Repeat([]byte{0xFF, 0xFB, 0x90, 0x64}, n/4+1)
	return b[:n]
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// flac returns a FLAC file's metadata: STREAMINFO and a Vorbis comment
// block with the given "KEY=value" comments.
func flac(comments ...string) []byte { return flacPadded(0, comments...) }

// flacPadded is flac with a padding block of pad bytes before the comments.
func flacPadded(pad int, comments ...string) []byte {
	b := []byte("fLaC")
	b = append(b, 0, 0, 0, 34)
	b = append(b, make([]byte, 34)...)
	if pad > 0 {
		b = append(b, 1, byte(pad>>16), byte(pad>>8), byte(pad))
		b = append(b, make([]byte, pad)...)
	}
	var vc []byte
	vc = binary.LittleEndian.AppendUint32(vc, 4)
	vc = append(vc, "test"...)
	vc = binary.LittleEndian.AppendUint32(vc, uint32(len(comments)))
	for _, c := range comments {
		vc = binary.LittleEndian.AppendUint32(vc, uint32(len(c)))
		vc = append(vc, c...)
	}
	b = append(b, 0x80|4, byte(len(vc)>>16), byte(len(vc)>>8), byte(len(vc)))
	return append(b, vc...)
}

// atom returns an MP4 atom holding the given payload.
func atom(name string, payload ...[]byte) []byte {
	body := cat(payload...)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, name...), body...)
}

// mp4Item returns an ilst item whose data atom has the given data type
// (1 text, 13 JPEG, 21 integer).
func mp4Item(name string, dataType byte, value []byte) []byte {
	return atom(name, atom("data", []byte{0, 0, 0, dataType, 0, 0, 0, 0}, value))
}

// mp4 returns an MP4 file's atoms with the given ilst items.
func mp4(items ...[]byte) []byte { return mp4Audio(0, items...) }

// mp4Audio is mp4 with an "mdat" atom of n bytes before the metadata.
func mp4Audio(n int, items ...[]byte) []byte {
	var mdat []byte
	if n > 0 {
		mdat = atom("mdat", audio(n))
	}
	return cat(
		atom("ftyp", []byte("M4A \x00\x00\x00\x00")),
		mdat,
		atom("moov", atom("udta", atom("meta", []byte{0, 0, 0, 0}, atom("ilst", items...)))),
	)
}

// writeFiles creates files under root, with their folders.
func writeFiles(t *testing.T, root string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
