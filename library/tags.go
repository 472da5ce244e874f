package library

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dhowden/tag"
)

// tags is what a file's own metadata says about it.
type tags struct {
	artist, albumArtist, album, title, genre string
	track, disc, year                        int
}

// fill completes t with the fields that u has and t lacks.
func (t *tags) fill(u tags) {
	t.artist = cmpOr(t.artist, u.artist)
	t.albumArtist = cmpOr(t.albumArtist, u.albumArtist)
	t.album = cmpOr(t.album, u.album)
	t.title = cmpOr(t.title, u.title)
	t.genre = cmpOr(t.genre, u.genre)
	t.track = cmpOr(t.track, u.track)
	t.disc = cmpOr(t.disc, u.disc)
	t.year = cmpOr(t.year, u.year)
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

var (
	// errNoTag means the file has no tag that this package can read; the
	// path alone describes it.
	errNoTag = errors.New("no tag found")
)

// panicError is a panic inside dhowden/tag, recovered.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

const (
	// headSize is how much of a file the first read takes. Most ID3v2 tags
	// without cover art fit, so one ReadAt gets the header and the whole
	// tag; a 4 KiB read costs about the same as a 10-byte one.
	headSize = 4 << 10
	// maxTagSize bounds the bytes read for one file's tag, whatever its
	// header claims. Cover art rarely passes a few MiB.
	maxTagSize = 64 << 20
	// keepBufSize is the largest buffer a worker keeps between files; a
	// larger tag gets a buffer of its own that the GC takes back.
	keepBufSize = 1 << 20
	id3v1Size   = 128
)

// tagReader reads the tags of one file after another. Each worker has its
// own, so its buffers are reused without locking.
type tagReader struct {
	buf  []byte // the start of the current file: buf[:have]
	have int
	tail [id3v1Size]byte
	br   bytes.Reader
	bufr bufReader
}

// read returns the tags of a file of the given size, read through ra. The
// error is errNoTag, an *ioError, a *panicError or another error, which
// means the tag is corrupt.
//
// MP3s take a fast path: the ID3v2 tag is read whole with one or two ReadAt
// calls, no further than the tag header says, and the ID3v1 tag with one
// more; dhowden/tag then parses those bytes in memory. Any other format is
// parsed by dhowden/tag through a buffered reader over the file.
func (r *tagReader) read(ra io.ReaderAt, size int64) (tags, error) {
	defer r.release()
	if err := r.ensure(ra, min(size, headSize)); err != nil {
		return tags{}, err
	}
	head := r.buf[:r.have]
	switch {
	case bytes.HasPrefix(head, []byte("ID3")):
		return r.readID3(ra, size)
	case len(head) >= 8 && otherFormat(head):
		return r.readOther(ra, size)
	}
	v1, err := r.readID3v1(ra, size, 0)
	if err != nil {
		return tags{}, err
	}
	if v1 == nil {
		return tags{}, errNoTag
	}
	return *v1, nil
}

// otherFormat reports whether a file starts like one that dhowden/tag reads
// by itself (see tag.ReadFrom).
func otherFormat(head []byte) bool {
	switch string(head[:4]) {
	case "fLaC", "OggS", "DSD ":
		return true
	}
	return string(head[4:8]) == "ftyp"
}

// readID3 reads a file that starts with an ID3v2 tag.
func (r *tagReader) readID3(ra io.ReaderAt, size int64) (tags, error) {
	if r.have < 10 {
		return tags{}, errors.New("ID3v2: truncated header")
	}
	h := r.buf[:10]
	tagSize := 10 + syncsafe(h[6:10])
	if h[3] == 4 && h[5]&0x10 != 0 {
		tagSize += 10 // footer
	}
	end := min(tagSize, size, maxTagSize)
	if err := r.ensure(ra, end); err != nil {
		return tags{}, err
	}
	var v2 tags
	err := protect(func() error {
		r.br.Reset(r.buf[:end])
		m, err := tag.ReadID3v2Tags(&r.br)
		if err != nil {
			return err
		}
		v2 = fromMetadata(m)
		return nil
	})
	var pe *panicError
	if errors.As(err, &pe) {
		return tags{}, err
	}
	v1, v1err := r.readID3v1(ra, size, tagSize)
	if v1err != nil {
		return tags{}, v1err
	}
	if err != nil {
		if v1 == nil {
			return tags{}, fmt.Errorf("ID3v2: %w", endsEarly(err, tagSize, size))
		}
		return *v1, nil // the ID3v2 tag is corrupt, but the ID3v1 tag will do
	}
	if v1 != nil {
		v2.fill(*v1)
	}
	return v2, nil
}

// syncsafe decodes the 28-bit big-endian integers of ID3v2 headers, seven
// bits to a byte.
func syncsafe(b []byte) int64 {
	var n int64
	for _, c := range b {
		n = n<<7 | int64(c&0x7f)
	}
	return n
}

// readID3v1 reads the ID3v1 tag in the last 128 bytes of the file, if there
// is one after the first tagEnd bytes. It returns nil if there is none.
func (r *tagReader) readID3v1(ra io.ReaderAt, size, tagEnd int64) (*tags, error) {
	off := size - id3v1Size
	if off < tagEnd {
		return nil, nil
	}
	if off < int64(r.have) {
		// The tail overlaps what was read already; read on to the end
		// rather than back, so that forward-only files work too.
		if err := r.ensure(ra, size); err != nil {
			return nil, err
		}
		copy(r.tail[:], r.buf[off:size])
	} else if n, err := ra.ReadAt(r.tail[:], off); n < id3v1Size {
		return nil, asIOError(err)
	}
	if string(r.tail[:3]) != "TAG" {
		return nil, nil
	}
	var v1 tags
	err := protect(func() error {
		r.br.Reset(r.tail[:])
		m, err := tag.ReadID3v1Tags(&r.br)
		if err != nil {
			return err
		}
		v1 = fromMetadata(m)
		return nil
	})
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		return nil, err
	case err != nil:
		return nil, nil // a broken ID3v1 tag is as good as none
	}
	return &v1, nil
}

// readOther reads the tags of a FLAC, Ogg, MP4 or DSF file.
func (r *tagReader) readOther(ra io.ReaderAt, size int64) (tags, error) {
	r.bufr.reset(ra, size, maxTagSize, r.buf[:r.have])
	r.bufr.mp4 = string(r.buf[4:8]) == "ftyp"
	var t tags
	err := protect(func() error {
		m, err := tag.ReadFrom(&r.bufr)
		if err != nil {
			return err
		}
		t = fromMetadata(m)
		return nil
	})
	switch {
	case err == nil:
		return t, nil
	case r.bufr.err != nil:
		// dhowden/tag formats some errors with %v, losing their type.
		return tags{}, r.bufr.err
	case errors.Is(err, tag.ErrNoTagsFound):
		return tags{}, errNoTag
	}
	return tags{}, fmt.Errorf("%s: %w", formatName(r.buf[:8]), endsEarly(err, 0, size))
}

func formatName(head []byte) string {
	switch string(head[:4]) {
	case "fLaC":
		return "FLAC"
	case "OggS":
		return "Ogg"
	case "DSD ":
		return "DSF"
	}
	return "MP4"
}

// endsEarly explains the io.EOF that dhowden/tag returns when a tag claims
// more bytes than there are.
func endsEarly(err error, tagSize, size int64) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if tagSize > size {
		return fmt.Errorf("header says %d bytes, file has %d: %w", tagSize, size, err)
	}
	return fmt.Errorf("data ends inside a frame or block: %w", err)
}

// protect runs fn, turning a panic into a *panicError. Everything that
// touches dhowden/tag runs inside it: its parsers and its accessors, some of
// which assert types that a malformed file can change (an MP4 title atom of
// data type 21 makes Title() panic with "interface {} is int, not string").
func protect(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{v}
		}
	}()
	return fn()
}

// fromMetadata copies the fields this package uses out of m.
func fromMetadata(m tag.Metadata) tags {
	t := tags{
		artist:      cleanTag(m.Artist()),
		albumArtist: cleanTag(m.AlbumArtist()),
		album:       cleanTag(m.Album()),
		title:       cleanTag(m.Title()),
		genre:       cleanTag(m.Genre()),
		year:        m.Year(),
	}
	t.track, _ = m.Track()
	t.disc, _ = m.Disc()
	if t.track < 0 {
		t.track = 0
	}
	if t.disc < 0 {
		t.disc = 0
	}
	if t.year < 0 || t.year > 9999 {
		t.year = 0
	}
	return t
}

// cleanTag trims a tag value and makes it valid UTF-8. dhowden/tag returns
// ID3v1 text and ID3v2 "UTF-8" frames as raw bytes; text with no valid
// multi-byte sequence is read as Latin-1, which ID3v1 specifies and old
// taggers wrote everywhere. Otherwise bad bytes become U+FFFD.
func cleanTag(s string) string {
	s = strings.Trim(s, "\x00")
	if !utf8.ValidString(s) {
		s = toUTF8(s)
	}
	return strings.TrimSpace(s)
}

func toUTF8(s string) string {
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		if c != utf8.RuneError && n > 1 {
			return strings.ToValidUTF8(s, "\uFFFD")
		}
		i += n
	}
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

// ensure makes r.buf[:n] hold the first n bytes of the file, reading only
// what is missing.
func (r *tagReader) ensure(ra io.ReaderAt, n int64) error {
	if n <= int64(r.have) {
		return nil
	}
	if int64(cap(r.buf)) < n {
		buf := make([]byte, max(n, min(2*int64(cap(r.buf)), keepBufSize), headSize))
		copy(buf, r.buf[:r.have])
		r.buf = buf
	}
	r.buf = r.buf[:cap(r.buf)]
	m, err := ra.ReadAt(r.buf[r.have:n], int64(r.have))
	r.have += m
	if int64(r.have) < n {
		return asIOError(err)
	}
	return nil
}

// release forgets the current file, and a buffer too large to keep.
func (r *tagReader) release() {
	r.have = 0
	if cap(r.buf) > keepBufSize {
		r.buf = nil
	}
}

// asIOError wraps the error of a short read.
func asIOError(err error) *ioError {
	if err == nil || err == io.EOF {
		err = errShortFile
	}
	return &ioError{err}
}
