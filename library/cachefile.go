package library

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// The cache file is binary, little-endian, and loads with one read and one
// string conversion: every path, title and shared string of the loaded
// cache is a slice of that one string.
//
//	magic    "TFSCACHE"
//	version  uint32 (cacheVersion)
//	strings  uvarint count, then each: uvarint length, bytes
//	         (artists, album artists, albums, genres, skip reasons and
//	         errors, each once; entries refer to them by index + 1, 0 for "")
//	entries  uvarint count, then each:
//	         uvarint path length, path bytes
//	         uvarint size, varint modification time (ns since 1970)
//	         byte kind: 0 track, 1 skip
//	         track: uvarint artist, album artist, album, genre (string refs);
//	                uvarint title length, title bytes;
//	                uvarint track number, disc, year
//	         skip:  uvarint reason, error (string refs)
//	crc      uint32, CRC-32C of everything before it
const (
	cacheMagic = "TFSCACHE"
	// cacheVersion changes whenever the file's layout changes, or what a
	// scan reads from a file does (a new tag rule), so that an old cache is
	// not taken for a right one.
	cacheVersion = 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var errCacheCorrupt = errors.New("damaged")

// encodeCache returns v as a cache file, entries sorted by path.
func encodeCache(v *cacheView) []byte {
	paths := make([]string, 0, len(v.entries))
	for p := range v.entries {
		paths = append(paths, p)
	}
	slices.Sort(paths)

	index := make(map[string]uint64)
	var table []string
	ref := func(s string) uint64 {
		if s == "" {
			return 0
		}
		i, ok := index[s]
		if !ok {
			table = append(table, s)
			i = uint64(len(table))
			index[s] = i
		}
		return i
	}
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(paths)))
	for _, p := range paths {
		e := v.entries[p]
		body = appendString(body, p)
		body = binary.AppendUvarint(body, uint64(e.stamp.size))
		body = binary.AppendVarint(body, e.stamp.mtime)
		if e.skip != nil {
			msg := ""
			if e.skip.err != nil {
				msg = e.skip.err.Error()
			}
			body = append(body, 1)
			body = binary.AppendUvarint(body, ref(string(e.skip.reason)))
			body = binary.AppendUvarint(body, ref(msg))
			continue
		}
		t := &e.track
		body = append(body, 0)
		body = binary.AppendUvarint(body, ref(t.Artist))
		body = binary.AppendUvarint(body, ref(t.AlbumArtist))
		body = binary.AppendUvarint(body, ref(t.Album))
		body = binary.AppendUvarint(body, ref(t.Genre))
		body = appendString(body, t.Title)
		body = binary.AppendUvarint(body, uint64(t.TrackNo))
		body = binary.AppendUvarint(body, uint64(t.Disc))
		body = binary.AppendUvarint(body, uint64(t.Year))
	}

	out := make([]byte, 0, len(cacheMagic)+4+len(body)+32*len(table)+4)
	out = append(out, cacheMagic...)
	out = binary.LittleEndian.AppendUint32(out, cacheVersion)
	out = binary.AppendUvarint(out, uint64(len(table)))
	for _, s := range table {
		out = appendString(out, s)
	}
	out = append(out, body...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// cachedError is a skip's error as a cache file holds it: its text.
type cachedError string

func (e cachedError) Error() string { return string(e) }

// decodeCache reads a cache file.
func decodeCache(data []byte) (*cacheView, error) {
	const head = len(cacheMagic) + 4
	if len(data) < head+4 || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, errors.New("not a trackfeed scan cache")
	}
	if v := binary.LittleEndian.Uint32(data[len(cacheMagic):]); v != cacheVersion {
		return nil, fmt.Errorf("cache version %d, this build reads version %d", v, cacheVersion)
	}
	end := len(data) - 4
	if crc32.Checksum(data[:end], crcTable) != binary.LittleEndian.Uint32(data[end:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCacheCorrupt)
	}
	d := cacheDecoder{s: string(data[:end]), off: head}

	n := d.uvarint()
	if n > uint64(end) {
		return nil, fmt.Errorf("%w: %d strings", errCacheCorrupt, n)
	}
	table := make([]string, 0, n)
	for range n {
		table = append(table, d.str())
	}
	str := func() string {
		i := d.uvarint()
		switch {
		case i == 0:
			return ""
		case i > uint64(len(table)):
			d.fail()
			return ""
		}
		return table[i-1]
	}

	n = d.uvarint()
	if n > uint64(end) {
		return nil, fmt.Errorf("%w: %d entries", errCacheCorrupt, n)
	}
	entries := make(map[string]*cacheEntry, n)
	block := make([]cacheEntry, n) // one allocation for all entries
	for i := range block {
		e := &block[i]
		e.track.Path = d.str()
		e.stamp.size = int64(d.uvarint())
		e.stamp.mtime = d.varint()
		switch d.byte() {
		case 0:
			e.track.Artist = str()
			e.track.AlbumArtist = str()
			e.track.Album = str()
			e.track.Genre = str()
			e.track.Title = d.str()
			e.track.TrackNo = d.int()
			e.track.Disc = d.int()
			e.track.Year = d.int()
		case 1:
			e.skip = &cachedSkip{reason: Reason(str())}
			if msg := str(); msg != "" {
				e.skip.err = cachedError(msg)
			}
			if e.skip.reason == "" {
				d.fail()
			}
		default:
			d.fail()
		}
		if d.err != nil {
			return nil, d.err
		}
		entries[e.track.Path] = e
	}
	if d.off != len(d.s) {
		return nil, fmt.Errorf("%w: %d bytes after the last entry", errCacheCorrupt, len(d.s)-d.off)
	}
	return &cacheView{entries: entries, shared: table, decoded: block}, nil
}

// cacheDecoder reads a cache file's fields from s. After the first error
// every read returns zero, and err says what went wrong.
type cacheDecoder struct {
	s   string
	off int
	err error
}

func (d *cacheDecoder) fail() {
	if d.err == nil {
		d.err = fmt.Errorf("%w at byte %d", errCacheCorrupt, d.off)
	}
	d.off = len(d.s)
}

func (d *cacheDecoder) uvarint() uint64 {
	var x uint64
	for shift := 0; d.off < len(d.s) && shift < 64; shift += 7 {
		c := d.s[d.off]
		d.off++
		x |= uint64(c&0x7F) << shift
		if c < 0x80 {
			return x
		}
	}
	d.fail()
	return 0
}

func (d *cacheDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *cacheDecoder) int() int {
	u := d.uvarint()
	if u > 1<<31 {
		d.fail()
		return 0
	}
	return int(u)
}

func (d *cacheDecoder) byte() byte {
	if d.off >= len(d.s) {
		d.fail()
		return 0
	}
	d.off++
	return d.s[d.off-1]
}

// str returns a length-prefixed string, sharing d.s's bytes.
func (d *cacheDecoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.off) {
		d.fail()
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}
