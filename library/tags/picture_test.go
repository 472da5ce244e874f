package tags

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image/color"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// pngOf is a small PNG in two colours.
func pngOf(c color.RGBA) []byte {
	return librarytest.PNG(librarytest.CoverImage(8, c, color.RGBA{0, 0, 0, 255}))
}

var (
	red   = pngOf(color.RGBA{200, 30, 30, 255})
	blue  = pngOf(color.RGBA{30, 30, 200, 255})
	jpegy = append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("jpeg"), 40)...) // a JPEG to ImageType
)

// apic is the content of an APIC frame: Latin-1, a MIME type, a picture
// type and a description.
func apic(mime string, typ byte, desc string, data []byte) []byte {
	return cat([]byte{0}, []byte(mime), []byte{0, typ}, []byte(desc), []byte{0}, data)
}

// flacBlock is a FLAC metadata block.
func flacBlock(typ byte, last bool, data []byte) []byte {
	if last {
		typ |= 0x80
	}
	return cat([]byte{typ, byte(len(data) >> 16), byte(len(data) >> 8), byte(len(data))}, data)
}

// flacPicture is the content of a FLAC PICTURE block, as a
// METADATA_BLOCK_PICTURE field also holds it.
func flacPicture(typ uint32, mime string, data []byte) []byte {
	be := func(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }
	return cat(be(int(typ)), be(len(mime)), []byte(mime), be(4), []byte("desc"),
		be(8), be(8), be(24), be(0), be(len(data)), data)
}

// flacFile is a FLAC stream's marker, STREAMINFO and blocks.
func flacFile(blocks ...[]byte) []byte {
	return cat([]byte("fLaC"), flacBlock(0, false, make([]byte, 34)), bytes.Join(blocks, nil), audio(200))
}

// zlibbed is b compressed, as a compressed ID3v2 frame holds it.
func zlibbed(b []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func TestReadPicture(t *testing.T) {
	comment := vorbisComment("TITLE=T", "METADATA_BLOCK_PICTURE="+base64.StdEncoding.EncodeToString(flacPicture(3, "image/png", red)))
	twoPictures := vorbisComment("TITLE=T",
		"METADATA_BLOCK_PICTURE="+base64.StdEncoding.EncodeToString(flacPicture(4, "image/png", blue)),
		"metadata_block_picture="+base64.RawStdEncoding.EncodeToString(flacPicture(3, "image/png", red)))
	unsyncFrame := rawFrame(4, "APIC", 0x02, unsyncBytes(apic("image/png", 3, "", red)))
	v23compressed := cat(binary.BigEndian.AppendUint32(nil, uint32(len(apic("image/png", 3, "", red)))),
		zlibbed(apic("image/png", 3, "", red)))
	unsyncTag := librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TIT2", Text: "U"}}, Cover: jpegy, Unsync: true}.Append(nil)

	for _, tc := range []struct {
		name string
		data []byte
		want []byte // the picture; nil for ErrNoPicture
		mime string
		typ  int
	}{
		{"ID3v2.3 cover after the text", cat(librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TIT2", Text: "T"}}, Cover: jpegy}.Append(nil), audio(300)),
			jpegy, "image/jpeg", 3},
		{"ID3v2.4 cover before the text", cat(librarytest.ID3v2{Version: 4, Frames: []librarytest.Frame{{ID: "TIT2", Text: "T"}}, Cover: jpegy, CoverFirst: true}.Append(nil), audio(300)),
			jpegy, "image/jpeg", 3},
		{"ID3v2.2 PIC", cat(rawTag(2, 0, rawFrame(2, "TT2", 0, latin1Text("T")), rawFrame(2, "PIC", 0, cat([]byte{0}, []byte("PNG"), []byte{3}, []byte("d\x00"), red))), audio(300)),
			red, "image/png", 3},
		{"front cover after the back cover", cat(rawTag(3, 0, rawFrame(3, "APIC", 0, apic("image/png", 4, "back", blue)), rawFrame(3, "APIC", 0, apic("image/png", 3, "front", red))), audio(300)),
			red, "image/png", 3},
		{"no front cover: the first", cat(rawTag(3, 0, rawFrame(3, "APIC", 0, apic("image/png", 0, "", blue)), rawFrame(3, "APIC", 0, apic("image/png", 4, "", red))), audio(300)),
			blue, "image/png", 0},
		{"UTF-16 description", cat(rawTag(3, 0, rawFrame(3, "APIC", 0, cat([]byte{1}, []byte("image/png\x00\x03"), utf16Text("Front", binary.LittleEndian, true)[1:], []byte{0, 0}, red))), audio(300)),
			red, "image/png", 3},
		{"ID3v2.3 unsynchronised tag", cat(unsyncTag, audio(300)), jpegy, "image/jpeg", 3},
		{"ID3v2.4 unsynchronised frame", cat(rawTag(4, 0, unsyncFrame), audio(300)), red, "image/png", 3},
		{"ID3v2.3 compressed frame", cat(rawTag(3, 0, rawFrame(3, "APIC", 0x80, v23compressed)), audio(300)), red, "image/png", 3},
		{"MIME type says JPEG, bytes are PNG", cat(rawTag(3, 0, rawFrame(3, "APIC", 0, apic("image/jpg", 3, "", red))), audio(300)),
			red, "image/png", 3},
		{"FLAC block after the comment", flacFile(flacBlock(4, false, vorbisComment("TITLE=T")), flacBlock(6, false, flacPicture(3, "image/png", red)), flacBlock(1, true, make([]byte, 100))),
			red, "image/png", 3},
		{"FLAC block before the comment", flacFile(flacBlock(6, false, flacPicture(3, "image/png", red)), flacBlock(4, true, vorbisComment("TITLE=T"))),
			red, "image/png", 3},
		{"FLAC front cover of two", flacFile(flacBlock(4, false, vorbisComment("TITLE=T")), flacBlock(6, false, flacPicture(5, "image/png", blue)), flacBlock(6, true, flacPicture(3, "image/png", red))),
			red, "image/png", 3},
		{"FLAC picture in the comment", flacFile(flacBlock(4, true, comment)), red, "image/png", 3},
		{"FLAC behind an ID3v2 tag", cat(librarytest.Tag(3, "TIT2", "ID3"), flacFile(flacBlock(4, false, vorbisComment("TITLE=T")), flacBlock(6, true, flacPicture(3, "image/png", red)))),
			red, "image/png", 3},
		{"Ogg Vorbis", cat(oggPage(0, cat([]byte("\x01vorbis"), make([]byte, 23))), oggPage(1, cat([]byte("\x03vorbis"), comment, []byte{1}))),
			red, "image/png", 3},
		{"Opus, front cover of two, no padding", cat(oggPage(0, cat([]byte("OpusHead"), make([]byte, 11))), oggPage(1, cat([]byte("OpusTags"), twoPictures))),
			red, "image/png", 3},
		{"MP4 covr", librarytest.MP4(100, librarytest.MP4Item("\xa9nam", 1, []byte("M")), librarytest.MP4Item("covr", 14, red)),
			red, "image/png", 3},
		{"MP4 covr, untyped", librarytest.MP4(0, librarytest.MP4Item("covr", 0, jpegy)), jpegy, "image/jpeg", 3},
		{"WAV id3 chunk", cat([]byte("RIFF\x00\x00\x00\x00WAVE"), chunk("fmt ", make([]byte, 16), false),
			chunk("id3 ", rawTag(3, 0, rawFrame(3, "TIT2", 0, latin1Text("W")), rawFrame(3, "APIC", 0, apic("image/png", 3, "", red))), false)),
			red, "image/png", 3},
		{"AIFF ID3 chunk", cat([]byte("FORM\x00\x00\x00\x00AIFF"), chunk("COMM", make([]byte, 18), true),
			chunk("ID3 ", rawTag(4, 0, rawFrame(4, "APIC", 0, apic("image/png", 3, "", red))), true)),
			red, "image/png", 3},
		{"MP3 without a picture", cat(librarytest.Tag(3, "TIT2", "T"), audio(300)), nil, "", 0},
		{"FLAC without a picture", flacFile(flacBlock(4, false, vorbisComment("TITLE=T")), flacBlock(1, true, make([]byte, 100))), nil, "", 0},
		{"MP4 without a picture", librarytest.MP4(0, librarytest.MP4Item("\xa9nam", 1, []byte("M"))), nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Reader
			tags, pic, err := r.ReadPicture(bytes.NewReader(tc.data), int64(len(tc.data)), 1<<20)
			if tc.want == nil {
				if !errors.Is(err, ErrNoPicture) || tags.Picture != (PictureAt{}) {
					t.Fatalf("ReadPicture: %v, picture at %+v; want ErrNoPicture", err, tags.Picture)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadPicture: %v", err)
			}
			if !bytes.Equal(pic.Data, tc.want) || pic.MIME != tc.mime || pic.Type != tc.typ {
				t.Errorf("picture %s, type %d, %d bytes; want %s, type %d, %d bytes (same bytes: %v)",
					pic.MIME, pic.Type, len(pic.Data), tc.mime, tc.typ, len(tc.want), bytes.Equal(pic.Data, tc.want))
			}
			// Read locates the same picture, without reading it.
			got, err := r.Read(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil || got != tags || got.Picture.Length == 0 {
				t.Errorf("Read = %+v, %v; ReadPicture's tags %+v", got, err, tags)
			}
			if tc.data[0] == 'I' || tc.data[0] == 'f' || tc.data[0] == 'R' || tc.data[0] == 'F' {
				// In these formats the offset is the file's.
				at := got.Picture
				if at.Offset < 0 || at.Offset+at.Length > int64(len(tc.data)) {
					t.Errorf("picture at %+v, outside the file's %d bytes", at, len(tc.data))
				}
			}
			// SkipPictures leaves it out.
			r.SkipPictures = true
			if got, err := r.Read(bytes.NewReader(tc.data), int64(len(tc.data))); err != nil || got.Picture != (PictureAt{}) {
				t.Errorf("with SkipPictures, Read = %+v, %v; want no picture", got, err)
			}
		})
	}
}

// unsyncBytes applies ID3v2 unsynchronisation to b.
func unsyncBytes(b []byte) []byte {
	var out []byte
	for i, c := range b {
		out = append(out, c)
		if c == 0xFF && (i+1 == len(b) || b[i+1] >= 0xE0 || b[i+1] == 0) {
			out = append(out, 0)
		}
	}
	return out
}

func TestReadPictureLimit(t *testing.T) {
	big := append(bytes.Clone(jpegy), make([]byte, 200_000)...)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"ID3v2", cat(librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TIT2", Text: "T"}}, Cover: big}.Append(nil), audio(300))},
		{"FLAC", flacFile(flacBlock(4, false, vorbisComment("TITLE=T")), flacBlock(6, true, flacPicture(3, "image/jpeg", big)))},
		{"MP4", librarytest.MP4(0, librarytest.MP4Item("covr", 13, big))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadPicture(bytes.NewReader(tc.data), int64(len(tc.data)), 100_000)
			var tl *PictureTooLargeError
			if !errors.As(err, &tl) || tl.Limit != 100_000 || tl.Size < 100_000 {
				t.Fatalf("err = %v, want a *PictureTooLargeError", err)
			}
			_, pic, err := ReadPicture(bytes.NewReader(tc.data), int64(len(tc.data)), 300_000)
			if err != nil || !bytes.Equal(pic.Data, big) {
				t.Fatalf("with a limit above it: %v, %d bytes", err, len(pic.Data))
			}
		})
	}
}

// TestPictureAtChanges: a new picture of another size, or one moved by a
// longer title, is located elsewhere; the same file, at the same place.
func TestPictureAtChanges(t *testing.T) {
	file := func(title string, cover []byte) []byte {
		return cat(librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TIT2", Text: title}}, Cover: cover}.Append(nil), audio(300))
	}
	at := func(b []byte) PictureAt {
		t.Helper()
		tg, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return tg.Picture
	}
	a := at(file("Title", jpegy))
	if a != at(file("Title", jpegy)) {
		t.Error("the same file locates its picture elsewhere")
	}
	if a == at(file("Title", append(bytes.Clone(jpegy), 1))) {
		t.Error("a larger picture is located at the same place")
	}
	if a == at(file("A longer title", jpegy)) {
		t.Error("a picture after a longer title is located at the same place")
	}
}

// TestDamageAfterTheFields: a tag whose every field is read before a
// damaged frame reads as before pictures were looked for: whole, with no
// picture.
func TestDamageAfterTheFields(t *testing.T) {
	fields := [][]byte{}
	for _, f := range []struct{ id, text string }{{"TPE1", "A"}, {"TPE2", "AA"}, {"TALB", "B"}, {"TIT2", "T"},
		{"TCON", "Rock"}, {"TRCK", "1"}, {"TPOS", "1"}, {"TYER", "2001"}} {
		fields = append(fields, rawFrame(3, f.id, 0, latin1Text(f.text)))
	}
	tag := rawTag(3, 0, append(fields, []byte("APIC\x7f\x00\x00\x00\x00\x00junk"))...)
	data := cat(tag, audio(300))
	want := Tags{Artist: "A", AlbumArtist: "AA", Album: "B", Title: "T", Genre: "Rock", Track: 1, Disc: 1, Year: 2001,
		Duration: 18750 * time.Microsecond} // 300 bytes at 128 kbit/s
	var r Reader
	if got, err := r.Read(bytes.NewReader(data), int64(len(data))); err != nil || got != want {
		t.Errorf("Read = %+v, %v; want %+v", got, err, want)
	}
	if got, _, err := r.ReadPicture(bytes.NewReader(data), int64(len(data)), 1<<20); !errors.Is(err, ErrNoPicture) || got != want {
		t.Errorf("ReadPicture = %+v, %v; want %+v and ErrNoPicture", got, err, want)
	}
}

func TestImageType(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{red, "image/png"},
		{jpegy, "image/jpeg"},
		{[]byte("GIF89a......"), "image/gif"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "image/webp"},
		{[]byte("BM\x00\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"), "image/bmp"},
		{[]byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), ""},
		{[]byte("<html>"), ""},
		{nil, ""},
	} {
		if got := ImageType(tc.b); got != tc.want {
			t.Errorf("ImageType(%q) = %q, want %q", tc.b[:min(len(tc.b), 12)], got, tc.want)
		}
	}
}
