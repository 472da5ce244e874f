package genlib

import (
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The ID3v2 text encodings, as the first byte of a text frame names them.
const (
	encLatin1   byte = 0
	encUTF16    byte = 1 // with a byte order mark
	encUTF8     byte = 3 // ID3v2.4 only
	v2Header         = 10
	v1Size           = 128
	frameHeader      = 10
)

// id3v2 is an ID3v2.3 or ID3v2.4 tag to write.
type id3v2 struct {
	version byte // 3 or 4
	enc     byte
	frames  [][2]string // frame ID and text, in order
	cover   []byte      // the APIC picture, or nil
	// coverFirst puts the APIC frame before the text frames.
	coverFirst bool
	padding    int
	// unsync applies ID3v2.3 unsynchronisation to the whole tag.
	unsync bool
}

// appendTo appends the tag to dst.
func (t *id3v2) appendTo(dst []byte) []byte {
	var body []byte
	if t.cover != nil && t.coverFirst {
		body = t.appendAPIC(body)
	}
	for _, f := range t.frames {
		body = t.appendText(body, f[0], f[1])
	}
	if t.cover != nil && !t.coverFirst {
		body = t.appendAPIC(body)
	}
	body = append(body, make([]byte, t.padding)...)
	var flags byte
	if t.unsync {
		body = unsynchronise(body)
		flags |= 0x80
	}
	dst = append(dst, 'I', 'D', '3', t.version, 0, flags)
	dst = appendSynchsafe(dst, len(body))
	return append(dst, body...)
}

// appendFrame appends a frame header for a body of n bytes.
func (t *id3v2) appendFrame(dst []byte, id string, n int) []byte {
	dst = append(dst, id...)
	if t.version == 4 {
		dst = appendSynchsafe(dst, n)
	} else {
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, 0, 0) // no frame flags
}

// appendText appends a text frame in the tag's encoding; ISO-8859-1 falls
// back to UTF-16 for text that it cannot hold.
func (t *id3v2) appendText(dst []byte, id, text string) []byte {
	enc := t.enc
	if enc == encLatin1 && !isLatin1(text) {
		enc = encUTF16
	}
	var body []byte
	switch enc {
	case encLatin1:
		body = appendLatin1([]byte{enc}, text)
	case encUTF8:
		body = append([]byte{enc}, text...)
	default:
		// Version 2.3 files are mostly written on little-endian machines,
		// 2.4 files in the big-endian order that the standard prefers.
		var bo binary.AppendByteOrder = binary.LittleEndian
		if t.version == 4 {
			bo = binary.BigEndian
		}
		body = bo.AppendUint16([]byte{enc}, 0xFEFF)
		for _, u := range utf16.Encode([]rune(text)) {
			body = bo.AppendUint16(body, u)
		}
	}
	dst = t.appendFrame(dst, id, len(body))
	return append(dst, body...)
}

// appendAPIC appends the front cover: ISO-8859-1 text, a JPEG, picture type
// 3 (front cover) and an empty description.
func (t *id3v2) appendAPIC(dst []byte) []byte {
	const head = "\x00image/jpeg\x00\x03\x00"
	dst = t.appendFrame(dst, "APIC", len(head)+len(t.cover))
	dst = append(dst, head...)
	return append(dst, t.cover...)
}

// unsynchronise inserts a 0x00 after every 0xFF that is followed by a byte
// of 0xE0 or more or by 0x00, and after a final 0xFF (ID3v2.3, section 5).
func unsynchronise(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/64)
	for i, c := range b {
		out = append(out, c)
		if c == 0xFF && (i+1 == len(b) || b[i+1] >= 0xE0 || b[i+1] == 0) {
			out = append(out, 0)
		}
	}
	return out
}

// appendSynchsafe appends n as four bytes of seven bits each.
func appendSynchsafe(dst []byte, n int) []byte {
	return append(dst, byte(n>>21&0x7F), byte(n>>14&0x7F), byte(n>>7&0x7F), byte(n&0x7F))
}

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF {
			return false
		}
	}
	return true
}

// appendLatin1 appends s in ISO-8859-1; runes it lacks become '?'.
func appendLatin1(dst []byte, s string) []byte {
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		dst = append(dst, byte(r))
	}
	return dst
}

// v1Field returns the ID3v1 form of s: ISO-8859-1 cut to at most size
// bytes, or "" if s has a rune that ISO-8859-1 lacks.
func v1Field(s string, size int) []byte {
	if !isLatin1(s) {
		return nil
	}
	b := appendLatin1(nil, s)
	return b[:min(len(b), size)]
}

// fromLatin1 decodes ISO-8859-1.
func fromLatin1(b []byte) string {
	var s []byte
	for _, c := range b {
		s = utf8.AppendRune(s, rune(c))
	}
	return string(s)
}

// id3v1 is an ID3v1.1 tag to write.
type id3v1 struct {
	title, artist, album []byte
	year                 int
	track                int
	genre                byte
}

func (t *id3v1) appendTo(dst []byte) []byte {
	tag := make([]byte, v1Size)
	copy(tag, "TAG")
	copy(tag[3:33], t.title)
	copy(tag[33:63], t.artist)
	copy(tag[63:93], t.album)
	if t.year != 0 {
		copy(tag[93:97], strconv.Itoa(t.year))
	}
	tag[126] = byte(t.track) // after a zero byte at 125: ID3v1.1
	tag[127] = t.genre
	return append(dst, tag...)
}

// appendSilence appends n silent MPEG-1 Layer III frames: 128 kbit/s,
// 44.1 kHz, joint stereo, 417 bytes each. An all-zero side information
// block decodes to silence.
func appendSilence(dst []byte, n int) []byte {
	const size = 144 * 128000 / 44100
	for range n {
		dst = append(dst, 0xFF, 0xFB, 0x90, 0x44)
		dst = append(dst, make([]byte, size-4)...)
	}
	return dst
}
