package tags

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
)

const apeFooterSize = 32

// readAPE reads the APEv2 tag at the end of the file (before the ID3v1
// tag if hasV1), as MP3 files tagged by foobar2000 or Mp3tag may hold
// instead of an ID3v2 tag; readID3v1 must have read the end. It returns
// nil if there is none.
func (r *Reader) readAPE(ra io.ReaderAt, size int64, hasV1 bool) (*Tags, error) {
	// The footer is among the bytes readID3v1 read at the end.
	var f []byte
	switch {
	case !hasV1 && size >= id3v1Size:
		f = r.tail[id3v1Size-apeFooterSize:]
	case hasV1 && r.hasBefore:
		f = r.before[:]
	default:
		return nil, nil
	}
	end := size
	if hasV1 {
		end -= id3v1Size
	}
	{
		if string(f[:8]) != "APETAGEX" {
			return nil, nil
		}
		tagSize := int64(binary.LittleEndian.Uint32(f[12:16])) // items and footer
		count := binary.LittleEndian.Uint32(f[16:20])
		if tagSize < apeFooterSize || tagSize > end || tagSize > maxTagSize {
			return nil, errors.New("APEv2: a tag size past the start of the file")
		}
		items := make([]byte, tagSize-apeFooterSize)
		if held := size - int64(r.endLen); end-tagSize >= held {
			copy(items, r.end[end-tagSize-held:]) // read already: no read back
		} else if n, err := ra.ReadAt(items, end-tagSize); n < len(items) {
			return nil, asReadError(err)
		}
		c := comment{}
		for range count {
			if len(items) < 8 {
				break
			}
			n := int(binary.LittleEndian.Uint32(items))
			flags := binary.LittleEndian.Uint32(items[4:])
			key, rest, ok := bytes.Cut(items[8:], []byte{0})
			if !ok || n > len(rest) {
				break
			}
			if flags&6 == 0 { // UTF-8 text, not binary or a link
				for _, v := range strings.Split(string(rest[:n]), "\x00") {
					if v = cleanTag(v); v != "" {
						k := strings.ToUpper(string(key))
						c[k] = append(c[k], v)
					}
				}
			}
			items = rest[n:]
		}
		t := c.apeTags()
		return &t, nil
	}
}

// apeTags are an APEv2 tag's items as Tags; APEv2 names its fields
// unlike Vorbis comments (Track, Disc, Year, Album Artist).
func (c comment) apeTags() Tags {
	for from, to := range map[string]string{"TRACK": "TRACKNUMBER", "DISC": "DISCNUMBER", "YEAR": "DATE"} {
		if v, ok := c[from]; ok {
			c[to] = v
		}
	}
	return c.tags()
}
