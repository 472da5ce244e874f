package librarytest

import (
	"encoding/binary"
	"unicode/utf16"
)

// Frame is an ID3v2 text frame: its ID, such as "TIT2", and its text.
type Frame struct{ ID, Text string }

// Encoding says how an ID3v2 tag writes the text of its frames.
type Encoding int

// The encodings of ID3v2 text frames.
const (
	// Auto is the version's usual encoding: UTF-8 in 2.4; in 2.3,
	// ISO-8859-1, or UTF-16 for a text that ISO-8859-1 cannot hold.
	Auto Encoding = iota
	// Latin1 is ISO-8859-1 (encoding 0), or UTF-16 for a text that it
	// cannot hold, as taggers fall back.
	Latin1
	// UTF16 is UTF-16 with a byte order mark (encoding 1): little-endian
	// in 2.3, as it is mostly written on little-endian machines, and
	// big-endian in 2.4, as that standard prefers.
	UTF16
	// UTF8 is UTF-8 (encoding 3), which only 2.4 has.
	UTF8
)

// ID3v2 is an ID3v2.3 or ID3v2.4 tag, as taggers write them: text frames
// without frame flags, a front cover if wanted, and zero padding.
type ID3v2 struct {
	Version  byte // 3 or 4
	Encoding Encoding
	Frames   []Frame // in the order written; empty texts are written too

	// Cover, if not nil, is the JPEG picture of an APIC frame (front
	// cover, no description), after the text frames or, with CoverFirst,
	// before them.
	Cover      []byte
	CoverFirst bool

	Padding int // zero bytes after the last frame

	// Unsync applies unsynchronisation to the whole tag, frame headers
	// included, and sets the tag's flag for it, as version 2.3 does it.
	Unsync bool
}

// ID3v2Size is the size of an ID3v2 tag's header, which its size leaves out.
const ID3v2Size = 10

// Tag returns the ID3v2 tag of the given version (3 or 4) that most tests
// want: text frames, given as ID and text pairs, in the version's usual
// encoding, and 64 bytes of padding. Tag(3, "TPE1", "Björk", "TIT2", "Jóga")
// is a 2.3 tag holding an artist and a title.
func Tag(version byte, idText ...string) []byte {
	if len(idText)%2 != 0 {
		panic("librarytest.Tag: a frame ID without its text")
	}
	t := ID3v2{Version: version, Padding: 64}
	for i := 0; i < len(idText); i += 2 {
		t.Frames = append(t.Frames, Frame{idText[i], idText[i+1]})
	}
	return t.Append(nil)
}

// Append appends the tag to dst.
func (t ID3v2) Append(dst []byte) []byte {
	var body []byte
	if t.Cover != nil && t.CoverFirst {
		body = t.appendAPIC(body)
	}
	for _, f := range t.Frames {
		body = t.appendText(body, f.ID, f.Text)
	}
	if t.Cover != nil && !t.CoverFirst {
		body = t.appendAPIC(body)
	}
	body = append(body, make([]byte, t.Padding)...)
	var flags byte
	if t.Unsync {
		body = unsynchronise(body)
		flags |= 0x80
	}
	dst = append(dst, 'I', 'D', '3', t.Version, 0, flags)
	dst = AppendSyncsafe(dst, len(body))
	return append(dst, body...)
}

// ID3v2Header returns the bare 10-byte header of an ID3v2 tag of the given
// version that announces size bytes of frames and padding: for tests that
// build a broken or unusual tag behind it byte by byte.
func ID3v2Header(version byte, size int) []byte {
	return AppendSyncsafe([]byte{'I', 'D', '3', version, 0, 0}, size)
}

// appendFrame appends a frame header for a body of n bytes.
func (t ID3v2) appendFrame(dst []byte, id string, n int) []byte {
	dst = append(dst, id...)
	if t.Version == 4 {
		dst = AppendSyncsafe(dst, n)
	} else {
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, 0, 0) // no frame flags
}

// appendText appends a text frame in the tag's encoding.
func (t ID3v2) appendText(dst []byte, id, text string) []byte {
	enc := t.Encoding
	if enc == Auto {
		enc = Latin1
		if t.Version == 4 {
			enc = UTF8
		}
	}
	var body []byte
	latin1, ok := ToLatin1(text)
	switch {
	case enc == Latin1 && ok:
		body = append([]byte{0}, latin1...)
	case enc == UTF8:
		body = append([]byte{3}, text...)
	default:
		var bo binary.AppendByteOrder = binary.LittleEndian
		if t.Version == 4 {
			bo = binary.BigEndian
		}
		body = bo.AppendUint16([]byte{1}, 0xFEFF)
		for _, u := range utf16.Encode([]rune(text)) {
			body = bo.AppendUint16(body, u)
		}
	}
	dst = t.appendFrame(dst, id, len(body))
	return append(dst, body...)
}

// appendAPIC appends the front cover: ISO-8859-1 text, a JPEG, picture type
// 3 (front cover) and an empty description.
func (t ID3v2) appendAPIC(dst []byte) []byte {
	const head = "\x00image/jpeg\x00\x03\x00"
	dst = t.appendFrame(dst, "APIC", len(head)+len(t.Cover))
	dst = append(dst, head...)
	return append(dst, t.Cover...)
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

// AppendSyncsafe appends n as an ID3v2 synchsafe integer: four bytes of
// seven bits each.
func AppendSyncsafe(dst []byte, n int) []byte {
	return append(dst, byte(n>>21&0x7F), byte(n>>14&0x7F), byte(n>>7&0x7F), byte(n&0x7F))
}

// ToLatin1 returns s in ISO-8859-1, or false if s has a rune that
// ISO-8859-1 lacks.
func ToLatin1(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return "", false
		}
		b = append(b, byte(r))
	}
	return string(b), true
}

// ID3v1 is an ID3v1.1 tag: 128 bytes at the end of a file.
type ID3v1 struct {
	// Title, Artist, Album and Year are written byte for byte, and cut to
	// their fields' 30, 30, 30 and 4 bytes. ID3v1 text is ISO-8859-1 (see
	// ToLatin1); a test may write other bytes on purpose.
	Title, Artist, Album, Year string
	Track                      byte // in the comment's last byte, after a zero: ID3v1.1; 0 for none
	Genre                      byte // a number of the ID3v1 genre list; 255 for none
}

// ID3v1Size is the size of an ID3v1 tag.
const ID3v1Size = 128

// Append appends the tag to dst.
func (t ID3v1) Append(dst []byte) []byte {
	tag := make([]byte, ID3v1Size)
	copy(tag, "TAG")
	copy(tag[3:33], t.Title)
	copy(tag[33:63], t.Artist)
	copy(tag[63:93], t.Album)
	copy(tag[93:97], t.Year)
	tag[126] = t.Track
	tag[127] = t.Genre
	return append(dst, tag...)
}
