package tags

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// The tests of the ID3v2 parser build their tags byte by byte, with what
// librarytest's writer, which writes tags as taggers do, never writes: frame
// flags (compression, encryption, grouping, data length, unsynchronisation),
// version 2.2, extended headers, UTF-16 without a byte order mark or with
// encoding 2, and stuffing after every 0xFF.

// rawFrame returns an ID3v2 frame with the given format flags (the second
// flags byte) around data, sized as version does it.
func rawFrame(version byte, id string, flags byte, data []byte) []byte {
	b := []byte(id)
	switch version {
	case 2:
		n := len(data)
		return append(append(b, byte(n>>16), byte(n>>8), byte(n)), data...)
	case 3:
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	default:
		b = append(b, librarytest.AppendSyncsafe(nil, len(data))...)
	}
	return append(append(b, 0, flags), data...)
}

// rawTag returns an ID3v2 tag with header flags, frames and 32 bytes of
// padding.
func rawTag(version, flags byte, frames ...[]byte) []byte {
	body := append(bytes.Join(frames, nil), make([]byte, 32)...)
	h := librarytest.ID3v2Header(version, len(body))
	h[5] = flags
	return append(h, body...)
}

func latin1Text(s string) []byte { return append([]byte{0}, s...) }
func utf8Text(s string) []byte   { return append([]byte{3}, s...) }

func utf16Text(s string, bo binary.ByteOrder, bom bool) []byte {
	b := []byte{1}
	if !bom {
		b[0] = 2
	}
	var u []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			u = append(u, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
		} else {
			u = append(u, uint16(r))
		}
	}
	if bom {
		u = append([]uint16{0xFEFF}, u...)
	}
	for _, c := range u {
		var two [2]byte
		bo.PutUint16(two[:], c)
		b = append(b, two[:]...)
	}
	return b
}

// stuff applies unsynchronisation: a zero byte after every 0xFF.
func stuff(b []byte) []byte {
	var out []byte
	for _, c := range b {
		out = append(out, c)
		if c == 0xFF {
			out = append(out, 0)
		}
	}
	return out
}

func TestParseID3v2(t *testing.T) {
	title := func(version byte, flags byte, data []byte) []byte {
		return rawTag(version, 0, rawFrame(version, "TIT2", flags, data))
	}
	v23unsync := func() []byte {
		frames := append(rawFrame(3, "TIT2", 0, utf16Text("Ünsync", binary.LittleEndian, true)),
			rawFrame(3, "TPE1", 0, latin1Text("\xff\xe0 band"))...)
		body := stuff(append(frames, make([]byte, 16)...))
		return append([]byte{'I', 'D', '3', 3, 0, 0x80}, append(librarytest.AppendSyncsafe(nil, len(body)), body...)...)
	}()
	v23unsyncNoPadding := func() []byte {
		body := stuff(rawFrame(3, "TIT2", 0, utf16Text("No padding", binary.LittleEndian, true)))
		return append([]byte{'I', 'D', '3', 3, 0, 0x80}, append(librarytest.AppendSyncsafe(nil, len(body)), body...)...)
	}()
	v24frameUnsync := rawTag(4, 0, rawFrame(4, "TIT2", 0x02|0x01,
		append(librarytest.AppendSyncsafe(nil, 11), stuff(utf16Text("Ÿes", binary.LittleEndian, true))...)))
	v23ext := func() []byte {
		frames := append([]byte{0, 0, 0, 6, 0, 0, 0, 0, 0, 0}, rawFrame(3, "TIT2", 0, latin1Text("Ext"))...)
		frames = append(frames, make([]byte, 8)...)
		return append([]byte{'I', 'D', '3', 3, 0, 0x40}, append(librarytest.AppendSyncsafe(nil, len(frames)), frames...)...)
	}()
	v24ext := func() []byte {
		frames := append([]byte{0, 0, 0, 6, 1, 0}, rawFrame(4, "TIT2", 0, utf8Text("Ext4"))...)
		frames = append(frames, make([]byte, 8)...)
		return append([]byte{'I', 'D', '3', 4, 0, 0x40}, append(librarytest.AppendSyncsafe(nil, len(frames)), frames...)...)
	}()

	for _, tc := range []struct {
		name string
		data []byte
		want Tags
		err  string
	}{
		{"2.2", rawTag(2, 0, rawFrame(2, "TT2", 0, latin1Text("Old")), rawFrame(2, "TP1", 0, latin1Text("Band")),
			rawFrame(2, "TCO", 0, latin1Text("(13)")), rawFrame(2, "TYE", 0, latin1Text("1998"))),
			Tags{Title: "Old", Artist: "Band", Genre: "Pop", Year: 1998}, ""},
		// The compression flag of a 2.2 tag with a plain frame where the
		// compressed data would start lies: read on, as TagLib does.
		{"2.2 compression flag, plain frames", rawTag(2, 0x40, rawFrame(2, "TT2", 0, latin1Text("x"))), Tags{Title: "x"}, ""},
		{"2.2 compressed tag", rawTag(2, 0x40, []byte("\x78\x9c\x01\x02\x03\x04\x05\x06")), Tags{}, ""},
		{"2.3 unsynchronised", v23unsync, Tags{Title: "Ünsync", Artist: "ÿà band"}, ""},
		{"2.3 unsynchronised, no padding", v23unsyncNoPadding, Tags{Title: "No padding"}, ""},
		{"2.4 frame unsynchronised, data length", v24frameUnsync, Tags{Title: "Ÿes"}, ""},
		{"2.4 tag unsynchronised", rawTag(4, 0x80, rawFrame(4, "TIT2", 0, stuff(utf16Text("Ÿ", binary.LittleEndian, true)))),
			Tags{Title: "Ÿ"}, ""},
		{"2.3 extended header", v23ext, Tags{Title: "Ext"}, ""},
		{"2.4 extended header", v24ext, Tags{Title: "Ext4"}, ""},
		{"2.3 group byte", title(3, 0x20, append([]byte{7}, latin1Text("Grouped")...)), Tags{Title: "Grouped"}, ""},
		{"2.4 group byte", title(4, 0x40, append([]byte{7}, utf8Text("Grouped")...)), Tags{Title: "Grouped"}, ""},
		{"2.3 compressed frame left out", rawTag(3, 0, rawFrame(3, "TIT2", 0x80, []byte("\x00\x00\x00\x05zzzzz")),
			rawFrame(3, "TPE1", 0, latin1Text("Kept"))), Tags{Artist: "Kept"}, ""},
		{"2.4 encrypted frame left out", title(4, 0x04, []byte("\x01secret")), Tags{}, ""},
		{"first frame wins", rawTag(3, 0, rawFrame(3, "TIT2", 0, latin1Text("One")), rawFrame(3, "TIT2", 0, latin1Text("Two"))),
			Tags{Title: "One"}, ""},
		{"UTF-16 big-endian BOM", title(3, 0, utf16Text("Größe", binary.BigEndian, true)), Tags{Title: "Größe"}, ""},
		{"UTF-16 without BOM", title(3, 0, append([]byte{1}, utf16Text("Nö", binary.LittleEndian, false)[1:]...)),
			Tags{Title: "Nö"}, ""},
		{"UTF-16BE, encoding 2", title(4, 0, utf16Text("Zwei", binary.BigEndian, false)), Tags{Title: "Zwei"}, ""},
		{"UTF-16 surrogate pair", title(3, 0, utf16Text("Emoji 🎵", binary.LittleEndian, true)), Tags{Title: "Emoji 🎵"}, ""},
		{"UTF-16 lone surrogate", title(3, 0, []byte{1, 0xFF, 0xFE, 0x00, 0xD8, 'a', 0}), Tags{Title: "\uFFFDa"}, ""},
		{"UTF-16 odd length", title(3, 0, []byte{1, 0xFF, 0xFE, 'o', 0, 'k'}), Tags{Title: "o"}, ""},
		{"Latin-1", title(3, 0, latin1Text("Caf\xe9")), Tags{Title: "Café"}, ""},
		{"unknown encoding as Latin-1", title(3, 0, []byte("\x09Caf\xe9")), Tags{Title: "Café"}, ""},
		{"UTF-8 that is not", title(4, 0, utf8Text("Caf\xe9")), Tags{Title: "Café"}, ""},
		{"several values", title(4, 0, utf8Text("One\x00Two\x00\x00")), Tags{Title: "One; Two"}, ""},
		{"several UTF-16 values", title(4, 0, append(utf16Text("A", binary.BigEndian, true),
			append([]byte{0, 0}, utf16Text("B", binary.LittleEndian, true)[1:]...)...)), Tags{Title: "A; B"}, ""},
		{"terminated", title(3, 0, latin1Text("Done\x00")), Tags{Title: "Done"}, ""},
		{"numbers", rawTag(4, 0, rawFrame(4, "TRCK", 0, utf8Text("07/12")), rawFrame(4, "TPOS", 0, utf8Text(" 2")),
			rawFrame(4, "TDRC", 0, utf8Text("1999-04-17T10:00"))), Tags{Track: 7, Disc: 2, Year: 1999}, ""},
		{"TDRC in 2.3", rawTag(3, 0, rawFrame(3, "TDRC", 0, latin1Text("2001"))), Tags{Year: 2001}, ""},
		{"year out of range", rawTag(3, 0, rawFrame(3, "TYER", 0, latin1Text("99999"))), Tags{}, ""},
		{"junk frame ID ends the frames", rawTag(3, 0, rawFrame(3, "TIT2", 0, latin1Text("Before")),
			[]byte("x\x01junk..."), rawFrame(3, "TPE1", 0, latin1Text("After"))), Tags{Title: "Before"}, ""},
		{"frame past the tag", append(rawTag(3, 0)[:10], rawFrame(3, "TIT2", 0, latin1Text("Long"))[:12]...),
			Tags{}, "TIT2: frame runs past the end of the tag"},
		{"version 5", []byte("ID3\x05\x00\x00\x00\x00\x00\x00"), Tags{}, "version 2.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "frame past the tag" {
				tc.data[9] = byte(len(tc.data) - 10) // a header that covers what is there
			}
			var r Reader
			got, err := r.read(bytes.NewReader(tc.data), int64(len(tc.data)))
			if tc.err == "" && err != nil && err != ErrNoTag || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestID3v2Genre(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Rock", "Rock"},
		{"(17)", "Rock"},
		{"17", "Rock"},
		{"(4)Eurodisco", "Eurodisco"},
		{"(17)(18)", "Rock Techno"},
		{"(RX)", "Remix"},
		{"CR", "Cover"},
		{"((Parenthesised)", "(Parenthesised)"},
		{"(999)", "(999)"},
		{"(0)", "Blues"},
		{"0", "Blues"},
		{"2 Step", "2 Step"},
		{"(131)", "Indie"},
		{"Rock; 13", "Rock; Pop"},
		{"(12", "(12"},
	} {
		if got := id3v2Genre(tc.in); got != tc.want {
			t.Errorf("id3v2Genre(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// countingReaderAt counts the calls and bytes of ReadAt.
type countingReaderAt struct {
	r            io.ReaderAt
	calls, bytes int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	c.bytes += len(p)
	return c.r.ReadAt(p, off)
}

// TestID3v2ReadsLittle checks what the reader leaves unread: a cover
// picture, padding, and an ID3v1 tag that could add nothing. The audio
// starts with an Info frame, as LAME writes it: its duration costs one
// read of the first frame when the tag is larger than the first read.
func TestID3v2ReadsLittle(t *testing.T) {
	full := []librarytest.Frame{{ID: "TPE1", Text: "Artist"}, {ID: "TALB", Text: "Album"}, {ID: "TIT2", Text: "Title"},
		{ID: "TRCK", Text: "1"}, {ID: "TYER", Text: "2001"}, {ID: "TCON", Text: "Rock"}}
	cover := bytes.Repeat([]byte{0xFF, 0xD8}, 50_000)
	v1 := librarytest.ID3v1{Title: "V1 title", Track: 3, Genre: 17}.Append(nil)
	const frames = 100
	want := Tags{Artist: "Artist", Album: "Album", Title: "Title", Track: 1, Year: 2001, Genre: "Rock",
		Duration: frames * 1152 * time.Second / 44100}
	tag := func(frames []librarytest.Frame, cover []byte, coverFirst bool) []byte {
		return librarytest.ID3v2{Version: 3, Frames: frames, Cover: cover, CoverFirst: coverFirst, Padding: 8000}.Append(nil)
	}

	for _, tc := range []struct {
		name     string
		tag      []byte
		maxCalls int
		maxBytes int
		picture  PictureAt // the APIC frame: 10 bytes of header, 14 of MIME type and such, the picture
	}{
		{"cover first", tag(full, cover, true), 3, 3 * headSize, PictureAt{10, 10 + 14 + 100_000}},
		{"cover last", tag(full, cover, false), 3, 3 * headSize, PictureAt{101, 10 + 14 + 100_000}},
		{"no cover, long padding", tag(full, nil, false), 2, 2 * headSize, PictureAt{}},
		{"no cover, short padding", librarytest.ID3v2{Version: 3, Frames: full, Padding: 100}.Append(nil), 1, headSize, PictureAt{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := cat(tc.tag, librarytest.Audio{Frames: frames, Bitrate: 128, Stereo: true, Info: true}.Append(nil), v1)
			c := &countingReaderAt{r: bytes.NewReader(data)}
			var r Reader
			got, err := r.read(c, int64(len(data)))
			want := want
			want.Picture = tc.picture
			if err != nil || got != want {
				t.Fatalf("read = %+v, %v; want %+v", got, err, want)
			}
			if c.calls > tc.maxCalls || c.bytes > tc.maxBytes {
				t.Errorf("%d reads of %d bytes in all, want at most %d reads of %d bytes (the tag has %d)",
					c.calls, c.bytes, tc.maxCalls, tc.maxBytes, len(tc.tag))
			}
		})
	}

	t.Run("ID3v1 still read when it can add", func(t *testing.T) {
		data := cat(tag(full[:2], nil, false), audio(20000), v1)
		var r Reader
		got, err := r.read(bytes.NewReader(data), int64(len(data)))
		if err != nil || got.Title != "V1 title" || got.Genre != "Rock" {
			t.Errorf("read = %+v, %v; want the ID3v1 title and genre", got, err)
		}
	})
}
