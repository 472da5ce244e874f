package tags

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Vorbis comments (FLAC, Ogg Vorbis, Opus, Ogg FLAC) are read here rather
// than by dhowden/tag, which keeps only the last of a repeated field
// (ARTIST=Massive Attack, ARTIST=Tricky), reads TRACKNUMBER=3/12 as no
// number, invents the year 1 from DATE=1991/04/08, and ignores the
// comment of a FLAC file that starts with an ID3v2 tag.

// comment is a Vorbis comment: its values by upper-case field name, in
// the order given.
type comment map[string][]string

// commentPictures is what parseComment found of the comment's
// METADATA_BLOCK_PICTURE fields (base64 FLAC picture blocks).
type commentPictures struct {
	first  PictureAt // the first field's value, from the comment's start
	all    bool      // collect every value in values
	values [][]byte  // slices of the comment
}

// pictureField is the name of a Vorbis comment's picture field.
var pictureField = []byte("METADATA_BLOCK_PICTURE")

// parseComment reads a Vorbis comment (vendor string, then the fields),
// as FLAC's VORBIS_COMMENT block and the Ogg comment packets hold it.
// Picture fields are left out of the comment; if pics is not nil, they go
// there.
func parseComment(b []byte, pics *commentPictures) (comment, error) {
	start := len(b)
	u32 := func() (int, error) {
		if len(b) < 4 {
			return 0, errors.New("Vorbis comment: cut short")
		}
		n := binary.LittleEndian.Uint32(b)
		b = b[4:]
		if uint64(n) > uint64(len(b)) && n != 0 {
			return int(n), errors.New("Vorbis comment: a length past its end")
		}
		return int(n), nil
	}
	n, err := u32()
	if err != nil {
		return nil, err
	}
	b = b[n:] // the vendor string
	count, err := u32()
	if err != nil {
		return nil, err
	}
	c := comment{}
	for range count {
		n, err := u32()
		if err != nil {
			return c, err
		}
		field := b[:n]
		b = b[n:]
		k, v, ok := bytes.Cut(field, []byte("="))
		if !ok {
			continue
		}
		if bytes.EqualFold(k, pictureField) {
			// Tens or hundreds of KiB of base64: not text to keep.
			if pics != nil && pics.first.Length == 0 && len(v) > 0 {
				pics.first = PictureAt{Offset: int64(start - len(b) - len(v)), Length: int64(len(v))}
			}
			if pics != nil && pics.all {
				pics.values = append(pics.values, v)
			}
			continue
		}
		key := strings.ToUpper(string(k))
		if v := cleanTag(string(v)); v != "" {
			c[key] = append(c[key], v)
		}
	}
	return c, nil
}

// tags are the comment's fields as Tags. Repeated artists and genres are
// joined with "; ", as TagLib and mutagen list them.
func (c comment) tags() Tags {
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := c[k]; len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	all := func(keys ...string) string {
		for _, k := range keys {
			if v := c[k]; len(v) > 0 {
				return strings.Join(v, "; ")
			}
		}
		return ""
	}
	return Tags{
		Artist:      all("ARTIST"),
		AlbumArtist: all("ALBUMARTIST", "ALBUM ARTIST"),
		Album:       first("ALBUM"),
		Title:       first("TITLE"),
		Genre:       all("GENRE"),
		Track:       leadingInt(first("TRACKNUMBER")),
		Disc:        leadingInt(first("DISCNUMBER")),
		Year:        yearOf(first("DATE", "YEAR", "ORIGINALDATE")),
	}
}

// leadingInt is the number a value starts with ("3/12" → 3), or 0.
func leadingInt(s string) int {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && i < 9 && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n
}

var fourDigits = regexp.MustCompile(`(?:^|\D)(\d{4})(?:\D|$)`)

// yearOf is the year a date names: its first run of four digits
// ("2005/06/05", "Oct 3, 1995", "2002-03-25T10:00"), or 0.
func yearOf(s string) int {
	m := fourDigits.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// span returns the n bytes of the file at off, valid until the next
// call: read forward into the start of the file that r keeps, so that a
// file that can only be read forward works too. Tags past the first
// maxTagSize bytes are not read.
func (r *Reader) span(ra io.ReaderAt, size, off, n int64) ([]byte, error) {
	switch {
	case off+n > size:
		return nil, endsEarly(io.ErrUnexpectedEOF, 0, size)
	case off+n > maxTagSize:
		return nil, errors.New("tags go on past the first 64 MiB")
	}
	if err := r.ensure(ra, off+n); err != nil {
		return nil, err
	}
	return r.buf[off : off+n], nil
}

// readFLAC reads the Vorbis comment of a native FLAC stream that starts
// at off ("fLaC" there: after an ID3v2 tag, some taggers leave one), and
// locates its picture: the first PICTURE block, else the comment's first
// METADATA_BLOCK_PICTURE field. Past the comment only block headers are
// read, until a PICTURE block's or the last one's: a header or two, most
// often in the bytes read already.
func (r *Reader) readFLAC(ra io.ReaderAt, size, off int64) (Tags, error) {
	h, err := r.span(ra, size, off, 4)
	if err != nil {
		return Tags{}, fmt.Errorf("FLAC: %w", err)
	}
	if string(h) != "fLaC" {
		return Tags{}, errors.New("FLAC: no fLaC marker")
	}
	off += 4
	var (
		t          Tags
		found      bool // the comment
		blockPics  []PictureAt
		commentPic PictureAt
		cp         *commentPictures
		wantPic    = r.wantPictures()
		allPics    = r.pic.pending()
	)
	if wantPic {
		cp = &commentPictures{all: allPics}
	}
	for {
		var h []byte
		if found {
			h, err = r.at(ra, size, size, off, 4)
		} else {
			h, err = r.span(ra, size, off, 4)
		}
		if err != nil {
			if found {
				break // damage past the comment leaves it whole
			}
			return Tags{}, fmt.Errorf("FLAC: %w", err)
		}
		last, typ := h[0]&0x80 != 0, h[0]&0x7f
		n := int64(h[1])<<16 | int64(h[2])<<8 | int64(h[3])
		switch {
		case typ == 0 && n >= 18 && off+4+18 <= size:
			if si, err := r.span(ra, size, off+4, 18); err == nil {
				r.dur = streamInfoDuration(si)
			}
		case typ == 4 && !found:
			// A file cut short inside its comment keeps the fields that
			// are whole, as TagLib reads them.
			b, err := r.span(ra, size, off+4, min(n, size-off-4))
			if err != nil {
				return Tags{}, fmt.Errorf("FLAC: %w", err)
			}
			c, err := parseComment(b, cp)
			if err != nil && len(c) == 0 {
				return Tags{}, fmt.Errorf("FLAC: %w", err)
			}
			t, found = c.tags(), true
			if cp != nil && cp.first.Length > 0 {
				commentPic = PictureAt{Offset: off + 4 + cp.first.Offset, Length: cp.first.Length}
			}
			if allPics {
				for i, v := range cp.values {
					cp.values[i] = bytes.Clone(v) // r.buf's bytes; later reads may move them
				}
			}
		case typ == 6 && wantPic:
			blockPics = append(blockPics, PictureAt{Offset: off, Length: 4 + n})
		}
		off += 4 + n
		if last || typ == 127 || off >= size || found && !allPics && (!wantPic || len(blockPics) > 0) {
			break
		}
	}
	switch {
	case len(blockPics) > 0:
		t.Picture = blockPics[0]
	case commentPic.Length > 0:
		t.Picture = commentPic
	}
	if r.pic.pending() {
		if len(blockPics) > 0 {
			r.takeFLACPicture(ra, size, blockPics)
		} else if cp != nil {
			r.takeCommentPicture(cp.values)
		}
	}
	if !found && t.Picture.Length == 0 {
		return Tags{}, ErrNoTag
	}
	return t, nil
}

// takeFLACPicture offers ReadPicture the front cover among a FLAC stream's
// PICTURE blocks (each located by its header), or the first one.
func (r *Reader) takeFLACPicture(ra io.ReaderAt, size int64, blocks []PictureAt) {
	sizes := make([]int64, len(blocks))
	for i, at := range blocks {
		sizes[i] = at.Length - 4
	}
	r.pic.takeFront(sizes, func(i int) (string, int, []byte, error) {
		b, err := r.at4(ra, size, blocks[i].Offset+4, blocks[i].Length-4)
		if err != nil {
			return "", 0, nil, fmt.Errorf("FLAC picture: %w", err)
		}
		return parseFLACPicture(b)
	})
}

// readOgg reads the comment of the first logical stream of an Ogg file:
// Vorbis, Opus or FLAC, whose comment is its second packet (for FLAC, a
// VORBIS_COMMENT block among the metadata packets that follow the first).
func (r *Reader) readOgg(ra io.ReaderAt, size int64) (Tags, error) {
	p := oggPackets{r: r, ra: ra, size: size}
	first, err := p.next()
	if err != nil {
		return Tags{}, fmt.Errorf("Ogg: %w", err)
	}
	r.dur = r.oggDuration(ra, size, p.serial, first)
	var prefix string
	switch {
	case bytes.HasPrefix(first, []byte("\x01vorbis")):
		prefix = "\x03vorbis"
	case bytes.HasPrefix(first, []byte("OpusHead")):
		prefix = "OpusTags"
	case bytes.HasPrefix(first, []byte("\x7fFLAC")):
		for range 64 { // metadata packets: STREAMINFO came in the first
			pkt, err := p.next()
			if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && len(pkt) > 4) {
				return Tags{}, fmt.Errorf("Ogg FLAC: %w", err)
			}
			if len(pkt) >= 4 && pkt[0]&0x7f == 4 {
				c, err := parseComment(pkt[4:], nil)
				if err != nil && len(c) == 0 {
					return Tags{}, fmt.Errorf("Ogg FLAC: %w", err)
				}
				return c.tags(), nil
			}
			if len(pkt) == 0 || pkt[0]&0x80 != 0 {
				break
			}
		}
		return Tags{}, ErrNoTag
	default:
		return Tags{}, ErrNoTag // Speex, Theora...: not music we read
	}
	pkt, err := p.next()
	if err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && len(pkt) > len(prefix)) {
		return Tags{}, fmt.Errorf("Ogg: %w", err)
	}
	// A file cut short inside its comment keeps the fields that are whole,
	// as TagLib reads them.
	if !bytes.HasPrefix(pkt, []byte(prefix)) {
		return Tags{}, fmt.Errorf("Ogg: second packet is not a comment header")
	}
	var cp *commentPictures
	if r.wantPictures() {
		cp = &commentPictures{all: r.pic.pending()}
	}
	c, err := parseComment(pkt[len(prefix):], cp)
	if err != nil && len(c) == 0 {
		return Tags{}, fmt.Errorf("Ogg: %w", err)
	}
	t := c.tags()
	if cp != nil && cp.first.Length > 0 {
		// An offset in the comment packet, which Ogg pages may split.
		t.Picture = PictureAt{Offset: int64(len(prefix)) + cp.first.Offset, Length: cp.first.Length}
		if r.pic.pending() {
			r.takeCommentPicture(cp.values)
		}
	}
	return t, nil
}

// oggPackets reads the packets of an Ogg file's first logical stream,
// page by page.
type oggPackets struct {
	r      *Reader
	ra     io.ReaderAt
	size   int64
	off    int64  // the next page
	serial uint32 // of the first stream
	segs   []byte // lacing values of the current page not used yet
	data   int64  // where the current page's unread data starts
}

func (p *oggPackets) page() error {
	for {
		h, err := p.r.span(p.ra, p.size, p.off, 27)
		if err != nil {
			return err
		}
		if string(h[:4]) != "OggS" {
			return errors.New("no page where one should start")
		}
		serial := binary.LittleEndian.Uint32(h[14:18])
		if p.off == 0 {
			p.serial = serial
		}
		nseg := int64(h[26])
		lacing, err := p.r.span(p.ra, p.size, p.off+27, nseg)
		if err != nil {
			return err
		}
		var body int64
		for _, l := range lacing {
			body += int64(l)
		}
		start := p.off + 27 + nseg
		p.off = start + body
		if serial == p.serial {
			p.segs, p.data = append([]byte(nil), lacing...), start
			return nil
		}
		// Another stream's page: skip it.
	}
}

// next returns the next packet. In a file cut short, it returns what
// there is of the packet, and an error that wraps io.ErrUnexpectedEOF.
func (p *oggPackets) next() ([]byte, error) {
	var pkt []byte
	for {
		for len(p.segs) == 0 {
			if err := p.page(); err != nil {
				return pkt, err
			}
		}
		l := int64(p.segs[0])
		p.segs = p.segs[1:]
		if p.data+l > p.size && p.data < p.size {
			b, err := p.r.span(p.ra, p.size, p.data, p.size-p.data)
			if err != nil {
				return nil, err
			}
			return append(pkt, b...), endsEarly(io.ErrUnexpectedEOF, 0, p.size)
		}
		b, err := p.r.span(p.ra, p.size, p.data, l)
		if err != nil {
			return pkt, err
		}
		p.data += l
		pkt = append(pkt, b...)
		if l < 255 {
			return pkt, nil
		}
	}
}

// flacAfterID3 returns where a FLAC stream starts after the ID3v2 tag at
// the start of the file, if one does.
func (r *Reader) flacAfterID3() (int64, bool) {
	if r.have < id3v2HeaderSize {
		return 0, false
	}
	off := id3v2End(r.buf[:r.have])
	// Only when the start of the file, read already, shows it: a read more
	// for every MP3 would cost the scan; such a FLAC file's ID3v2 tag is a
	// small one, left by a tagger that did not know the format.
	return off, off+4 <= int64(r.have) && string(r.buf[off:off+4]) == "fLaC"
}

// id3v2End is where the ID3v2 tag at the start of head ends, footer
// included, as its header says; head holds at least the header.
func id3v2End(head []byte) int64 {
	if len(head) < id3v2HeaderSize {
		return 0
	}
	end := id3v2HeaderSize + syncsafe(head[6:10])
	if head[3] == 4 && head[5]&0x10 != 0 {
		end += 10 // footer
	}
	return end
}
