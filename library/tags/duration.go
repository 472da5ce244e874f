package tags

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"time"
)

// A file's duration comes from its audio, as cheaply as the format
// allows: a header near the start (MPEG's Xing, Info or VBRI frame, FLAC's
// STREAMINFO, MP4's mvhd or mdhd, WAV's and AIFF's chunk sizes), or for Ogg the
// granule position of the last page, found in the last few KiB. A file
// whose duration cannot be told that way has none (0); it is never an
// error, and a file read strictly forward gets no duration where that
// would take reading it to the end.

// samplesDuration is samples at hz, or 0 if hz is not a rate.
func samplesDuration(samples int64, hz int64) time.Duration {
	if hz <= 0 || samples <= 0 {
		return 0
	}
	return time.Duration(samples/hz)*time.Second + time.Duration(samples%hz)*time.Second/time.Duration(hz)
}

// forwardOnly reports whether ra can only be read forward: then nothing
// near the end of the file is read for a duration.
func forwardOnly(ra io.ReaderAt) bool {
	_, ok := ra.(*forwardReaderAt)
	return ok
}

// tailBytes returns the last n bytes of the file (n <= size), valid until
// the next call, or nil if they cannot be read.
func (r *Reader) tailBytes(ra io.ReaderAt, size, n int64) []byte {
	if forwardOnly(ra) {
		return nil
	}
	if int64(cap(r.scratch)) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	if m, _ := ra.ReadAt(b, size-n); int64(m) < n {
		return nil
	}
	return b
}

// mpegDuration is the duration of the MPEG audio that starts at start
// (after an ID3v2 tag, or at 0): the frame count of a Xing, Info or VBRI
// header in the first frame, or else, for constant bitrate, the audio's
// size at the first frame's bitrate (less the tags at the end: audioEnd).
func (r *Reader) mpegDuration(ra io.ReaderAt, size, start int64) time.Duration {
	if start < 0 || start >= size {
		return 0
	}
	n := min(headSize, size-start)
	var (
		b  []byte
		p  int
		h  frameHeader
		ok bool
	)
	// The start of the file, read already, holds the first frame of most
	// files: two of the largest frames fit in 3 KiB.
	have := int64(r.have)
	if start+n <= have || start+3<<10 <= have {
		b = r.buf[start:min(start+n, have)]
		p, h, ok = firstFrame(b, size-start)
	}
	if !ok && start+n > have {
		if forwardOnly(ra) {
			return 0 // the bytes after a tag may lie behind
		}
		if int64(cap(r.scratch)) < n {
			r.scratch = make([]byte, max(n, headSize))
		}
		b = r.scratch[:n]
		if m, _ := ra.ReadAt(b, start); int64(m) < n {
			return 0
		}
		p, h, ok = firstFrame(b, size-start)
	}
	if !ok {
		return 0
	}
	frame := b[p:]
	if x := 4 + h.side; len(frame) >= x+12 {
		if tag := string(frame[x : x+4]); tag == "Xing" || tag == "Info" {
			if be32(frame[x+4:])&1 != 0 { // the frame count is there
				return samplesDuration(int64(be32(frame[x+8:]))*int64(h.samples), int64(h.hz))
			}
		}
	}
	if len(frame) >= 36+18 && string(frame[36:40]) == "VBRI" {
		return samplesDuration(int64(be32(frame[36+14:]))*int64(h.samples), int64(h.hz))
	}
	audio := r.audioEnd(size) - (start + int64(p))
	if audio <= 0 || h.kbps <= 0 {
		return 0
	}
	return time.Duration(float64(audio) * 8 / float64(h.kbps*1000) * float64(time.Second))
}

// audioEnd is where an MPEG file's audio ends: before its ID3v1 tag and
// an APEv2 tag, if it has them and readID3v1 read the end of the file
// (it does unless the ID3v2 tag holds every field). Otherwise the end is
// not read for the duration alone: up to 128 bytes of an ID3v1 tag then
// count as audio, 8 ms at 128 kbit/s, a third of a frame (a read of the
// end made scanning a library of such files a quarter slower;
// BENCHMARKS.md).
func (r *Reader) audioEnd(size int64) int64 {
	tail := r.end[:r.endLen]
	end := size
	if len(tail) >= id3v1Size && string(tail[len(tail)-id3v1Size:][:3]) == "TAG" {
		end -= id3v1Size
		tail = tail[:len(tail)-id3v1Size]
	}
	if len(tail) >= apeFooterSize {
		f := tail[len(tail)-apeFooterSize:]
		if string(f[:8]) == "APETAGEX" {
			n := int64(binary.LittleEndian.Uint32(f[12:16]))
			if binary.LittleEndian.Uint32(f[20:24])&(1<<31) != 0 {
				n += apeFooterSize // a header too
			}
			if n <= end {
				end -= n
			}
		}
	}
	return end
}

// firstFrame finds the first MPEG audio frame of b, the start of a stream
// of size bytes: a frame header followed, where the frame ends, by another
// of the same version, layer and sample rate (or by the end of the
// stream, or a stream that starts with a frame and ends inside it).
func firstFrame(b []byte, size int64) (int, frameHeader, bool) {
	for p := 0; p+4 <= len(b); {
		i := bytes.IndexByte(b[p:], 0xff)
		if i < 0 {
			break
		}
		p += i
		h, ok := mpegHeader(b[p:])
		if !ok {
			p++
			continue
		}
		next := p + h.length
		if int64(next) == size || p == 0 && int64(next) > size {
			return p, h, true // one frame, or a file cut short in its first
		}
		if n, ok := mpegHeader(b[min(next, len(b)):]); ok && n.id == h.id {
			return p, h, true
		}
		p++
	}
	return 0, frameHeader{}, false
}

// streamInfoDuration is the duration a FLAC STREAMINFO block gives: its
// total samples at its sample rate (0 when the encoder did not know).
func streamInfoDuration(si []byte) time.Duration {
	if len(si) < 18 {
		return 0
	}
	hz := int64(si[10])<<12 | int64(si[11])<<4 | int64(si[12])>>4
	samples := int64(si[13]&0x0f)<<32 | int64(be32(si[14:18]))
	return samplesDuration(samples, hz)
}

// oggDuration is the duration of an Ogg file's first logical stream, the
// one with serial whose first packet is first: Vorbis, Opus or FLAC. It is
// the granule position of the stream's last page (less Opus's pre-skip),
// at the stream's rate.
func (r *Reader) oggDuration(ra io.ReaderAt, size int64, serial uint32, first []byte) time.Duration {
	var hz, skip int64
	switch {
	case bytes.HasPrefix(first, []byte("\x01vorbis")) && len(first) >= 16:
		hz = int64(binary.LittleEndian.Uint32(first[12:16]))
	case bytes.HasPrefix(first, []byte("OpusHead")) && len(first) >= 12:
		hz, skip = 48000, int64(binary.LittleEndian.Uint16(first[10:12])) // Opus's granule counts at 48 kHz
	case bytes.HasPrefix(first, []byte("\x7fFLAC")) && len(first) >= 17+18:
		si := first[17:]
		hz = int64(si[10])<<12 | int64(si[11])<<4 | int64(si[12])>>4
	default:
		return 0
	}
	g, ok := r.lastGranule(ra, size, serial)
	if !ok {
		return 0
	}
	return samplesDuration(g-skip, hz)
}

// maxOggPage is the largest an Ogg page can be: its header, 255 lacing
// values, and 255 segments of 255 bytes.
const maxOggPage = 27 + 255 + 255*255

// lastGranule finds the last page of the stream serial that ends a packet
// (granule position not -1), in the last bytes of the file: the last
// 8 KiB, which hold the last page of most files, or else the last page's
// greatest size. A page must be whole within the bytes read. The bytes
// are searched forward, page to page once one is found: bytes.Index is
// many times faster than a search backward.
func (r *Reader) lastGranule(ra io.ReaderAt, size int64, serial uint32) (int64, bool) {
	for _, n := range []int64{8 << 10, maxOggPage + 27} {
		n = min(n, size)
		b := r.tailBytes(ra, size, n)
		if b == nil {
			return 0, false
		}
		g, found := int64(0), false
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("OggS"))
			if j < 0 {
				break
			}
			i += j
			length, pageSerial, granule, ok := oggPageAt(b[i:])
			if !ok {
				i++
				continue
			}
			if pageSerial == serial && granule >= 0 {
				g, found = granule, true
			}
			i += length
		}
		if found || n == size {
			return g, found
		}
	}
	return 0, false
}

// oggPageAt reads the header of the Ogg page at the start of b: its
// length, serial and granule position. It reports false if b does not
// hold a whole page there.
func oggPageAt(b []byte) (length int, serial uint32, granule int64, ok bool) {
	if len(b) < 27 || b[4] != 0 {
		return 0, 0, 0, false
	}
	nseg := int(b[26])
	if len(b) < 27+nseg {
		return 0, 0, 0, false
	}
	length = 27 + nseg
	for _, l := range b[27 : 27+nseg] {
		length += int(l)
	}
	if length > len(b) {
		return 0, 0, 0, false
	}
	return length, binary.LittleEndian.Uint32(b[14:18]), int64(binary.LittleEndian.Uint64(b[6:14])), true
}

// mp4Duration is the duration an MP4 file's moov atom gives: its mvhd
// atom's, or if that says nothing, the mdhd atom's of its first sound
// track (handler "soun").
func mp4Duration(moov []byte) time.Duration {
	if b, ok := mp4Child(moov, "mvhd"); ok {
		if d := mp4HeaderDuration(b); d > 0 {
			return d
		}
	}
	atoms, _ := mp4Children(moov)
	for _, a := range atoms {
		if a.kind != "trak" {
			continue
		}
		mdia, ok := mp4Child(a.body, "mdia")
		if !ok {
			continue
		}
		// hdlr: version and flags, pre_defined, then the handler type.
		if hdlr, ok := mp4Child(mdia, "hdlr"); !ok || len(hdlr) < 12 || string(hdlr[8:12]) != "soun" {
			continue
		}
		if mdhd, ok := mp4Child(mdia, "mdhd"); ok {
			return mp4HeaderDuration(mdhd)
		}
	}
	return 0
}

// mp4HeaderDuration is the duration of an mvhd or mdhd atom, which lay
// out their time scale and duration alike: after 4 bytes of version and
// flags, the creation and modification times, 4 bytes each in version 0
// and 8 in version 1.
func mp4HeaderDuration(b []byte) time.Duration {
	if len(b) < 20 {
		return 0
	}
	var scale, d uint64
	if b[0] == 1 {
		if len(b) < 32 {
			return 0
		}
		scale, d = uint64(be32(b[20:])), binary.BigEndian.Uint64(b[24:])
	} else {
		scale, d = uint64(be32(b[12:])), uint64(be32(b[16:]))
		if d == math.MaxUint32 {
			return 0 // unknown
		}
	}
	if d > math.MaxInt64 {
		return 0
	}
	return samplesDuration(int64(d), int64(scale))
}

// extended80 is the value of an 80-bit IEEE 754 extended float (AIFF's
// sample rate), or 0 if it is not a positive finite number.
func extended80(b []byte) float64 {
	exp := int(binary.BigEndian.Uint16(b)) & 0x7fff
	mant := binary.BigEndian.Uint64(b[2:])
	if b[0]&0x80 != 0 || exp == 0x7fff || mant == 0 {
		return 0
	}
	return math.Ldexp(float64(mant), exp-16383-63)
}
