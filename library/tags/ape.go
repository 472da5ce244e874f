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
// instead of an ID3v2 tag. It returns nil if there is none, or if the file
// cannot be read there (a file read strictly forward has passed it).
func (r *Reader) readAPE(ra io.ReaderAt, size int64, hasV1 bool) (*Tags, error) {
	var f [apeFooterSize]byte
	end := size
	if hasV1 {
		end -= id3v1Size
	}
	off := end - apeFooterSize
	if off < 0 {
		return nil, nil
	}
	if n, _ := ra.ReadAt(f[:], off); n < apeFooterSize || string(f[:8]) != "APETAGEX" {
		return nil, nil
	}
	{
		tagSize := int64(binary.LittleEndian.Uint32(f[12:16])) // items and footer
		count := binary.LittleEndian.Uint32(f[16:20])
		if tagSize < apeFooterSize || tagSize > end || tagSize > maxTagSize {
			return nil, errors.New("APEv2: a tag size past the start of the file")
		}
		items := make([]byte, tagSize-apeFooterSize)
		if n, _ := ra.ReadAt(items, end-tagSize); n < len(items) {
			return nil, nil
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
