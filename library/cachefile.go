package library

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The cache file is binary, little-endian, and loads with one read: every
// path, title and shared string of the loaded cache is a slice of the bytes
// read. The entries are in chunks that decode in parallel.
//
//	magic    "TFSCACHE"
//	version  uint32 (cacheVersion)
//	strings  uvarint count, then each: uvarint length, bytes
//	         (artists, album artists, albums, genres, skip reasons and
//	         errors, each once; entries refer to them by index + 1, 0 for "")
//	entries  uvarint count
//	chunks   uvarint count, then each: uvarint entries, uvarint bytes
//	then the chunks' entries, sorted by path, each:
//	         uvarint path length, path bytes
//	         uvarint size, uint64 modification time (ns since 1970; a
//	         varint would take 9 bytes and longer to read)
//	         byte kind: 0 track, 1 skip
//	         track: uvarint artist, album artist, album, genre (string refs);
//	                uvarint title length, title bytes;
//	                uvarint track number, disc, year;
//	                uvarint cover ID length, cover ID (the picture in the
//	                file's tags; a folder's image is looked for anew);
//	                uvarint duration in milliseconds (0: unknown)
//	         skip:  uvarint reason, error (string refs)
//	crc      uint32, CRC-32C of everything before it
const (
	cacheMagic = "TFSCACHE"
	// cacheVersion changes whenever the file's layout changes, or what a
	// scan reads from a file does (a new tag rule), so that an old cache is
	// not taken for a right one.
	cacheVersion = 4
	// chunkEntries is how many entries a chunk of the file holds: enough
	// to make a goroutine worth starting, few enough that a library of a
	// few thousand files still decodes on every core.
	chunkEntries = 1024
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var errCacheCorrupt = errors.New("damaged")

// encodeCache returns v as a cache file, entries sorted by path.
func encodeCache(v *cacheView) []byte {
	entries := v.entries()
	paths := make([]string, 0, len(entries))
	for p := range entries {
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
	var body, chunks []byte
	for chunk := range slices.Chunk(paths, chunkEntries) {
		start := len(body)
		for _, p := range chunk {
			body = appendEntry(body, p, entries[p], ref)
		}
		chunks = binary.AppendUvarint(chunks, uint64(len(chunk)))
		chunks = binary.AppendUvarint(chunks, uint64(len(body)-start))
	}

	out := make([]byte, 0, len(cacheMagic)+4+len(body)+32*len(table)+len(chunks)+24)
	out = append(out, cacheMagic...)
	out = binary.LittleEndian.AppendUint32(out, cacheVersion)
	out = binary.AppendUvarint(out, uint64(len(table)))
	for _, s := range table {
		out = appendString(out, s)
	}
	out = binary.AppendUvarint(out, uint64(len(paths)))
	out = binary.AppendUvarint(out, uint64((len(paths)+chunkEntries-1)/chunkEntries))
	out = append(out, chunks...)
	out = append(out, body...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

// appendEntry appends the entry e for the file at p, its shared strings
// as ref numbers them.
func appendEntry(b []byte, p string, e *cacheEntry, ref func(string) uint64) []byte {
	b = appendString(b, p)
	b = binary.AppendUvarint(b, uint64(e.stamp.size))
	b = binary.LittleEndian.AppendUint64(b, uint64(e.stamp.mtime))
	if e.skip != nil {
		msg := ""
		if e.skip.err != nil {
			msg = e.skip.err.Error()
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, ref(string(e.skip.reason)))
		return binary.AppendUvarint(b, ref(msg))
	}
	t := &e.track
	b = append(b, 0)
	b = binary.AppendUvarint(b, ref(t.Artist))
	b = binary.AppendUvarint(b, ref(t.AlbumArtist))
	b = binary.AppendUvarint(b, ref(t.Album))
	b = binary.AppendUvarint(b, ref(t.Genre))
	b = appendString(b, t.Title)
	b = binary.AppendUvarint(b, uint64(t.TrackNo))
	b = binary.AppendUvarint(b, uint64(t.Disc))
	b = binary.AppendUvarint(b, uint64(t.Year))
	var cover string
	if t.Cover.embedded() {
		cover = t.Cover.ID
	}
	b = appendString(b, cover)
	ms := t.Duration.Milliseconds()
	if ms < 0 || ms > 1<<31 {
		ms = 0 // past what the decoder takes (24 days): a header's nonsense
	}
	return binary.AppendUvarint(b, uint64(ms))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// cachedError is a skip's error as a cache file holds it: its text.
type cachedError string

func (e cachedError) Error() string { return string(e) }

// decodeCache reads a cache file. The strings of the view it returns share
// data's bytes, so data must not change afterwards.
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
	// Nothing writes to data from here on, so its bytes can be a string's
	// without the copy (2 MB for 20,000 files) that a conversion makes.
	d := cacheDecoder{s: unsafe.String(unsafe.SliceData(data), end), off: head}

	n := d.uvarint()
	if n > uint64(end) {
		return nil, fmt.Errorf("%w: %d strings", errCacheCorrupt, n)
	}
	table := make([]string, 0, n)
	for range n {
		table = append(table, d.str())
	}
	n = d.uvarint()
	k := d.uvarint()
	if n > uint64(end) || k > n {
		return nil, fmt.Errorf("%w: %d entries in %d chunks", errCacheCorrupt, n, k)
	}
	f := &cacheFile{s: d.s, table: table, chunks: make([]cacheChunk, k)}
	entries, size := uint64(0), 0
	for i := range f.chunks {
		f.chunks[i].entries = d.int()
		f.chunks[i].end = d.int() // its size, until the loop below
		entries += uint64(f.chunks[i].entries)
		size += f.chunks[i].end
	}
	if d.err != nil {
		return nil, d.err
	}
	if entries != n || size != end-d.off {
		return nil, fmt.Errorf("%w: the chunks hold %d entries in %d bytes, want %d in %d",
			errCacheCorrupt, entries, size, n, end-d.off)
	}
	off := d.off
	for i := range f.chunks {
		f.chunks[i].off = off
		f.chunks[i].end += off
		off = f.chunks[i].end
	}

	// Check every chunk, on every core. Nothing is kept: Tracks and the
	// scan's first lookup decode what they need from the same bytes.
	firsts, lasts := make([]string, k), make([]string, k)
	errs := make([]error, k)
	parallel(len(f.chunks), func(i int) {
		d := f.decoder(f.chunks[i])
		f.chunks[i].tracks, firsts[i], lasts[i], errs[i] = d.check(f.chunks[i].entries, table)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	v := &cacheView{n: int(n), shared: table, file: f}
	for i := range f.chunks {
		if i > 0 && lasts[i-1] >= firsts[i] {
			return nil, fmt.Errorf("%w: chunk %d is out of order", errCacheCorrupt, i)
		}
	}
	return v, nil
}

// cacheFile is a checked cache file, to decode from.
type cacheFile struct {
	s      string   // the file, less its checksum
	table  []string // the shared strings
	chunks []cacheChunk
}

// cacheChunk is where a chunk of entries lies in a cacheFile.
type cacheChunk struct {
	off, end int // in cacheFile.s
	entries  int
	tracks   int // entries that are tracks, not skips
}

func (f *cacheFile) decoder(c cacheChunk) cacheDecoder {
	return cacheDecoder{s: f.s[:c.end], off: c.off}
}

// check decodes n entries, which must end where d.s does and be in order by
// path, and returns how many are tracks and the first and last paths.
func (d *cacheDecoder) check(n int, table []string) (tracks int, first, last string, err error) {
	if n == 0 {
		return 0, "", "", fmt.Errorf("%w: an empty chunk", errCacheCorrupt)
	}
	for i := range n {
		var e cacheEntry
		d.entry(table, &e)
		if i > 0 && last >= e.track.Path {
			d.fail()
		}
		if d.err != nil {
			return 0, "", "", d.err
		}
		if i == 0 {
			first = e.track.Path
		}
		last = e.track.Path
		if e.skip == nil {
			tracks++
		}
	}
	if d.off != len(d.s) {
		return 0, "", "", fmt.Errorf("%w: %d bytes after the last entry of a chunk", errCacheCorrupt, len(d.s)-d.off)
	}
	return tracks, first, last, nil
}

// entry decodes one entry into e; table holds the shared strings.
func (d *cacheDecoder) entry(table []string, e *cacheEntry) {
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
	e.track.Path = d.str()
	e.stamp.size = int64(d.uvarint())
	e.stamp.mtime = int64(d.uint64())
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
		e.track.Cover.ID = d.str()
		e.track.Duration = time.Duration(d.int()) * time.Millisecond
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
}

// trackChunks yields every chunk's tracks in file order (see
// Cache.TrackChunks): the first chunk decoded on its own, the others on a
// goroutine each, started once the first is yielded; it waits for them
// before it returns, the loop ended early or not.
func (f *cacheFile) trackChunks(yield func([]Track) bool) {
	if len(f.chunks) == 0 {
		return
	}
	first := make([]Track, f.chunks[0].tracks)
	f.chunkTracks(f.chunks[0], first)
	if len(first) > 0 && !yield(first) {
		return
	}
	rest := f.chunks[1:]
	parts := make([][]Track, len(rest))
	done := make([]chan struct{}, len(rest))
	var stop atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop.Store(true)
	for i, c := range rest {
		done[i] = make(chan struct{})
		wg.Go(func() {
			defer close(done[i])
			if !stop.Load() {
				parts[i] = make([]Track, c.tracks)
				f.chunkTracks(c, parts[i])
			}
		})
	}
	for i := range rest {
		<-done[i]
		part := parts[i]
		parts[i] = nil // the loop owns it now
		if len(part) > 0 && !yield(part) {
			return
		}
	}
}

// chunkTracks decodes chunk c's tracks into dst, which has room for them.
func (f *cacheFile) chunkTracks(c cacheChunk, dst []Track) {
	d := f.decoder(c)
	for range c.entries {
		var e cacheEntry
		d.entry(f.table, &e)
		if e.skip == nil {
			dst[0] = e.track
			dst = dst[1:]
		}
	}
}

// entries decodes every entry and returns them by path.
func (f *cacheFile) entries(n int) map[string]*cacheEntry {
	blocks := make([][]cacheEntry, len(f.chunks))
	parallel(len(f.chunks), func(i int) {
		d := f.decoder(f.chunks[i])
		blocks[i] = make([]cacheEntry, f.chunks[i].entries) // one allocation a chunk
		for j := range blocks[i] {
			d.entry(f.table, &blocks[i][j])
		}
	})
	m := make(map[string]*cacheEntry, n)
	for _, b := range blocks {
		for i := range b {
			m[b[i].track.Path] = &b[i]
		}
	}
	return m
}

// parallel calls do(i) for every i from 0 to n-1, each on a goroutine of
// its own, and returns when every call has. A goroutine a chunk rather
// than one a core (measured): on one core, the switches between them let
// the collector end a mark phase that the load started, and every pointer
// written while one runs costs a write barrier (7 ms to load 20,000 files
// on one core with a goroutine a core, 5 ms with one a chunk).
func parallel(n int, do func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { do(i) })
	}
	wg.Wait()
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
	s := d.s // in locals, not through d, as this is the decoder's hot loop
	for i, shift := d.off, 0; i < len(s) && shift < 64; i, shift = i+1, shift+7 {
		c := s[i]
		x |= uint64(c&0x7F) << shift
		if c < 0x80 {
			d.off = i + 1
			return x
		}
	}
	d.fail()
	return 0
}

func (d *cacheDecoder) uint64() uint64 {
	if len(d.s)-d.off < 8 {
		d.fail()
		return 0
	}
	s := d.s[d.off : d.off+8]
	d.off += 8
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
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
