package tags

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dhowden/tag"
)

// Tags is what a file's own metadata says about it: text trimmed and valid
// UTF-8, numbers 0 where the file gives none. Where a file holds both an
// ID3v2 and an ID3v1 tag, the ID3v1 tag fills what the ID3v2 tag lacks.
// Duration is the audio's, read from its headers (duration.go); 0 when
// they do not tell it.
type Tags struct {
	Artist, AlbumArtist, Album, Title, Genre string
	Track, Disc, Year                        int
	Duration                                 time.Duration

	// Picture locates the file's first picture (cover art), whose bytes
	// are not read: ReadPicture reads them. Zero when it holds none, or
	// when the Reader skips pictures.
	Picture PictureAt
}

// fill completes t with the fields that u has and t lacks.
func (t *Tags) fill(u Tags) {
	t.Artist = cmp.Or(t.Artist, u.Artist)
	t.AlbumArtist = cmp.Or(t.AlbumArtist, u.AlbumArtist)
	t.Album = cmp.Or(t.Album, u.Album)
	t.Title = cmp.Or(t.Title, u.Title)
	t.Genre = cmp.Or(t.Genre, u.Genre)
	t.Track = cmp.Or(t.Track, u.Track)
	t.Disc = cmp.Or(t.Disc, u.Disc)
	t.Year = cmp.Or(t.Year, u.Year)
	t.Picture = cmp.Or(t.Picture, u.Picture)
}

// noText reports whether t holds no text or number, a picture aside.
func (t Tags) noText() bool {
	t.Picture = PictureAt{}
	return t == Tags{}
}

// ErrNoTag is the error of a file that holds no tag this package reads:
// its path alone can describe it.
var ErrNoTag = errors.New("no tag found")

// ErrCorrupt is wrapped by the error of a file that starts like a tagged
// one (ID3v2, FLAC, Ogg, MP4, DSF) but whose tag cannot be parsed. The
// error says what is wrong.
var ErrCorrupt = errors.New("corrupt tag")

// corruptError is a parse error, marked as ErrCorrupt; its text is the
// parser's.
type corruptError struct{ err error }

func (e *corruptError) Error() string        { return e.err.Error() }
func (e *corruptError) Unwrap() error        { return e.err }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

// PanicError is the error of a file that made a parser panic: the panic is
// recovered, and Value holds what it was called with. Parsers that
// github.com/dhowden/tag provides assert types that a malformed file can
// change.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ReadError is the error of a file that could not be read (an I/O error,
// or fewer bytes than its size), as opposed to one whose content is wrong:
// another read may succeed.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// isPanic reports whether err is or wraps a *PanicError. (The variable that
// errors.As fills escapes to the heap; declared here, it costs an
// allocation only when there is an error to look at.)
func isPanic(err error) bool {
	if err == nil {
		return false
	}
	var pe *PanicError
	return errors.As(err, &pe)
}

// isReadError reports whether err is or wraps a *ReadError.
func isReadError(err error) bool {
	var re *ReadError
	return errors.As(err, &re)
}

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

// A Reader reads the tags of one file after another, reusing its buffers
// and the strings it has decoded. The zero value is ready to use. A Reader
// is not safe for concurrent use: give each goroutine its own.
type Reader struct {
	// SkipPictures leaves Tags.Picture zero: Read then spares the reads
	// that locating a picture can cost (a frame header or two past the
	// text frames; see BENCHMARKS.md). ReadPicture ignores it.
	SkipPictures bool

	pic *pictureRequest // set while ReadPicture runs

	buf  []byte // the start of the current file: buf[:have]
	have int
	// win[:winLen] holds the file's bytes from winOff: the frames of an
	// ID3v2 tag that lie past buf.
	win    []byte
	winOff int64
	winLen int
	text   []byte // decodeText's scratch
	// shared holds the artists, album artists, albums and genres decoded
	// so far, each once, so that a string seen before is not allocated
	// again. It grows with the library, and goes with the Reader.
	shared map[string]string
	tail   [id3v1Size]byte
	// before holds the apeFooterSize bytes before tail, when readID3v1
	// read them (a file with no ID3v2 tag): an APEv2 footer before an
	// ID3v1 tag is there, with no read backward.
	before    [apeFooterSize]byte
	hasBefore bool
	// end[:endLen] are the file's last bytes, as readID3v1 read them.
	end    [apeFooterSize + id3v1Size]byte
	endLen int
	br     bytes.Reader
	bufr   bufReader
	// dur is the duration a format's reader found on its way to the tag;
	// mpegAt is where MPEG audio starts, -1 when the file is not MPEG.
	dur     time.Duration
	mpegAt  int64
	scratch []byte // the reads of duration.go
}

// Read returns the tags of a file of the given size: ID3v2 (2.2, 2.3 and
// 2.4) and ID3v1 tags of MP3 files, and through github.com/dhowden/tag the
// tags of FLAC, Ogg, MP4 and DSF files, told apart by their first bytes.
// The error is ErrNoTag, ErrNotAudio (no tag, and the bytes are not
// audio), a *ReadError, a *PanicError, or one that wraps ErrCorrupt; whatever the bytes, Read returns, and reads at most 64 MiB.
// With ErrNoTag, the Tags returned hold the audio's Duration if it has one.
//
// f is read with ReadAt if it has that method (an *os.File has), otherwise
// with Seek and Read if it can seek, otherwise strictly forward, which is
// enough for most files. The Tags returned keep none of the Reader's
// buffers.
func (r *Reader) Read(f io.Reader, size int64) (Tags, error) {
	t, err := r.read(readerAt(f), size)
	if err != nil && err != ErrNoTag && err != ErrNotAudio && !isPanic(err) && !isReadError(err) {
		err = &corruptError{err}
	}
	return t, err
}

// Read returns the tags of a file of the given size, as Reader.Read does,
// with a Reader of its own. Reading many files, keep a Reader.
func Read(f io.Reader, size int64) (Tags, error) {
	var r Reader
	return r.Read(f, size)
}

// read is Read on an io.ReaderAt. The error is ErrNoTag, a *ReadError, a
// *PanicError or another error, which means the tag is corrupt.
//
// MP3s take a fast path: the frames of the ID3v2 tag that this package uses
// are read with one ReadAt (the first headSize bytes) when they are near the
// start, a few more when a picture or padding stands in the way, and parsed
// here (see id3v2.go); the ID3v1 tag takes one more, when the ID3v2 tag
// leaves something to add, and is parsed by dhowden/tag. Any other format is
// parsed by dhowden/tag through a buffered reader over the file.
func (r *Reader) read(ra io.ReaderAt, size int64) (Tags, error) {
	defer r.release()
	r.dur, r.mpegAt, r.endLen, r.hasBefore = 0, -1, 0, false
	t, err := r.readTags(ra, size)
	if err != nil && err != ErrNoTag {
		return t, err
	}
	t.Duration = r.dur
	if r.mpegAt >= 0 {
		t.Duration = r.mpegDuration(ra, size, r.mpegAt)
	}
	return t, err
}

// readTags is read without the duration of MPEG audio: formats whose
// readers see their duration on the way set r.dur, and an MPEG file sets
// r.mpegAt to where its audio starts.
func (r *Reader) readTags(ra io.ReaderAt, size int64) (Tags, error) {
	if err := r.ensure(ra, min(size, headSize)); err != nil {
		return Tags{}, err
	}
	head := r.buf[:r.have]
	switch {
	case bytes.HasPrefix(head, []byte("ID3")):
		if off, ok := r.flacAfterID3(); ok {
			// The FLAC file's own comment first, as TagLib and mutagen
			// read it; the ID3v2 tag fills what it lacks.
			t, err := r.readFLAC(ra, size, off)
			if err != nil && err != ErrNoTag {
				return Tags{}, err
			}
			if id, err2 := r.readID3(ra, off); err2 == nil {
				t.fill(id)
			} else if err == ErrNoTag {
				return Tags{}, err2
			}
			return t, nil
		}
		r.mpegAt = id3v2End(head)
		return r.readID3(ra, size)
	case bytes.HasPrefix(head, []byte("fLaC")):
		return r.readFLAC(ra, size, 0)
	case bytes.HasPrefix(head, []byte("OggS")):
		return r.readOgg(ra, size)
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		return r.readChunks(ra, size, false)
	case len(head) >= 12 && string(head[:4]) == "FORM" && (string(head[8:12]) == "AIFF" || string(head[8:12]) == "AIFC"):
		return r.readChunks(ra, size, true)
	case len(head) >= 8 && string(head[4:8]) == "ftyp":
		t, err := r.readMP4(ra, size)
		if err != nil && err != ErrNoTag && !isReadError(err) {
			err = fmt.Errorf("MP4: %w", err)
		}
		return t, err
	case len(head) >= 8 && otherFormat(head):
		return r.readOther(ra, size)
	}
	if looksLikeAtoms(head, size) {
		// An MP4 file whose ftyp atom is damaged (TagLib and mutagen go by
		// the name and read it): its moov atom may be whole.
		if t, err := r.readMP4(ra, size); err == nil {
			return t, nil
		}
	}
	v1, err := r.readID3v1(ra, size, 0)
	if err != nil {
		return Tags{}, err
	}
	if v1 != nil || looksLikeAudio(head, size) {
		r.mpegAt = 0 // MPEG audio, or none: mpegDuration tells
	}
	ape, err := r.readAPE(ra, size, v1 != nil)
	switch {
	case err != nil:
		return Tags{}, err
	case ape != nil && v1 != nil:
		ape.fill(*v1)
		return *ape, nil
	case ape != nil:
		return *ape, nil
	case v1 == nil && !looksLikeAudio(head, size):
		return Tags{}, ErrNotAudio
	case v1 == nil:
		return Tags{}, ErrNoTag
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

// readID3 reads a file that starts with an ID3v2 tag, and the ID3v1 tag at
// its end unless the ID3v2 tag holds every field that one could add.
func (r *Reader) readID3(ra io.ReaderAt, size int64) (Tags, error) {
	if r.have < id3v2HeaderSize {
		return Tags{}, errors.New("ID3v2: truncated header")
	}
	var h [id3v2HeaderSize]byte
	copy(h[:], r.buf)
	if h[3] < 2 || h[3] > 4 {
		return Tags{}, fmt.Errorf("ID3v2: version 2.%d, want 2.2, 2.3 or 2.4", h[3])
	}
	end := id3v2HeaderSize + syncsafe(h[6:10]) // where the frames and padding end
	tagSize := end
	if h[3] == 4 && h[5]&0x10 != 0 {
		tagSize += 10 // footer
	}

	src := tagBytes{r: r, ra: ra, size: size, end: end}
	if h[3] < 4 && h[5]&0x80 != 0 {
		// Versions 2.2 and 2.3 unsynchronise the whole tag, frame headers
		// included: read all of it and undo that in place.
		n := min(end, size, maxTagSize)
		if err := r.ensure(ra, n); err != nil {
			return Tags{}, err
		}
		src.body = deunsync(r.buf[id3v2HeaderSize:n])
		src.inMemory = true
		if n == end {
			end = id3v2HeaderSize + int64(len(src.body))
		}
	}

	// A file cut short inside its tag keeps the frames that are whole, as
	// TagLib reads them (mutagen gives up on the tag); one cut before its
	// first whole frame is corrupt.
	cut := end > size
	if cut {
		end = size
	}
	var v2, partial Tags
	err := protect(func() error {
		t, err := r.parseID3v2(h[:], end, &src)
		if len(t.pics) > 0 {
			r.takeID3Picture(&src, h[3], h[3] == 4 && h[5]&0x80 != 0, t.pics)
		}
		if err != nil && !(cut && errors.Is(err, io.ErrUnexpectedEOF)) {
			partial = fromID3v2(&t) // the frames before the damage
			return err
		}
		v2 = fromID3v2(&t)
		if cut && v2.noText() {
			return errFrameEnds // cut short before its first whole frame: corrupt
		}
		return nil
	})
	if isPanic(err) {
		return Tags{}, err
	}
	if err == nil && v2.Artist != "" && v2.Album != "" && v2.Title != "" && v2.Genre != "" &&
		v2.Track != 0 && v2.Year != 0 {
		return v2, nil // an ID3v1 tag could add nothing
	}
	v1, v1err := r.readID3v1(ra, size, tagSize)
	if v1err != nil {
		return Tags{}, v1err
	}
	if err != nil {
		// A damaged tag in front of whole audio: the file keeps its audio
		// and takes what it can from the frames before the damage, the
		// ID3v1 tag, and (the scan's part) its path, as TagLib does. With
		// no audio after it, the file is corrupt.
		if r.audioAfter(ra, size, tagSize) {
			if v1 != nil {
				partial.fill(*v1)
			}
			if partial.noText() {
				return Tags{}, ErrNoTag
			}
			return partial, nil
		}
		if v1 == nil {
			return Tags{}, fmt.Errorf("ID3v2: %w", endsEarly(err, tagSize, size))
		}
		return *v1, nil // the ID3v2 tag is corrupt, but the ID3v1 tag will do
	}
	if v1 != nil {
		v2.fill(*v1)
	}
	return v2, nil
}

// audioAfter reports whether MPEG audio follows a tag that ends at off.
func (r *Reader) audioAfter(ra io.ReaderAt, size, off int64) bool {
	if off >= size || off+headSize > maxTagSize {
		return false
	}
	b, err := r.span(ra, size, off, min(headSize, size-off))
	return err == nil && hasMPEGFrames(b, size-off)
}

// tagBytes gives the bytes of an ID3v2 tag's frames.
type tagBytes struct {
	r         *Reader
	ra        io.ReaderAt
	size, end int64 // the file's size, where the tag's frames end
	// body is the whole tag after its header, unsynchronisation undone,
	// when inMemory; otherwise get reads through r.at.
	body     []byte
	inMemory bool
}

// get returns n bytes at offset off from the start of the tag, valid until
// the next call.
func (b *tagBytes) get(off, n int64) ([]byte, error) {
	if !b.inMemory {
		return b.r.at(b.ra, b.size, b.end, off, n)
	}
	if off+n > id3v2HeaderSize+int64(len(b.body)) {
		return nil, errFrameEnds
	}
	return b.body[off-id3v2HeaderSize : off-id3v2HeaderSize+n], nil
}

// at returns the n bytes of the file at offset off, which lie before the
// tag's end, valid until the next call. Bytes past the start of the file
// already read come from there; others are read into a window of at least
// headSize bytes, so that the frame headers that follow need no read of
// their own, but never past the tag's end.
func (r *Reader) at(ra io.ReaderAt, size, end, off, n int64) ([]byte, error) {
	switch {
	case off+n > size:
		return nil, errFrameEnds
	case off+n <= int64(r.have):
		return r.buf[off : off+n], nil
	case off >= r.winOff && off+n <= r.winOff+int64(r.winLen):
		return r.win[off-r.winOff : off-r.winOff+n], nil
	}
	want := max(n, min(headSize, end-off, size-off))
	if int64(cap(r.win)) < want {
		r.win = make([]byte, max(want, headSize))
	}
	r.win = r.win[:cap(r.win)]
	// Copy what the start of the file holds already, so that a file that
	// can only be read forward is never read backward.
	have := int64(0)
	if off < int64(r.have) {
		have = int64(copy(r.win[:want], r.buf[off:r.have]))
	}
	m, err := ra.ReadAt(r.win[have:want], off+have)
	if have+int64(m) < want {
		r.winLen = 0
		return nil, asReadError(err)
	}
	r.winOff, r.winLen = off, int(want)
	return r.win[:n], nil
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
func (r *Reader) readID3v1(ra io.ReaderAt, size, tagEnd int64) (*Tags, error) {
	off := size - id3v1Size
	r.hasBefore, r.endLen = false, 0
	if off < tagEnd {
		return nil, nil
	}
	// Without an ID3v2 tag, the 32 bytes before too: where an APEv2
	// footer stands in front of an ID3v1 tag (readAPE).
	from := off
	if tagEnd == 0 && off >= apeFooterSize {
		from = off - apeFooterSize
	}
	var b [apeFooterSize + id3v1Size]byte
	tail := b[:size-from]
	if from < int64(r.have) {
		// The tail overlaps what was read already; read on to the end
		// rather than back, so that forward-only files work too.
		if err := r.ensure(ra, size); err != nil {
			return nil, err
		}
		copy(tail, r.buf[from:size])
	} else if n, err := ra.ReadAt(tail, from); n < len(tail) {
		return nil, asReadError(err)
	}
	copy(r.tail[:], tail[len(tail)-id3v1Size:])
	r.endLen = copy(r.end[:], tail)
	if len(tail) > id3v1Size {
		copy(r.before[:], tail)
		r.hasBefore = true
	}
	if string(r.tail[:3]) != "TAG" {
		return nil, nil
	}
	var v1 Tags
	err := protect(func() error {
		r.br.Reset(r.tail[:])
		m, err := tag.ReadID3v1Tags(&r.br)
		if err != nil {
			return err
		}
		v1 = fromMetadata(m)
		// ID3v1 fields end at their first NUL: old rippers left bytes
		// after it, which TagLib and mutagen ignore.
		for _, f := range []*string{&v1.Artist, &v1.Album, &v1.Title} {
			*f, _, _ = strings.Cut(*f, "\x00")
			*f = strings.TrimSpace(*f)
		}
		return nil
	})
	switch {
	case isPanic(err):
		return nil, err
	case err != nil:
		return nil, nil // a broken ID3v1 tag is as good as none
	}
	return &v1, nil
}

// readOther reads the tags of a FLAC, Ogg, MP4 or DSF file.
func (r *Reader) readOther(ra io.ReaderAt, size int64) (Tags, error) {
	r.bufr.reset(ra, size, maxTagSize, r.buf[:r.have])
	r.bufr.mp4 = string(r.buf[4:8]) == "ftyp"
	var t Tags
	err := protect(func() error {
		m, err := tag.ReadFrom(&r.bufr)
		if err != nil {
			return err
		}
		t = fromMetadata(m)
		if m.Format() == tag.MP4 {
			t.Artist, t.AlbumArtist, t.Genre = mp4Values(t.Artist), mp4Values(t.AlbumArtist), mp4Values(t.Genre)
		}
		if p := m.Picture(); p != nil && len(p.Data) > 0 && r.wantPictures() {
			// dhowden/tag read the picture already, and says not where
			// it was: its length locates it well enough.
			t.Picture = PictureAt{Length: int64(len(p.Data))}
			if r.pic.pending() {
				typ := 0
				if p.Type == "Cover (front)" {
					typ = frontCover
				}
				r.pic.take(p.MIMEType, typ, p.Data)
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return t, nil
	case r.bufr.err != nil:
		// dhowden/tag formats some errors with %v, losing their type.
		return Tags{}, r.bufr.err
	case errors.Is(err, tag.ErrNoTagsFound):
		return Tags{}, ErrNoTag
	}
	return Tags{}, fmt.Errorf("%s: %w", formatName(r.buf[:8]), endsEarly(err, 0, size))
}

// mp4DataAtom is what separates the values of an MP4 item of several
// data atoms in the text dhowden/tag returns: the next atom's header (its
// 4-byte size, "data", type 1 (UTF-8) and a zero locale) is kept inside.
const mp4DataAtom = "data\x00\x00\x00\x01\x00\x00\x00\x00"

// mp4Values turns that text into the values joined with "; ", as TagLib
// and mutagen list them.
func mp4Values(s string) string {
	if !strings.Contains(s, mp4DataAtom) {
		return s
	}
	parts := strings.Split(s, mp4DataAtom)
	for i := range len(parts) - 1 {
		p := parts[i]
		parts[i] = strings.TrimSpace(strings.Trim(p[:max(len(p)-4, 0)], "\x00"))
	}
	return strings.Join(parts, "; ")
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

// protect runs fn, turning a panic into a *PanicError. Everything that
// touches dhowden/tag runs inside it: its parsers and its accessors, some of
// which assert types that a malformed file can change (an MP4 title atom of
// data type 21 makes Title() panic with "interface {} is int, not string").
func protect(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{v}
		}
	}()
	return fn()
}

// fromMetadata copies the fields this package uses out of m.
func fromMetadata(m tag.Metadata) Tags {
	t := Tags{
		Artist:      cleanTag(m.Artist()),
		AlbumArtist: cleanTag(m.AlbumArtist()),
		Album:       cleanTag(m.Album()),
		Title:       cleanTag(m.Title()),
		Genre:       cleanTag(m.Genre()),
		Year:        m.Year(),
	}
	t.Track, _ = m.Track()
	t.Disc, _ = m.Disc()
	if t.Track < 0 {
		t.Track = 0
	}
	if t.Disc < 0 {
		t.Disc = 0
	}
	if t.Year < 0 || t.Year > 9999 {
		t.Year = 0
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
func (r *Reader) ensure(ra io.ReaderAt, n int64) error {
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
		return asReadError(err)
	}
	return nil
}

// release forgets the current file, and a buffer too large to keep.
func (r *Reader) release() {
	r.have, r.winLen = 0, 0
	if cap(r.buf) > keepBufSize {
		r.buf = nil
	}
	if cap(r.win) > keepBufSize {
		r.win = nil
	}
}

// asReadError wraps the error of a short read.
func asReadError(err error) *ReadError {
	if err == nil || err == io.EOF {
		err = errShortFile
	}
	return &ReadError{err}
}
