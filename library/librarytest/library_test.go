package librarytest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trackfeed/trackfeed/library"
)

// TestScanReadsWhatWasWritten scans a generated library and checks every
// track against the plan it was written from.
func TestScanReadsWhatWasWritten(t *testing.T) {
	const n, seed = 1200, 7
	dir := t.TempDir()
	st, err := WriteLibrary(dir, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != n || st.ID3v23+st.ID3v24+st.ID3v1Only+st.Untagged+st.Broken() != n {
		t.Fatalf("stats do not add up to %d files: %+v", n, st)
	}
	if st.Covers != n/5 || st.Unsynchronised != n/200 || st.Empty == 0 || st.Truncated == 0 {
		t.Errorf("stats = %+v, want %d covers, %d unsynchronised, some empty and truncated", st, n/5, n/200)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	lib, err := library.Scan(ctx, os.DirFS(dir), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]library.Track)
	for _, tr := range lib.Tracks {
		got[tr.Path] = tr
	}
	skipped := make(map[string]library.Reason)
	for _, sk := range lib.Skipped {
		skipped[sk.Path] = sk.Reason
	}
	for _, f := range plan(n, seed) {
		switch {
		case f.empty:
			if skipped[f.path] != library.ReasonEmpty {
				t.Errorf("%s: skip reason %q, want %q", f.path, skipped[f.path], library.ReasonEmpty)
			}
			continue
		case f.truncated:
			if skipped[f.path] != library.ReasonCorrupt {
				t.Errorf("%s: skip reason %q, want %q", f.path, skipped[f.path], library.ReasonCorrupt)
			}
			continue
		}
		// The files with a cover have one, the others none; the ID is
		// library's to choose.
		g := got[f.path]
		if (g.Cover.ID != "" && g.Cover.File == "") != f.cover {
			t.Errorf("%s: cover %+v, want a picture in the file: %v", f.path, g.Cover, f.cover)
		}
		g.Cover = library.Cover{}
		if want := f.want(); g != want {
			t.Errorf("%s (kind %d, unsync %v)\n got %+v\nwant %+v", f.path, f.kind, f.unsync, g, want)
		}
	}
	if len(lib.Tracks)+len(lib.Skipped) != n {
		t.Errorf("%d tracks and %d skips, want %d files", len(lib.Tracks), len(lib.Skipped), n)
	}
}

// want returns the track that a correct scan reads from f.
func (f *file) want() library.Track {
	tr := library.Track{Path: f.path, Artist: f.artist, AlbumArtist: f.albumArtist, Album: f.album,
		Title: f.title, Genre: f.genre, TrackNo: f.track, Disc: f.disc, Year: f.year}
	switch f.kind {
	case kindID3v1:
		fromPath := library.FromPath(f.path)
		v1 := f.tagV1()
		tr.AlbumArtist, tr.Disc = "", 0
		tr.Title = cmpOr(fromLatin1(v1.Title), fromPath.Title)
		tr.Artist = cmpOr(fromLatin1(v1.Artist), fromPath.Artist)
		tr.Album = cmpOr(fromLatin1(v1.Album), fromPath.Album)
	case kindNone:
		tr = library.FromPath(f.path)
	}
	// Frames of 417 bytes with no Info frame: the duration is estimated
	// from the size at 128 kbit/s (the frames, unpadded, are a little
	// shorter than 1152 samples' worth). An ID3v1 tag the reader had no
	// need to read, the ID3v2 tag holding all it could add, counts as
	// audio.
	audio := f.frames * 417
	full := f.artist != "" && f.album != "" && f.title != "" && f.genre != "" && f.track != 0 && f.year != 0
	if f.v1 && f.kind.v2() && full {
		audio += 128
	}
	tr.Duration = (time.Duration(audio*8) * time.Second / 128000).Round(time.Millisecond)
	return tr
}

// fromLatin1 decodes ISO-8859-1.
func fromLatin1(s string) string {
	var b []byte
	for i := range len(s) {
		b = utf8.AppendRune(b, rune(s[i]))
	}
	return string(b)
}

func cmpOr(a, b string) string {
	if a = strings.TrimSpace(a); a != "" {
		return a
	}
	return b
}

func TestWriteLibraryIsDeterministic(t *testing.T) {
	const n = 300
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, w := range []struct {
		dir  string
		seed uint64
	}{{a, 1}, {b, 1}, {c, 2}} {
		if _, err := WriteLibrary(w.dir, n, w.seed); err != nil {
			t.Fatal(err)
		}
	}
	if ha, hb := treeHash(t, a), treeHash(t, b); !bytes.Equal(ha, hb) {
		t.Errorf("two libraries with seed 1 differ")
	}
	if ha, hc := treeHash(t, a), treeHash(t, c); bytes.Equal(ha, hc) {
		t.Errorf("libraries with seeds 1 and 2 are the same")
	}
}

// treeHash hashes every path and file under dir, in walk order.
func treeHash(t *testing.T, dir string) []byte {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel + "\x00"))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// TestUnsynchronisedTags checks that the unsynchronised tags hold stuffed
// bytes, so that a reader that ignores the flag would read them wrong.
func TestUnsynchronisedTags(t *testing.T) {
	for _, f := range plan(400, 3) {
		if !f.unsync {
			continue
		}
		b := f.appendTo(nil, jpeg(3, f.album))
		if b[5]&0x80 == 0 {
			t.Errorf("%s: unsynchronisation flag not set", f.path)
		}
		if !bytes.Contains(b, []byte{0xFF, 0x00, 0xFE}) {
			t.Errorf("%s: no stuffed byte order mark", f.path)
		}
		for i := 0; i+1 < len(b) && i < 10+int(syncsafe(b[6:10])); i++ {
			if b[i] == 0xFF && b[i+1] >= 0xE0 {
				t.Fatalf("%s: false sync 0xFF 0x%02X at %d", f.path, b[i+1], i)
			}
		}
	}
}

func syncsafe(b []byte) int64 {
	var n int64
	for _, c := range b {
		n = n<<7 | int64(c&0x7F)
	}
	return n
}

func TestRoman(t *testing.T) {
	for _, tc := range []struct {
		in   int
		want string
	}{{2, "II"}, {4, "IV"}, {9, "IX"}, {14, "XIV"}, {1994, "MCMXCIV"}} {
		if got := roman(tc.in); got != tc.want {
			t.Errorf("roman(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
