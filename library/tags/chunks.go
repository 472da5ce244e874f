package tags

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// readChunks reads the ID3v2 tag that WAV and AIFF files keep in a chunk
// of their own ("id3 " or "ID3 "), as TagLib and mutagen do. bigEndian is
// AIFF's byte order; WAV (RIFF) is little-endian.
func (r *Reader) readChunks(ra io.ReaderAt, size int64, bigEndian bool) (Tags, error) {
	order := binary.ByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	var h [8]byte
	for off := int64(12); off+8 <= size; {
		if n, err := ra.ReadAt(h[:], off); n < 8 {
			return Tags{}, asReadError(err)
		}
		n := int64(order.Uint32(h[4:]))
		off += 8
		if id := string(h[:4]); id == "id3 " || id == "ID3 " {
			if off+n > size {
				return Tags{}, fmt.Errorf("%s chunk: %w", id, endsEarly(io.ErrUnexpectedEOF, off+n, size))
			}
			if n > maxTagSize {
				return Tags{}, fmt.Errorf("%s chunk of %d bytes: larger than 64 MiB", id, n)
			}
			b := make([]byte, n)
			if m, err := ra.ReadAt(b, off); int64(m) < n {
				return Tags{}, asReadError(err)
			}
			if !bytes.HasPrefix(b, []byte("ID3")) {
				return Tags{}, fmt.Errorf("%s chunk holds no ID3v2 tag", id)
			}
			// The chunk is a file of its own to a Reader.
			sub := Reader{SkipPictures: r.SkipPictures, pic: r.pic}
			t, err := sub.read(bytes.NewReader(b), n)
			if t.Picture.Length > 0 {
				t.Picture.Offset += off
			}
			return t, err
		}
		off += n + n&1 // chunks are padded to an even size
	}
	return Tags{}, ErrNoTag
}
