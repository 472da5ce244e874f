package librarytest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// CoverSize is the size of the front cover that one file in five of
// WriteLibrary's carries.
const CoverSize = 100 << 10

// LibraryStats counts what WriteLibrary wrote. Every file counts once in
// Files and in exactly one of ID3v23, ID3v24, ID3v1Only, Untagged, Empty
// and Truncated.
type LibraryStats struct {
	Files     int
	ID3v23    int // intact ID3v2.3 tags, Unsynchronised included
	ID3v24    int
	ID3v1Only int
	Untagged  int
	Empty     int // zero-byte files
	Truncated int // cut off inside the first frame of their ID3v2 tag

	WithID3v1      int // ID3v2 files with an ID3v1 tail too
	Covers         int
	Unsynchronised int
	Bytes          int64 // the sum of the file sizes
}

// Broken is how many files a scan must skip: the empty and the truncated.
func (s LibraryStats) Broken() int { return s.Empty + s.Truncated }

// WriteLibrary writes a synthetic library of n files under dir, creating
// dir if needed (see the package comment for what it holds). The same n
// and seed always give the same files; files already in dir stay unless a
// new one takes their name.
func WriteLibrary(dir string, n int, seed uint64) (LibraryStats, error) {
	if n < 0 {
		return LibraryStats{}, errors.New("librarytest: negative file count")
	}
	files := plan(n, seed)
	covers := make(map[string][]byte) // one picture per album
	var st LibraryStats
	var buf []byte
	madeDirs := make(map[string]bool)
	for i := range files {
		f := &files[i]
		var cover []byte
		if f.cover {
			album := f.artist + "/" + f.album
			if cover = covers[album]; cover == nil {
				cover = jpeg(seed, album)
				covers[album] = cover
			}
		}
		buf = f.appendTo(buf[:0], cover)
		name := filepath.Join(dir, filepath.FromSlash(f.path))
		if d := filepath.Dir(name); !madeDirs[d] {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return st, fmt.Errorf("librarytest: %w", err)
			}
			madeDirs[d] = true
		}
		if err := os.WriteFile(name, buf, 0o644); err != nil {
			return st, fmt.Errorf("librarytest: %w", err)
		}
		if err := os.Chtimes(name, f.mtime, f.mtime); err != nil {
			return st, fmt.Errorf("librarytest: %w", err)
		}
		st.add(f, len(buf))
	}
	return st, nil
}

func (s *LibraryStats) add(f *file, size int) {
	s.Files++
	s.Bytes += int64(size)
	switch {
	case f.empty:
		s.Empty++
		return
	case f.truncated:
		s.Truncated++
		return
	}
	switch f.kind {
	case kindID3v23:
		s.ID3v23++
	case kindID3v24:
		s.ID3v24++
	case kindID3v1:
		s.ID3v1Only++
	case kindNone:
		s.Untagged++
	}
	if f.kind.v2() && f.v1 {
		s.WithID3v1++
	}
	if f.cover {
		s.Covers++
	}
	if f.unsync {
		s.Unsynchronised++
	}
}

type kind int

const (
	kindID3v23 kind = iota
	kindID3v24
	kindID3v1 // ID3v1.1 alone
	kindNone
)

func (k kind) v2() bool { return k == kindID3v23 || k == kindID3v24 }

// file is one file of the library: its place, its tags and how it is
// written. The tag fields are what the tags say.
type file struct {
	path string
	kind kind

	artist, albumArtist, album, title, genre string
	track, trackTotal, disc, discTotal, year int

	enc          Encoding // of the ID3v2 text frames
	numericGenre bool     // ID3v2.3 "(17)" rather than "Rock"
	longDate     bool     // ID3v2.4 TDRC "1999-04-17" rather than "1999"
	v1           bool     // an ID3v1.1 tail (always, for kindID3v1)
	cover        bool
	coverFirst   bool
	unsync       bool
	padding      int
	frames       int // silent audio frames

	empty     bool
	truncated bool
	cut       int // for truncated files, the length kept

	mtime time.Time // a past time, so that the files look long settled
}

// plan lays out a library of n files. It draws every random choice, so
// that writing is a pure function of the plan.
func plan(n int, seed uint64) []file {
	r := rand.New(rand.NewPCG(seed, 0x7472_6163_6b66_6565)) // "trackfee"
	files := make([]file, 0, n)
	artists := make(map[string]bool)
	for len(files) < n {
		artist := unique(artists, artistName(r))
		albums := make(map[string]bool)
		for range 1 + r.IntN(6) {
			album := unique(albums, title(r))
			year := 1960 + r.IntN(66)
			genre := pick(r, genres).name
			total := 8 + r.IntN(7)
			albumArtist := ""
			if r.IntN(3) == 0 {
				albumArtist = artist
			}
			discTotal := 0
			if r.IntN(4) == 0 {
				discTotal = 1
			}
			for t := 1; t <= total && len(files) < n; t++ {
				title := title(r)
				files = append(files, file{
					path:   artist + "/" + album + "/" + fmt.Sprintf("%02d %s.mp3", t, title),
					artist: artist, albumArtist: albumArtist, album: album, title: title,
					genre: genre, track: t, trackTotal: total, disc: discTotal, discTotal: discTotal,
					year: year,
				})
			}
		}
	}

	// Exact shares, drawn from one permutation so that they do not overlap.
	order := r.Perm(n)
	next := 0
	take := func(share float64, atLeast int) []int {
		k := min(max(int(float64(n)*share), atLeast), n-next)
		s := order[next : next+k]
		next += k
		return s
	}
	for _, i := range take(1.0/4000, 1) {
		files[i].empty = true
	}
	truncated := take(1.0/4000, 1)
	unsync := take(0.005, 1)
	for _, i := range take(0.08, 0) {
		files[i].kind = kindID3v1
	}
	for _, i := range take(0.07, 0) {
		files[i].kind = kindNone
	}
	for _, i := range take(0.35, 0) {
		files[i].kind = kindID3v24
	}
	// The rest, and the truncated and unsynchronised files, are ID3v2.3.
	for _, i := range unsync {
		files[i].unsync = true
	}
	for _, i := range truncated {
		files[i].truncated = true
	}

	// Covers go to one file in five, among the intact ID3v2 files.
	wantCovers := n / 5
	for _, i := range r.Perm(n) {
		if wantCovers == 0 {
			break
		}
		if f := &files[i]; f.kind.v2() && !f.empty && !f.truncated {
			f.cover = true
			wantCovers--
		}
	}

	epoch := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range files {
		f := &files[i]
		f.mtime = epoch.Add(time.Duration(r.Int64N(int64(9 * 365 * 24 * time.Hour))))
		f.frames = 12 + r.IntN(30)
		f.padding = pick(r, []int{0, 256, 1024, 1024, 2048, 4096})
		f.coverFirst = r.IntN(2) == 0
		switch f.kind {
		case kindID3v23:
			f.enc = Latin1
			if r.IntN(5) == 0 || f.unsync {
				// iTunes writes UTF-16 throughout; its byte order mark,
				// 0xFF 0xFE, is what unsynchronisation must stuff.
				f.enc = UTF16
			}
			f.numericGenre = r.IntN(3) == 0
			f.v1 = r.IntN(4) == 0
		case kindID3v24:
			f.enc = UTF8
			if r.IntN(5) == 0 {
				f.enc = UTF16
			}
			f.longDate = r.IntN(2) == 0
			f.v1 = r.IntN(4) == 0
		case kindID3v1:
			f.v1 = true
		}
		if f.unsync && f.padding == 0 {
			// Readers that count the tag's frames in unsynchronised bytes
			// rely on padding to find the end.
			f.padding = 256
		}
		if f.truncated {
			f.v1 = false
		}
	}
	// Cut truncated files inside their first frame, past the ID3v2 header:
	// with no whole frame left, a reader has nothing to go on (one that
	// keeps a cut tag's whole frames, as TagLib and trackfeed do, would
	// read a file cut later).
	for _, i := range truncated {
		f := &files[i]
		tag := f.tag(nil).Append(nil)
		frames := len(tag) - ID3v2Size - f.padding
		first := 10 + int(binary.BigEndian.Uint32(tag[ID3v2Size+4:ID3v2Size+8])) // ID3v2.3 sizes are plain
		f.cut = ID3v2Size + 1 + r.IntN(frames-1)%(first-1)
	}
	return files
}

// tag returns the file's ID3v2 tag, with the cover if it has one.
func (f *file) tag(cover []byte) ID3v2 {
	t := ID3v2{Version: 3, Encoding: f.enc, Cover: cover, CoverFirst: f.coverFirst,
		Padding: f.padding, Unsync: f.unsync}
	yearID, year := "TYER", strconv.Itoa(f.year)
	genre := f.genre
	if f.kind == kindID3v24 {
		t.Version = 4
		yearID = "TDRC"
		if f.longDate {
			year += fmt.Sprintf("-%02d-%02d", 1+f.track%12, 1+f.track)
		}
	} else if f.numericGenre {
		genre = "(" + strconv.Itoa(int(v1Genre(f.genre))) + ")"
	}
	t.Frames = append(t.Frames, Frame{"TPE1", f.artist})
	if f.albumArtist != "" {
		t.Frames = append(t.Frames, Frame{"TPE2", f.albumArtist})
	}
	t.Frames = append(t.Frames,
		Frame{"TALB", f.album},
		Frame{"TIT2", f.title},
		Frame{"TRCK", strconv.Itoa(f.track) + "/" + strconv.Itoa(f.trackTotal)},
	)
	if f.disc != 0 {
		t.Frames = append(t.Frames, Frame{"TPOS", strconv.Itoa(f.disc) + "/" + strconv.Itoa(f.discTotal)})
	}
	t.Frames = append(t.Frames, Frame{yearID, year}, Frame{"TCON", genre})
	return t
}

// tagV1 returns the file's ID3v1.1 tag.
func (f *file) tagV1() ID3v1 {
	return ID3v1{
		Title: v1Field(f.title), Artist: v1Field(f.artist), Album: v1Field(f.album),
		Year: strconv.Itoa(f.year), Track: byte(f.track), Genre: v1Genre(f.genre),
	}
}

// v1Field returns the ID3v1 form of s: ISO-8859-1 cut to the 30 bytes of
// a field, or "" if s has a rune that ISO-8859-1 lacks.
func v1Field(s string) string {
	b, ok := ToLatin1(s)
	if !ok {
		return ""
	}
	return b[:min(len(b), 30)]
}

func v1Genre(name string) byte {
	for _, g := range genres {
		if g.name == name {
			return g.v1
		}
	}
	return 255
}

// appendTo appends the file's bytes to dst.
func (f *file) appendTo(dst []byte, cover []byte) []byte {
	if f.empty {
		return dst
	}
	start := len(dst)
	if f.kind.v2() {
		dst = f.tag(cover).Append(dst)
	}
	// Silent frames, all 417 bytes: 128 kbit/s, a little less.
	dst = Audio{Frames: f.frames, Bitrate: 128, Stereo: true}.Append(dst)
	if f.v1 {
		dst = f.tagV1().Append(dst)
	}
	if f.truncated {
		dst = dst[:start+f.cut]
	}
	return dst
}

// jpeg returns CoverSize bytes that start and end like a JPEG file and are
// random in between, as compressed image data looks; the same album and
// seed give the same bytes.
func jpeg(seed uint64, album string) []byte {
	h := uint64(14695981039346656037)
	for i := 0; i < len(album); i++ {
		h = (h ^ uint64(album[i])) * 1099511628211
	}
	r := rand.New(rand.NewPCG(seed, h))
	b := make([]byte, CoverSize)
	for i := 0; i+8 <= len(b); i += 8 {
		u := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(u >> (8 * j))
		}
	}
	copy(b, "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00")
	copy(b[len(b)-2:], "\xFF\xD9")
	return b
}
