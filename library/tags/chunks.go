package tags

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// maxChunks bounds the chunk headers read in a WAV or AIFF file; real
// files have a handful.
const maxChunks = 1024

// readChunks reads the ID3v2 tag that WAV and AIFF files keep in a chunk
// of their own ("id3 " or "ID3 "), as TagLib and mutagen do, and the
// duration that the format chunk (WAV "fmt ", AIFF "COMM") and the sound
// data's size give. bigEndian is AIFF's byte order; WAV (RIFF) is
// little-endian. Only the chunks' headers are read, and the small chunks
// that it uses.
func (r *Reader) readChunks(ra io.ReaderAt, size int64, bigEndian bool) (Tags, error) {
	order := binary.ByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	var (
		h              [8]byte
		format         [18]byte // "fmt " or "COMM", as much as is used
		haveFormat     bool
		data           int64 = -1 // the sound data's size
		tagOff, tagLen int64 = -1, 0
		tagID          string
	)
chunks:
	for off, i := int64(12), 0; off+8 <= size && i < maxChunks; i++ {
		if n, err := ra.ReadAt(h[:], off); n < 8 {
			return Tags{}, asReadError(err)
		}
		n := int64(order.Uint32(h[4:]))
		off += 8
		switch id := string(h[:4]); id {
		case "id3 ", "ID3 ":
			if tagOff < 0 {
				tagOff, tagLen, tagID = off, n, id
			}
			if forwardOnly(ra) {
				break chunks // the tag cannot be read once passed
			}
		case "fmt ", "COMM":
			if m, _ := ra.ReadAt(format[:min(n, int64(len(format)))], off); int64(m) == min(n, int64(len(format))) {
				haveFormat = true
			}
		case "data", "SSND":
			// A writer that could not seek back leaves the size unset
			// (0 or 0xFFFFFFFF): the data then runs to the end.
			data = n
			if n == 0 || off+n > size {
				data = size - off
			}
		}
		off += n + n&1 // chunks are padded to an even size
	}
	if haveFormat && data >= 0 {
		r.dur = chunksDuration(format[:], data, bigEndian)
	}
	if tagOff < 0 {
		return Tags{}, ErrNoTag
	}
	if tagOff+tagLen > size {
		return Tags{}, fmt.Errorf("%s chunk: %w", tagID, endsEarly(io.ErrUnexpectedEOF, tagOff+tagLen, size))
	}
	if tagLen > maxTagSize {
		return Tags{}, fmt.Errorf("%s chunk of %d bytes: larger than 64 MiB", tagID, tagLen)
	}
	b := make([]byte, tagLen)
	if m, err := ra.ReadAt(b, tagOff); int64(m) < tagLen {
		return Tags{}, asReadError(err)
	}
	if !bytes.HasPrefix(b, []byte("ID3")) {
		return Tags{}, fmt.Errorf("%s chunk holds no ID3v2 tag", tagID)
	}
	// The chunk is a file of its own to a Reader (whose duration is not
	// the file's: readTags, not read).
	sub := Reader{SkipPictures: r.SkipPictures, pic: r.pic, mpegAt: -1}
	defer sub.release()
	t, err := sub.readTags(bytes.NewReader(b), tagLen)
	if t.Picture.Length > 0 {
		t.Picture.Offset += tagOff
	}
	return t, err
}

// chunksDuration is the duration of data bytes of sound in the format of
// a WAV "fmt " chunk (its bytes per second) or an AIFF "COMM" chunk (its
// sample frames and rate; data is not needed).
func chunksDuration(format []byte, data int64, aiff bool) time.Duration {
	if aiff {
		frames := int64(binary.BigEndian.Uint32(format[2:6]))
		hz := extended80(format[8:18])
		if hz < 1 {
			return 0
		}
		return time.Duration(float64(frames) / hz * float64(time.Second))
	}
	perSecond := int64(binary.LittleEndian.Uint32(format[8:12]))
	return samplesDuration(data, perSecond)
}
