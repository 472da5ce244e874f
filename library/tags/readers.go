package tags

import (
	"errors"
	"fmt"
	"io"
)

var (
	errTooMuch       = errors.New("tag data exceeds the read limit")
	errTooDeep       = errors.New("MP4 atoms nested too deep")
	errBackwardRead  = errors.New("file cannot seek back")
	errShortFile     = errors.New("file shorter than its size")
	errNegativeSeek  = errors.New("seek before start of file")
	errInvalidWhence = errors.New("invalid whence")
)

// readerAt returns f as an io.ReaderAt. Files from os.DirFS and fstest.MapFS
// are one already. Others are read through Seek, or failing that, strictly
// forward, which is enough for the ID3 fast path and most other formats.
func readerAt(f io.Reader) io.ReaderAt {
	switch f := f.(type) {
	case io.ReaderAt:
		return f
	case io.ReadSeeker:
		return &seekReaderAt{f}
	default:
		return &forwardReaderAt{r: f}
	}
}

type seekReaderAt struct{ rs io.ReadSeeker }

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if _, err := s.rs.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(s.rs, p)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

type forwardReaderAt struct {
	r   io.Reader
	pos int64
}

func (f *forwardReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < f.pos {
		return 0, fmt.Errorf("read at %d after %d: %w", off, f.pos, errBackwardRead)
	}
	if off > f.pos {
		n, err := io.CopyN(io.Discard, f.r, off-f.pos)
		f.pos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(f.r, p)
	f.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// bufReader is the io.ReadSeeker handed to dhowden/tag for formats other than
// ID3. dhowden/tag reads in small pieces (4-byte atom headers, and one byte
// at a time in unsynchronised ID3 tags); a buffer turns those into a few
// large ReadAt calls. It also limits how much dhowden/tag may read in all,
// and how deep it may recurse into MP4 atoms.
type bufReader struct {
	ra     io.ReaderAt
	size   int64
	pos    int64
	buf    []byte // buf[:n] holds the file from offset start
	start  int64
	n      int
	budget int64 // bytes that Read may still return

	err *ReadError // the first failed read of the file, if any

	// mp4 counts container atom names seen; see countContainer.
	mp4        bool
	containers int
}

// maxContainers bounds how many "moov", "udta", "meta" and "ilst" atoms an
// MP4 file may contain. dhowden/tag recurses once for each of them, whatever
// their sizes say, so a file of 8-byte "moov" atoms overflows the goroutine
// stack (a fatal error, not a panic) at about 4 million of them. Real files
// have one of each.
const maxContainers = 64

// reset makes b read the file behind ra from its start. head holds the
// file's first bytes, already read: starting with them saves a read, and
// lets a file that can only be read forward be read at all.
func (b *bufReader) reset(ra io.ReaderAt, size int64, budget int64, head []byte) {
	if b.buf == nil {
		b.buf = make([]byte, 16<<10)
	}
	*b = bufReader{ra: ra, size: size, buf: b.buf, budget: budget}
	if len(head) > len(b.buf) {
		b.buf = make([]byte, len(head))
	}
	b.n = copy(b.buf, head)
}

func (b *bufReader) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.budget <= 0 {
		return 0, errTooMuch
	}
	p = p[:min(int64(len(p)), b.size-b.pos, b.budget)]
	n := 0
	for n < len(p) {
		if b.pos < b.start || b.pos >= b.start+int64(b.n) {
			if len(p)-n >= len(b.buf) {
				m, err := b.readAt(p[n:], b.pos)
				n += m
				b.pos += int64(m)
				if err != nil {
					return n, err
				}
				continue
			}
			if err := b.fill(); err != nil {
				return n, err
			}
		}
		m := copy(p[n:], b.buf[b.pos-b.start:b.n])
		n += m
		b.pos += int64(m)
	}
	b.budget -= int64(n)
	if b.mp4 && n == 4 {
		// dhowden/tag reads every atom name with one 4-byte Read.
		if err := b.countContainer(p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// countContainer counts 4-byte reads that name a container atom. dhowden/tag
// reads every atom name with one 4-byte Read, so this sees each recursion.
func (b *bufReader) countContainer(name []byte) error {
	switch string(name) {
	case "moov", "udta", "meta", "ilst":
		b.containers++
		if b.containers > maxContainers {
			return errTooDeep
		}
	}
	return nil
}

func (b *bufReader) fill() error {
	want := min(int64(len(b.buf)), b.size-b.pos)
	m, err := b.readAt(b.buf[:want], b.pos)
	b.start, b.n = b.pos, m
	return err
}

// readAt reads len(p) bytes at off, which lie before b.size.
func (b *bufReader) readAt(p []byte, off int64) (int, error) {
	m, err := b.ra.ReadAt(p, off)
	if m == len(p) {
		return m, nil
	}
	b.err = asReadError(err)
	return m, b.err
}

func (b *bufReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, errInvalidWhence
	}
	if offset < 0 {
		return 0, errNegativeSeek
	}
	b.pos = offset
	return offset, nil
}
