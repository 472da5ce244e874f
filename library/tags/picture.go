package tags

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Cover art. Read only locates a file's pictures, without reading their
// bytes (a scan would otherwise read 100 KiB or more a file): Tags.Picture
// says where the first one is. ReadPicture reads the bytes, for a program
// that shows them, one file at a time.
//
// The pictures read: ID3v2 APIC frames (PIC in version 2.2), in MP3 files
// and in the ID3v2 chunks of WAV and AIFF files; FLAC PICTURE blocks; the
// METADATA_BLOCK_PICTURE field of Vorbis comments (Ogg Vorbis, Opus, and
// FLAC's own comment); the first picture of an MP4 file's covr item; and
// what github.com/dhowden/tag finds in a DSF file's ID3v2 tag.

// PictureAt locates a picture inside a file: the offset and length of the
// frame, block, comment field or atom that holds it (for a Vorbis comment,
// of the field within the comment). They change when the picture does, so
// they identify it without its bytes being read. Length is 0 when the file
// holds no picture.
type PictureAt struct {
	Offset, Length int64
}

// Picture is a picture a file holds.
type Picture struct {
	// MIME is the type the bytes show (ImageType), or failing that the
	// one the file declares, which may be anything.
	MIME string
	// Type is the picture's role as ID3v2 and FLAC number them: 3 is the
	// front cover, 0 "other". MP4 pictures, which have no role, are 3.
	Type int
	Data []byte
}

// ErrNoPicture is ReadPicture's error for a file that holds no picture it
// can read.
var ErrNoPicture = errors.New("no picture")

// PictureTooLargeError is ReadPicture's error for a file whose picture is
// larger than the limit it was given.
type PictureTooLargeError struct {
	Size, Limit int64 // Size is a lower bound when the picture is compressed
}

func (e *PictureTooLargeError) Error() string {
	return fmt.Sprintf("picture of %d bytes, more than the limit of %d", e.Size, e.Limit)
}

// frontCover is the picture type of a front cover.
const frontCover = 3

// ReadPicture reads the tags of a file of the given size as Read does, and
// the picture the file holds: the front cover if one is marked so, else
// the first picture. Tags.Picture is what Read reports, so a caller can
// tell that the file still holds the picture it located before. A file
// with no picture gives ErrNoPicture; one whose picture has more than
// limit bytes, a *PictureTooLargeError; other errors are Read's. The
// picture's bytes are the caller's.
func (r *Reader) ReadPicture(f io.Reader, size int64, limit int) (Tags, Picture, error) {
	req := pictureRequest{limit: int64(limit)}
	r.pic = &req
	defer func() { r.pic = nil }()
	t, err := r.Read(f, size)
	switch {
	case err != nil:
		return t, Picture{}, err
	case req.got.Data != nil:
		return t, req.got, nil
	case req.err != nil:
		return t, Picture{}, req.err
	}
	return t, Picture{}, ErrNoPicture
}

// ReadPicture reads the picture of a file as Reader.ReadPicture does, with
// a Reader of its own.
func ReadPicture(f io.Reader, size int64, limit int) (Tags, Picture, error) {
	var r Reader
	return r.ReadPicture(f, size, limit)
}

// pictureRequest is what ReadPicture asks of the format readers: they fill
// got with the first picture they can take, or err with why they could
// not take one.
type pictureRequest struct {
	limit int64
	got   Picture
	err   error
}

// wantPictures reports whether the readers are to locate pictures.
func (r *Reader) wantPictures() bool { return r.pic != nil || !r.SkipPictures }

// pending reports whether a picture is asked for and none taken yet.
func (q *pictureRequest) pending() bool { return q != nil && q.got.Data == nil }

// take offers a picture; the first taken is kept. data is copied.
func (q *pictureRequest) take(declared string, typ int, data []byte) {
	if !q.pending() {
		return
	}
	if int64(len(data)) > q.limit {
		q.err = &PictureTooLargeError{Size: int64(len(data)), Limit: q.limit}
		return
	}
	mime := ImageType(data)
	if mime == "" {
		mime = declared
	}
	q.got = Picture{MIME: mime, Type: typ, Data: bytes.Clone(data)}
	if q.got.Data == nil {
		q.got.Data = []byte{}
	}
}

// tooLarge reports whether a picture whose container holds n bytes has
// more than the limit, noting it if so. The container's headers (MIME
// type, description) are allowed for.
func (q *pictureRequest) tooLarge(n int64) bool {
	if n > q.limit+64<<10 {
		q.err = &PictureTooLargeError{Size: n - 64<<10, Limit: q.limit}
		return true
	}
	return false
}

// takeFront offers the front cover among candidates of the given sizes,
// else the first that reads: read(i) gives candidate i's declared MIME
// type, picture type and bytes, which may be the Reader's (valid until
// its next read).
func (q *pictureRequest) takeFront(sizes []int64, read func(i int) (mime string, typ int, data []byte, err error)) {
	var first *Picture
	for i, n := range sizes {
		if q.tooLarge(n) {
			continue
		}
		mime, typ, data, err := read(i)
		if err != nil {
			q.fail(err)
			continue
		}
		if typ == frontCover {
			q.take(mime, typ, data)
			return
		}
		if first == nil {
			first = &Picture{MIME: mime, Type: typ, Data: bytes.Clone(data)}
		}
	}
	if first != nil {
		q.take(first.MIME, first.Type, first.Data)
	}
}

// fail notes why a picture could not be taken, unless one was.
func (q *pictureRequest) fail(err error) {
	if q.pending() && q.err == nil {
		q.err = err
	}
}

// ImageType names the image format of b by its first bytes: image/jpeg,
// image/png, image/gif, image/webp or image/bmp, or "" for anything else.
func ImageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	case len(b) >= 14 && string(b[:2]) == "BM":
		return "image/bmp"
	}
	return ""
}

// isPictureFrame reports whether an ID3v2 frame ID is a picture's: APIC,
// or PIC in version 2.2.
func isPictureFrame(id []byte) bool {
	return string(id) == "APIC" || string(id) == "PIC"
}

// id3Picture is an ID3v2 picture frame found by parseID3v2.
type id3Picture struct {
	off, size int64 // the frame's data, in the tag
	flags     byte  // the frame's flags (2.3 and 2.4)
}

// takeID3Picture offers ReadPicture the front cover among the picture
// frames of an ID3v2 tag, or the first one.
func (r *Reader) takeID3Picture(src *tagBytes, version byte, tagUnsync bool, frames []id3Picture) {
	sizes := make([]int64, len(frames))
	for i, fr := range frames {
		sizes[i] = fr.size
	}
	r.pic.takeFront(sizes, func(i int) (string, int, []byte, error) {
		return r.id3PictureData(src, version, tagUnsync, frames[i])
	})
}

// id3PictureData reads a picture frame: its declared MIME type, its
// picture type and the picture, in a slice of its own.
func (r *Reader) id3PictureData(src *tagBytes, version byte, tagUnsync bool, fr id3Picture) (string, int, []byte, error) {
	b, err := src.get(fr.off, fr.size)
	if err != nil {
		return "", 0, nil, err
	}
	// frameData undoes 2.4's unsynchronisation in place: work on a copy,
	// as the bytes are the reader's.
	b = bytes.Clone(b)
	compressed := version == 3 && fr.flags&0x80 != 0 || version == 4 && fr.flags&0x08 != 0
	flags := fr.flags
	if compressed {
		flags &^= 0x88
		if version == 3 {
			if len(b) < 4 {
				return "", 0, nil, errors.New("APIC: compressed frame cut short")
			}
			b = b[4:] // the size once decompressed
		}
	}
	b, ok := frameData(b, version, flags, tagUnsync)
	if !ok {
		return "", 0, nil, errors.New("APIC: encrypted frame")
	}
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return "", 0, nil, fmt.Errorf("APIC: %w", err)
		}
		b, err = io.ReadAll(io.LimitReader(zr, r.pic.limit+64<<10+1))
		if err != nil {
			return "", 0, nil, fmt.Errorf("APIC: %w", err)
		}
	}
	return parseAPIC(b, version == 2)
}

// parseAPIC reads the content of an APIC frame (PIC with v22): text
// encoding, MIME type (a three-letter format in 2.2), picture type,
// description, then the picture.
func parseAPIC(b []byte, v22 bool) (string, int, []byte, error) {
	if len(b) < 2 {
		return "", 0, nil, errors.New("APIC: frame cut short")
	}
	enc := b[0]
	b = b[1:]
	var mime string
	if v22 {
		if len(b) < 3 {
			return "", 0, nil, errors.New("PIC: frame cut short")
		}
		mime = "image/" + strings.ToLower(string(b[:3]))
		if mime == "image/jpg" {
			mime = "image/jpeg"
		}
		b = b[3:]
	} else {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", 0, nil, errors.New("APIC: MIME type not terminated")
		}
		mime = strings.ToLower(string(b[:i]))
		b = b[i+1:]
	}
	if len(b) < 1 {
		return "", 0, nil, errors.New("APIC: frame cut short")
	}
	typ := int(b[0])
	b = b[1:]
	// The description ends with a zero, two in UTF-16 (on a character's
	// boundary).
	if enc == 1 || enc == 2 {
		i := 0
		for ; i+1 < len(b) && (b[i] != 0 || b[i+1] != 0); i += 2 {
		}
		if i+1 >= len(b) {
			return "", 0, nil, errors.New("APIC: description not terminated")
		}
		b = b[i+2:]
	} else {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return "", 0, nil, errors.New("APIC: description not terminated")
		}
		b = b[i+1:]
	}
	return mime, typ, b, nil
}

// parseFLACPicture reads a FLAC PICTURE block (also the content of a
// METADATA_BLOCK_PICTURE field): type, MIME type, description,
// dimensions, then the picture.
func parseFLACPicture(b []byte) (string, int, []byte, error) {
	errCut := errors.New("FLAC picture: block cut short")
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		return n, true
	}
	field := func() ([]byte, bool) {
		n, ok := u32()
		if !ok || uint64(n) > uint64(len(b)) {
			return nil, false
		}
		f := b[:n]
		b = b[n:]
		return f, true
	}
	typ, ok := u32()
	if !ok {
		return "", 0, nil, errCut
	}
	mime, ok := field()
	if !ok {
		return "", 0, nil, errCut
	}
	if _, ok := field(); !ok { // description
		return "", 0, nil, errCut
	}
	if len(b) < 16 { // width, height, depth, colours
		return "", 0, nil, errCut
	}
	b = b[16:]
	data, ok := field()
	if !ok {
		return "", 0, nil, errCut
	}
	return strings.ToLower(string(mime)), int(min(typ, 1<<20)), data, nil
}

// takeCommentPicture offers ReadPicture the front cover among the
// METADATA_BLOCK_PICTURE fields of a Vorbis comment (base64 FLAC picture
// blocks), or the first one.
func (r *Reader) takeCommentPicture(values [][]byte) {
	sizes := make([]int64, len(values))
	for i, v := range values {
		sizes[i] = int64(base64.StdEncoding.DecodedLen(len(v)))
	}
	r.pic.takeFront(sizes, func(i int) (string, int, []byte, error) {
		block, err := decodeBase64(values[i])
		if err != nil {
			return "", 0, nil, fmt.Errorf("METADATA_BLOCK_PICTURE: %w", err)
		}
		return parseFLACPicture(block)
	})
}

// decodeBase64 decodes standard base64, with or without its padding.
func decodeBase64(v []byte) ([]byte, error) {
	v = bytes.TrimRight(bytes.TrimSpace(v), "=")
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(v)))
	n, err := base64.RawStdEncoding.Decode(out, v)
	return out[:n], err
}
