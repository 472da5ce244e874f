package tags

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/dhowden/tag"
)

// This file reads ID3v2.2, 2.3 and 2.4 tags (id3.org's specifications of
// those versions). It reads only the eight text frames this package uses,
// and only their bytes: a frame it does not use, such as a 100 KiB cover
// picture, is stepped over without being read; reading stops at the
// padding; and a tag that holds every field an ID3v1 tag could add spares
// the read of the file's last 128 bytes. Profiling showed dhowden/tag,
// which the scan used before, spending most of its time copying pictures
// into new slices and reading unsynchronised tags a byte at a time.

// field is one of the text frames that this package reads.
type field int

const (
	fArtist field = iota
	fAlbumArtist
	fAlbum
	fTitle
	fGenre
	fTrack
	fDisc
	fYear // TYER in 2.3, TDRC in 2.4; either is taken in both
	numFields
)

// frameField returns the field that a frame ID holds, or false for a
// frame this package does not read.
func frameField(id string) (field, bool) {
	switch id {
	case "TPE1", "TP1":
		return fArtist, true
	case "TPE2", "TP2":
		return fAlbumArtist, true
	case "TALB", "TAL":
		return fAlbum, true
	case "TIT2", "TT2":
		return fTitle, true
	case "TCON", "TCO":
		return fGenre, true
	case "TRCK", "TRK":
		return fTrack, true
	case "TPOS", "TPA":
		return fDisc, true
	case "TYER", "TDRC", "TYE":
		return fYear, true
	}
	return 0, false
}

const (
	// maxTextFrame bounds a text frame that is decoded; a larger one is
	// taken for damage and left out.
	maxTextFrame    = 1 << 20
	id3v2HeaderSize = 10
)

var (
	errFrameEnds = fmt.Errorf("frame runs past the end of the tag: %w", io.ErrUnexpectedEOF)
	errTagTooBig = errors.New("ID3v2 tag larger than the read limit")
)

// id3v2Tag is what parseID3v2 found.
type id3v2Tag struct {
	values [numFields]string
	found  [numFields]bool
	pic    PictureAt    // the first picture frame, in file offsets
	pics   []id3Picture // every picture frame, for ReadPicture
}

// parseID3v2 reads the frames of an ID3v2 tag whose 10-byte header is h and
// whose frames end at offset end, through src. Version 2.4 frames that say
// they are unsynchronised are undone in src's buffer.
//
// It stops once it has every field and knows whether the tag holds a
// picture (the first picture frame's header is enough): the frames after
// those are not read. For ReadPicture it reads every frame header, noting
// the picture frames.
func (r *Reader) parseID3v2(h []byte, end int64, src *tagBytes) (id3v2Tag, error) {
	var t id3v2Tag
	wantPic, allPics := r.wantPictures(), r.pic.pending()
	version, flags := h[3], h[5]
	off := int64(id3v2HeaderSize)
	switch {
	case version == 2 && flags&0x40 != 0:
		// A compressed 2.2 tag: the specification says to ignore it. But
		// no tagger compressed one, and a frame right there says the flag
		// lies, as TagLib takes it.
		if b, err := src.get(off, 3); err != nil || !validFrameID(b) {
			return t, nil
		}
	case version >= 3 && flags&0x40 != 0:
		b, err := src.get(off, 4)
		if err != nil {
			return t, fmt.Errorf("extended header: %w", err)
		}
		switch {
		case validFrameID(b) || b[3] == 0 && validFrameID(b[:3]):
			// The flag is set but a frame comes first: some taggers set it
			// and wrote no extended header. TagLib and mutagen read on.
		case version == 3:
			off += 4 + int64(be32(b)) // the size leaves itself out
		default:
			off += syncsafe(b) // the size counts itself
		}
	}
	hdrLen, idLen := int64(10), 4
	if version == 2 {
		hdrLen, idLen = 6, 3
	}
	tagUnsync := version == 4 && flags&0x80 != 0
	left := int(numFields)
	// Once every field is read, the frames are walked on only to find a
	// picture: damage there is no damage to the tag, and ends the walk.
	fail := func(err error) (id3v2Tag, error) {
		if left == 0 {
			return t, nil
		}
		return t, err
	}
	for off+hdrLen <= end && (left > 0 || wantPic && t.pic.Length == 0 || allPics) {
		if off+hdrLen > maxTagSize {
			return fail(errTagTooBig)
		}
		fh, err := src.get(off, hdrLen)
		if err != nil {
			return fail(err)
		}
		id := fh[:idLen]
		if idLen == 4 && id[3] == 0 && validFrameID(id[:3]) {
			id = id[:3] // a 2.2 name in a 2.3 or 2.4 tag, as some taggers wrote
		}
		if !validFrameID(id) {
			break // padding, or bytes no frame starts with
		}
		var frameFlags byte
		if version > 2 {
			frameFlags = fh[9]
		}
		f, wanted := frameField(string(id)) // a short conversion that does not escape: no allocation
		picture := wantPic && isPictureFrame(id)
		var size int64
		switch version {
		case 2:
			size = int64(fh[3])<<16 | int64(fh[4])<<8 | int64(fh[5])
		case 3:
			size = int64(be32(fh[4:8]))
		default:
			// fh is not valid after this: size24 may read on.
			size = r.size24(src, [4]byte(fh[4:8]), off+hdrLen, end)
		}
		frameOff, dataOff := off, off+hdrLen
		off = dataOff + size
		if off > end {
			return fail(fmt.Errorf("%s: %w", id, errFrameEnds))
		}
		if picture {
			if t.pic.Length == 0 {
				t.pic = PictureAt{Offset: frameOff, Length: hdrLen + size}
			}
			if allPics {
				t.pics = append(t.pics, id3Picture{dataOff, size, frameFlags})
			}
			continue
		}
		if !wanted || t.found[f] || size > maxTextFrame {
			continue
		}
		data, err := src.get(dataOff, size)
		if err != nil {
			return fail(err)
		}
		data, ok := frameData(data, version, frameFlags, tagUnsync)
		if !ok {
			continue
		}
		t.values[f] = r.decodeText(data, f == fArtist || f == fAlbumArtist || f == fAlbum || f == fGenre)
		t.found[f] = true
		left--
	}
	return t, nil
}

// frameData strips what stands between a frame's header and its content in
// versions 2.3 and 2.4 (a group byte, a data length), undoes 2.4's
// unsynchronisation, and reports false for frames that are compressed or
// encrypted, which this package does not read.
func frameData(b []byte, version, flags byte, tagUnsync bool) ([]byte, bool) {
	switch version {
	case 3:
		if flags&0xC0 != 0 { // compressed, encrypted
			return nil, false
		}
		if flags&0x20 != 0 { // group identity
			if len(b) < 1 {
				return nil, false
			}
			b = b[1:]
		}
	case 4:
		if flags&0x0C != 0 { // compressed, encrypted
			return nil, false
		}
		if flags&0x40 != 0 { // group identity
			if len(b) < 1 {
				return nil, false
			}
			b = b[1:]
		}
		if flags&0x02 != 0 || tagUnsync {
			b = deunsync(b)
		}
		if flags&0x01 != 0 { // data length indicator
			if len(b) < 4 {
				return nil, false
			}
			b = b[4:]
		}
	}
	return b, true
}

// validFrameID reports whether id is made of capital letters and digits, as
// frame IDs are. Padding starts with a zero byte, so it is not one.
// size24 is the size of an ID3v2.4 frame whose size bytes are b and whose
// data starts at data. The size is synchsafe by the standard, but iTunes
// and others wrote plain big-endian sizes in 2.4 tags, as TagLib and
// mutagen allow: where the two readings differ, the plain one is taken if
// a byte has its high bit set (no synchsafe size has), or if it, and not
// the synchsafe one, ends where the next frame, the padding or the tag's
// end begins.
func (r *Reader) size24(src *tagBytes, b [4]byte, data, end int64) int64 {
	safe, plain := syncsafe(b[:]), int64(be32(b[:]))
	switch {
	case safe == plain:
		return safe
	case b[0]|b[1]|b[2]|b[3] >= 0x80:
		return plain
	}
	fits := func(size int64) bool {
		next := data + size
		if next == end {
			return true
		}
		if next+4 > end {
			return false
		}
		h, err := src.get(next, 4)
		return err == nil && (validFrameID(h) || h[0] == 0)
	}
	if !fits(safe) && fits(plain) {
		return plain
	}
	return safe
}

func validFrameID(id []byte) bool {
	for _, c := range id {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// deunsync undoes unsynchronisation in place: every 0xFF 0x00 becomes 0xFF.
func deunsync(b []byte) []byte {
	i := bytes.Index(b, []byte{0xFF, 0})
	if i < 0 {
		return b
	}
	w, rd := i+1, i+2
	for rd < len(b) {
		j := bytes.Index(b[rd:], []byte{0xFF, 0})
		if j < 0 {
			w += copy(b[w:], b[rd:])
			break
		}
		w += copy(b[w:], b[rd:rd+j+1])
		rd += j + 2
	}
	return b[:w]
}

// decodeText decodes a text frame's content (an encoding byte, then text)
// into trimmed, valid UTF-8. A frame may hold several values separated by
// zero bytes; they are joined with "; ", leaving out empty ones. With share
// set, the worker returns the same string for the same text, so that the
// artists, albums and genres repeated from file to file cost no allocation.
func (r *Reader) decodeText(b []byte, share bool) string {
	if len(b) == 0 {
		return ""
	}
	enc, b := b[0], b[1:]
	out := r.text[:0]
	switch enc {
	case 1, 2:
		out = appendUTF16(out, b, enc == 1)
	case 3:
		out = append(out, b...)
	default: // 0 is ISO-8859-1, and so is anything unknown
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
	}
	r.text = out
	var s string
	switch {
	case bytes.IndexByte(out, 0) >= 0:
		var values []string
		for v := range bytes.SplitSeq(out, []byte{0}) {
			if v := cleanTag(string(v)); v != "" {
				values = append(values, v)
			}
		}
		s = strings.Join(values, "; ")
	case !utf8.Valid(out):
		s = cleanTag(string(out))
	default:
		out = bytes.TrimSpace(out)
		if !share {
			return string(out)
		}
		if s, ok := r.shared[string(out)]; ok { // no allocation for the lookup
			return s
		}
		s = string(out)
	}
	if share {
		if r.shared == nil {
			r.shared = make(map[string]string)
		}
		if v, ok := r.shared[s]; ok {
			return v
		}
		r.shared[s] = s
	}
	return s
}

// appendUTF16 appends UTF-16 text as UTF-8. With bom set, each value may
// start with a byte order mark; a value without one keeps the order of the
// value before, and the first is little-endian, as Windows taggers that
// leave the mark out write it. Without bom, the text is big-endian.
// Unpaired surrogates become U+FFFD, and a final odd byte is dropped.
func appendUTF16(out, b []byte, bom bool) []byte {
	little := bom // without a byte order mark, enc 1 is taken as little-endian
	start := true
	for i := 0; i+1 < len(b); i += 2 {
		if start && bom {
			start = false
			switch {
			case b[i] == 0xFF && b[i+1] == 0xFE:
				little = true
				continue
			case b[i] == 0xFE && b[i+1] == 0xFF:
				little = false
				continue
			}
		}
		u := rune(b[i])<<8 | rune(b[i+1])
		if little {
			u = rune(b[i+1])<<8 | rune(b[i])
		}
		start = u == 0
		if utf16.IsSurrogate(u) && i+3 < len(b) {
			u2 := rune(b[i+2])<<8 | rune(b[i+3])
			if little {
				u2 = rune(b[i+3])<<8 | rune(b[i+2])
			}
			if d := utf16.DecodeRune(u, u2); d != utf8.RuneError {
				out = utf8.AppendRune(out, d)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(u) {
			u = utf8.RuneError
		}
		out = utf8.AppendRune(out, u)
	}
	return out
}

// fromID3v2 turns the values of a tag's frames into tags.
func fromID3v2(t *id3v2Tag) Tags {
	v := &t.values
	return Tags{
		Artist:      v[fArtist],
		AlbumArtist: v[fAlbumArtist],
		Album:       v[fAlbum],
		Title:       v[fTitle],
		Genre:       id3v2Genre(v[fGenre]),
		Track:       leadingNumber(v[fTrack], 1<<20),
		Disc:        leadingNumber(v[fDisc], 1<<20),
		Year:        leadingNumber(v[fYear], 9999),
		Picture:     t.pic,
	}
}

// leadingNumber reads the number that s starts with ("7", "07/12",
// "1999-04-17"), or 0 if it starts with none or one above limit.
func leadingNumber(s string, limit int) int {
	n := 0
	for i := 0; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = 10*n + int(s[i]-'0')
		if n > limit {
			return 0
		}
	}
	return n
}

// id3v2Genre turns references to the ID3v1 genre list into names. Version
// 2.3 writes "(17)", or "(4)Eurodisco" where the text refines the
// reference; 2.4 writes "17"; "RX" and "CR" stand for Remix and Cover; "(("
// starts a name that begins with "(". Values joined by decodeText are
// resolved one by one.
func id3v2Genre(s string) string {
	if s == "" || s[0] != '(' && !isDigit(s[0]) && s != "RX" && s != "CR" && !strings.Contains(s, "; ") {
		return s
	}
	var out []string
	for v := range strings.SplitSeq(s, "; ") {
		out = append(out, genreValue(v))
	}
	return strings.Join(out, "; ")
}

func genreValue(v string) string {
	if n := leadingNumber(v, 255); n > 0 || v == "0" {
		if len(strconv.Itoa(n)) == len(v) {
			return genreName(n, v)
		}
	}
	switch v {
	case "RX":
		return "Remix"
	case "CR":
		return "Cover"
	}
	var refs []string
	for strings.HasPrefix(v, "(") && !strings.HasPrefix(v, "((") {
		ref, rest, ok := strings.Cut(v[1:], ")")
		if !ok {
			break
		}
		switch n := leadingNumber(ref, 255); {
		case ref == "RX":
			refs = append(refs, "Remix")
		case ref == "CR":
			refs = append(refs, "Cover")
		case ref != "" && len(strconv.Itoa(n)) == len(ref):
			refs = append(refs, genreName(n, "("+ref+")"))
		default:
			return v
		}
		v = strings.TrimSpace(rest)
	}
	if strings.HasPrefix(v, "((") {
		v = v[1:]
	}
	if v != "" || len(refs) == 0 {
		return v // a refinement says more than the references
	}
	return strings.Join(refs, " ")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// genreName names genre number n, or returns orig if the list has no such
// number.
func genreName(n int, orig string) string {
	if names := genreNames(); n < len(names) && names[n] != "" {
		return names[n]
	}
	return orig
}

// genreNames is the ID3v1 genre list with Winamp's additions, as
// dhowden/tag names them, so that genres read the same as they did when it
// parsed every ID3v2 tag. It is asked once, with a tiny tag per number.
var genreNames = sync.OnceValue(func() []string {
	var names []string
	for n := range 256 {
		ref := "(" + strconv.Itoa(n) + ")"
		frame := append([]byte("TCON\x00\x00\x00"), byte(1+len(ref)), 0, 0, 0)
		frame = append(frame, ref...)
		tg := append([]byte{'I', 'D', '3', 3, 0, 0, 0, 0, 0, byte(len(frame) + 10)}, frame...)
		tg = append(tg, make([]byte, 10)...)
		m, err := tag.ReadID3v2Tags(bytes.NewReader(tg))
		if err != nil {
			break
		}
		g := m.Genre()
		if g == ref {
			break
		}
		names = append(names, strings.TrimSpace(g))
	}
	return names
})
