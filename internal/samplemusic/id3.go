package samplemusic

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
)

// id3v2Padding is the zero padding after the last ID3v2 frame, as taggers
// leave it so that a later edit need not rewrite the file.
const id3v2Padding = 128

// appendID3v2 appends f's ID3v2.3 or ID3v2.4 tag, with the frames TPE1,
// TPE2, TALB, TIT2, TRCK, TPOS, TYER (v2.3) or TDRC (v2.4) and TCON, leaving
// out those whose value is empty or 0.
func appendID3v2(dst []byte, f File) ([]byte, error) {
	var version byte
	var enc func(string) ([]byte, error)
	switch f.Tag {
	case ID3v23Latin1:
		version, enc = 3, encodeLatin1Frame
	case ID3v23UTF16:
		version, enc = 3, encodeUTF16Frame(binary.LittleEndian)
	case ID3v24UTF8:
		version, enc = 4, encodeUTF8Frame
	case ID3v24UTF16:
		version, enc = 4, encodeUTF16Frame(binary.BigEndian)
	default:
		return nil, fmt.Errorf("%s is not an ID3v2 kind", f.Tag)
	}
	yearID := "TYER"
	if version == 4 {
		yearID = "TDRC"
	}
	var year string
	if f.Year != 0 {
		year = strconv.Itoa(f.Year)
	}

	var frames []byte
	for _, fr := range []struct{ id, text string }{
		{"TPE1", f.Artist},
		{"TPE2", f.AlbumArtist},
		{"TALB", f.Album},
		{"TIT2", f.Title},
		{"TRCK", ofTotal(f.TrackNo, f.TrackTotal)},
		{"TPOS", ofTotal(f.Disc, f.DiscTotal)},
		{yearID, year},
		{"TCON", f.Genre},
	} {
		if fr.text == "" {
			continue
		}
		body, err := enc(fr.text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fr.id, err)
		}
		frames = append(frames, fr.id...)
		if version == 4 {
			frames = appendSynchsafe(frames, len(body))
		} else {
			frames = binary.BigEndian.AppendUint32(frames, uint32(len(body)))
		}
		frames = append(frames, 0, 0) // frame flags
		frames = append(frames, body...)
	}

	dst = append(dst, 'I', 'D', '3', version, 0, 0) // revision 0, no flags
	dst = appendSynchsafe(dst, len(frames)+id3v2Padding)
	dst = append(dst, frames...)
	return append(dst, make([]byte, id3v2Padding)...), nil
}

// ofTotal formats a TRCK or TPOS value: "3/10", "3", or "" for 0.
func ofTotal(n, total int) string {
	switch {
	case n == 0:
		return ""
	case total == 0:
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + "/" + strconv.Itoa(total)
}

// appendSynchsafe appends n as an ID3v2 synchsafe integer: four bytes of
// seven bits each.
func appendSynchsafe(dst []byte, n int) []byte {
	return append(dst, byte(n>>21&0x7F), byte(n>>14&0x7F), byte(n>>7&0x7F), byte(n&0x7F))
}

// encodeLatin1Frame returns a text frame body in ISO-8859-1 (encoding 0).
func encodeLatin1Frame(s string) ([]byte, error) {
	b, err := latin1(s)
	if err != nil {
		return nil, err
	}
	return append([]byte{0}, b...), nil
}

// encodeUTF8Frame returns a text frame body in UTF-8 (encoding 3, v2.4
// only).
func encodeUTF8Frame(s string) ([]byte, error) {
	return append([]byte{3}, s...), nil
}

// encodeUTF16Frame returns a function that makes a text frame body in
// UTF-16 with a byte order mark (encoding 1) in byte order bo.
func encodeUTF16Frame(bo binary.AppendByteOrder) func(string) ([]byte, error) {
	return func(s string) ([]byte, error) {
		b := bo.AppendUint16([]byte{1}, 0xFEFF)
		for _, u := range utf16.Encode([]rune(s)) {
			b = bo.AppendUint16(b, u)
		}
		return b, nil
	}
}

// latin1 returns s in ISO-8859-1, or an error if s has a rune it lacks.
func latin1(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, fmt.Errorf("%q has %q, which ISO-8859-1 lacks", s, r)
		}
		b = append(b, byte(r))
	}
	return b, nil
}

// id3v1Genres maps the genres that ID3v1 files of the catalogue use to
// their numbers in the ID3v1 genre list.
var id3v1Genres = map[string]byte{
	"Rock":        17,
	"Alternative": 20,
	"Metal":       9,
	"Electronic":  52,
	"Hard Rock":   79,
}

// appendID3v1 appends f's ID3v1.1 tag: 128 bytes at the end of the file,
// ISO-8859-1 text in zero-padded 30-byte fields, and the track number in
// the last byte of the comment.
func appendID3v1(dst []byte, f File) ([]byte, error) {
	genre, ok := id3v1Genres[f.Genre]
	if !ok {
		return nil, fmt.Errorf("genre %q is not in the ID3v1 list used here", f.Genre)
	}
	if f.TrackNo < 1 || f.TrackNo > 255 {
		return nil, fmt.Errorf("track %d does not fit ID3v1.1", f.TrackNo)
	}
	var year string
	if f.Year != 0 {
		year = fmt.Sprintf("%04d", f.Year)
	}

	tag := make([]byte, 128)
	copy(tag, "TAG")
	for _, field := range []struct {
		name, text string
		off, size  int
	}{
		{"title", f.Title, 3, 30},
		{"artist", f.Artist, 33, 30},
		{"album", f.Album, 63, 30},
		{"year", year, 93, 4},
	} {
		b, err := latin1(field.text)
		if err != nil {
			return nil, fmt.Errorf("ID3v1 %s: %w", field.name, err)
		}
		if len(b) > field.size {
			return nil, fmt.Errorf("ID3v1 %s %q is longer than %d bytes", field.name, field.text, field.size)
		}
		copy(tag[field.off:], b)
	}
	// Comment: 28 bytes, then a zero byte that marks ID3v1.1, then the
	// track number.
	tag[126] = byte(f.TrackNo)
	tag[127] = genre
	return append(dst, tag...), nil
}
