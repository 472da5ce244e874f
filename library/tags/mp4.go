package tags

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// MP4 (M4A, M4B, ALAC) metadata is read here rather than by dhowden/tag,
// which cannot follow an atom whose size is in the 64-bit form, rejects a
// file whose cover art is in an untyped data atom, runs the values of a
// multi-valued item together, and panics on a text item of another type.
// The items live in moov/udta/meta/ilst, each holding one or more data
// atoms (type, locale, value).

// at4 returns n bytes of the file at off: through the start that r
// keeps when they begin there, otherwise read where they are (an MP4
// file's moov atom may follow megabytes of audio). Offsets only grow, so
// a file read strictly forward works too.
func (r *Reader) at4(ra io.ReaderAt, size, off, n int64) ([]byte, error) {
	if off <= int64(r.have) && off+n <= maxTagSize {
		return r.span(ra, size, off, n)
	}
	if off+n > size {
		return nil, endsEarly(io.ErrUnexpectedEOF, 0, size)
	}
	b := make([]byte, n)
	if m, err := ra.ReadAt(b, off); int64(m) < n {
		return nil, asReadError(err)
	}
	return b, nil
}

// mp4Atom is an atom of an MP4 file held in memory.
type mp4Atom struct {
	kind string
	body []byte
}

// mp4Children splits b into the atoms it holds; it stops at the first
// atom that runs past b's end, returning those before it and an error.
func mp4Children(b []byte) ([]mp4Atom, error) {
	var atoms []mp4Atom
	for len(b) >= 8 {
		n := uint64(binary.BigEndian.Uint32(b))
		kind, hdr := string(b[4:8]), uint64(8)
		switch n {
		case 0: // to the end of its parent
			n = uint64(len(b))
		case 1: // the size follows, in 64 bits
			if len(b) < 16 {
				return atoms, errors.New("MP4: an atom cut short")
			}
			n, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if n < hdr || n > uint64(len(b)) {
			return atoms, fmt.Errorf("MP4: atom %q of %d bytes runs past its parent", kind, n)
		}
		atoms = append(atoms, mp4Atom{kind, b[hdr:n]})
		b = b[n:]
	}
	return atoms, nil
}

// mp4Child returns the first child of b of kind.
func mp4Child(b []byte, kind string) ([]byte, bool) {
	atoms, _ := mp4Children(b)
	for _, a := range atoms {
		if a.kind == kind {
			return a.body, true
		}
	}
	return nil, false
}

// readMP4 reads an MP4 file's iTunes-style metadata: it finds the moov
// atom among the top-level atoms, reads it whole (it holds the sample
// tables too: up to 64 MiB), and walks to udta/meta/ilst there.
func (r *Reader) readMP4(ra io.ReaderAt, size int64) (Tags, error) {
	var moov []byte
	var moovOff int64 // of moov's body in the file
	for off := int64(0); off+8 <= size && moov == nil; {
		h, err := r.at4(ra, size, off, 8)
		if err != nil {
			return Tags{}, err
		}
		n, hdr := int64(binary.BigEndian.Uint32(h)), int64(8)
		kind := string(h[4:8])
		switch n {
		case 0:
			n = size - off
		case 1:
			b, err := r.at4(ra, size, off+8, 8)
			if err != nil {
				return Tags{}, err
			}
			n, hdr = int64(binary.BigEndian.Uint64(b)), 16
		}
		if n < hdr || off+n > size || n < 0 {
			return Tags{}, fmt.Errorf("atom %q of %d bytes at %d runs past the end of the file (%d bytes)", kind, n, off, size)
		}
		if kind == "moov" {
			if n-hdr > maxTagSize {
				return Tags{}, errors.New("a moov atom larger than 64 MiB")
			}
			b, err := r.at4(ra, size, off+hdr, n-hdr)
			if err != nil {
				return Tags{}, err
			}
			moov, moovOff = bytes.Clone(b), off+hdr
		}
		off += n
	}
	r.dur = mp4Duration(moov)
	udta, ok := mp4Child(moov, "udta")
	if !ok {
		return Tags{}, ErrNoTag
	}
	meta, ok := mp4Child(udta, "meta")
	if !ok {
		return Tags{}, ErrNoTag
	}
	// meta is a full box (4 bytes of version and flags) in MP4 files; in
	// QuickTime files it is not: its first child is then right there.
	if len(meta) >= 8 && string(meta[4:8]) != "hdlr" && len(meta) >= 4 {
		meta = meta[4:]
	}
	ilst, ok := mp4Child(meta, "ilst")
	if !ok {
		return Tags{}, ErrNoTag
	}
	items, err := mp4Children(ilst)
	if err != nil && len(items) == 0 {
		return Tags{}, err
	}
	c := comment{}
	var t Tags
	for _, it := range items {
		key := it.kind
		datas, _ := mp4Children(it.body)
		if key == "covr" {
			r.mp4Cover(&t, datas, moovOff, moov)
			continue
		}
		if key == "----" { // freeform: mean, name, then data
			key = ""
			for _, d := range datas {
				if d.kind == "name" && len(d.body) > 4 {
					key = "----:" + string(d.body[4:])
				}
			}
		}
		for _, d := range datas {
			if d.kind != "data" || len(d.body) < 8 || len(d.body) > maxTextFrame {
				continue
			}
			typ, value := binary.BigEndian.Uint32(d.body)&0xffffff, d.body[8:]
			switch key {
			case "trkn":
				if len(value) >= 4 && t.Track == 0 {
					t.Track = int(binary.BigEndian.Uint16(value[2:4]))
				}
			case "disk":
				if len(value) >= 4 && t.Disc == 0 {
					t.Disc = int(binary.BigEndian.Uint16(value[2:4]))
				}
			case "gnre": // an ID3v1 genre, counted from 1
				if len(value) >= 2 {
					if g := int(binary.BigEndian.Uint16(value)); g >= 1 {
						c["GENRE"] = append(c["GENRE"], genreName(g-1, ""))
					}
				}
			default:
				if s, ok := mp4Text(typ, value); ok {
					c[key] = append(c[key], s)
				}
			}
		}
	}
	all := func(k string) string { return strings.Join(c[k], "; ") }
	first := func(k string) string {
		if v := c[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	t.Artist, t.AlbumArtist, t.Album = all("\xa9ART"), all("aART"), first("\xa9alb")
	t.Title, t.Genre, t.Year = first("\xa9nam"), all("\xa9gen"), yearOf(first("\xa9day"))
	if t.Genre == "" {
		t.Genre = all("GENRE")
	}
	return t, nil
}

// mp4Cover notes the first picture of the covr item, whose data atoms
// are datas: its data atom, located in the file by its offset in moov,
// whose body starts at moovOff. For ReadPicture it offers that picture.
func (r *Reader) mp4Cover(t *Tags, datas []mp4Atom, moovOff int64, moov []byte) {
	if !r.wantPictures() || t.Picture.Length > 0 {
		return
	}
	for _, d := range datas {
		if d.kind != "data" || len(d.body) < 8 {
			continue
		}
		// d.body is a slice of moov that runs to moov's end: their
		// capacities differ by its offset.
		t.Picture = PictureAt{Offset: moovOff + int64(cap(moov)-cap(d.body)) - 8, Length: 8 + int64(len(d.body))}
		if r.pic.pending() {
			value := d.body[8:]
			if r.pic.tooLarge(int64(len(value))) {
				return
			}
			declared := ""
			switch binary.BigEndian.Uint32(d.body) & 0xffffff {
			case 13:
				declared = "image/jpeg"
			case 14:
				declared = "image/png"
			case 27:
				declared = "image/bmp"
			}
			r.pic.take(declared, frontCover, value)
		}
		return
	}
}

// mp4Text decodes a data atom's value of type typ as text: UTF-8 (1),
// UTF-16 (2), or untyped (0) bytes that are valid UTF-8. Other types
// (numbers, pictures) are not text.
func mp4Text(typ uint32, v []byte) (string, bool) {
	switch typ {
	case 1, 0:
		s := cleanTag(string(v))
		if typ == 0 && s != string(v) {
			return "", false
		}
		return s, s != ""
	case 2:
		u := make([]uint16, len(v)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(v[2*i:])
		}
		s := cleanTag(string(utf16.Decode(u)))
		return s, s != ""
	}
	return "", false
}

// looksLikeAtoms reports whether head starts like an MP4 file's first
// atom: a size within the file and a name of four printable characters.
func looksLikeAtoms(head []byte, size int64) bool {
	if len(head) < 16 {
		return false
	}
	n := int64(binary.BigEndian.Uint32(head))
	if n < 8 || n > size {
		return false
	}
	for _, c := range head[4:8] {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
