package librarytest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// committed is the sample library as committed, relative to this package.
const committed = "../../sample-music"

const regenerate = "run go run ./tools/gensample sample-music"

// TestGolden checks that the committed sample-music/ is exactly what the
// catalogue generates: the same .mp3 files, byte for byte.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	if err := librarytest.Write(dir); err != nil {
		t.Fatalf("Write: %v", err)
	}
	listed := make(map[string]bool)
	for _, f := range librarytest.Files() {
		listed[f.Path] = true
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(committed, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v (%s)", f.Path, err, regenerate)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the catalogue generates (%s)", f.Path, regenerate)
		}
	}
	for _, im := range librarytest.Images() {
		got, err := os.ReadFile(filepath.Join(committed, filepath.FromSlash(im.Path)))
		if err != nil || !bytes.Equal(got, librarytest.Pictures(im.Picture)) {
			t.Errorf("%s differs from the picture %s (%v; %s)", im.Path, im.Picture, err, regenerate)
		}
	}
	err := filepath.WalkDir(committed, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".mp3") {
			return err
		}
		rel, err := filepath.Rel(committed, path)
		if err != nil {
			return err
		}
		// NFC, as the catalogue is, in case the file system decomposed it.
		if rel := norm.NFC.String(filepath.ToSlash(rel)); !listed[rel] {
			t.Errorf("%s is not in the catalogue (%s)", rel, regenerate)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteIsDeterministic checks that two runs write the same bytes.
func TestWriteIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := librarytest.Write(dir); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	for _, f := range librarytest.Files() {
		x, errA := os.ReadFile(filepath.Join(a, filepath.FromSlash(f.Path)))
		y, errB := os.ReadFile(filepath.Join(b, filepath.FromSlash(f.Path)))
		if errA != nil || errB != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: two runs differ (%v, %v)", f.Path, errA, errB)
		}
	}
}

// TestCatalogue checks the rules the library was made to cover.
func TestCatalogue(t *testing.T) {
	files := librarytest.Files()
	if len(files) < 32 {
		t.Errorf("%d files, want at least 32", len(files))
	}

	kinds := make(map[librarytest.TagKind]int)
	artists := make(map[string]bool)
	paths := make(map[string]bool)
	contents := make(map[[32]byte]string)
	total := 0
	for _, f := range files {
		kinds[f.Tag]++
		artists[f.Artist] = true

		if paths[f.Path] {
			t.Errorf("%s: listed twice", f.Path)
		}
		paths[f.Path] = true
		checkPath(t, f)
		checkFields(t, f)

		b, err := f.Bytes()
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		total += len(b)
		sum := sha256.Sum256(b)
		if other, ok := contents[sum]; ok {
			t.Errorf("%s has the same bytes as %s", f.Path, other)
		}
		contents[sum] = f.Path
	}

	for k := librarytest.ID3v23Latin1; k <= librarytest.NoTag; k++ {
		if kinds[k] < 3 {
			t.Errorf("%d files tagged %s, want at least 3", kinds[k], k)
		}
	}
	if len(artists) < 10 {
		t.Errorf("%d artists, want at least 10", len(artists))
	}
	the := 0
	for a := range artists {
		if strings.HasPrefix(a, "The ") {
			the++
		}
	}
	if the < 3 {
		t.Errorf("%d \"The …\" artists, want at least 3", the)
	}
	for _, a := range []string{"The Streets", "AC/DC", "Sigur Rós", "Motörhead", "Björk", "Mötley Crüe"} {
		if !artists[a] {
			t.Errorf("no files by %s", a)
		}
	}
	nonLatin := false
	for a := range artists {
		for _, r := range a {
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
				nonLatin = true
			}
		}
	}
	if !nonLatin {
		t.Error("no artist with a Japanese name")
	}
	checkCompilation(t, files)

	// Small enough to commit and to scan in a test, big enough to be real.
	if total >= 3<<20 || total < 512<<10 {
		t.Errorf("library is %d bytes, want between 512 KiB and 3 MiB", total)
	}
	t.Logf("%d files, %d bytes, kinds %v", len(files), total, kinds)
}

// checkPath checks that f lives at Artist/Album/<track> Title.mp3, with the
// artist's slashes replaced by "_" and compilations under Various Artists.
func checkPath(t *testing.T, f librarytest.File) {
	t.Helper()
	if !utf8.ValidString(f.Path) || !norm.NFC.IsNormalString(f.Path) {
		t.Errorf("%s: path is not UTF-8 in NFC", f.Path)
	}
	parts := strings.Split(f.Path, "/")
	if len(parts) != 3 || !strings.HasSuffix(parts[2], ".mp3") || strings.ContainsAny(f.Path, `\:*?"<>|`) {
		t.Errorf("%s: want Artist/Album/NN Title.mp3 without characters Windows forbids", f.Path)
		return
	}
	folder := f.AlbumArtist
	if folder == "" {
		folder = f.Artist
	}
	if want := strings.ReplaceAll(folder, "/", "_"); parts[0] != want {
		t.Errorf("%s: artist folder %q, want %q", f.Path, parts[0], want)
	}
	if parts[1] != f.Album {
		t.Errorf("%s: album folder %q, want %q", f.Path, parts[1], f.Album)
	}
}

// checkFields checks what each tag kind can and cannot hold.
func checkFields(t *testing.T, f librarytest.File) {
	t.Helper()
	if f.TrackNo < 1 || f.TrackTotal != 0 && f.TrackTotal < f.TrackNo || f.DiscTotal != 0 && f.DiscTotal < f.Disc {
		t.Errorf("%s: track %d/%d, disc %d/%d", f.Path, f.TrackNo, f.TrackTotal, f.Disc, f.DiscTotal)
	}
	text := []string{f.Artist, f.AlbumArtist, f.Album, f.Title, f.Genre}
	switch f.Tag {
	case librarytest.ID3v23Latin1:
		for _, s := range text {
			if !isLatin1(s) {
				t.Errorf("%s: %q is not ISO-8859-1", f.Path, s)
			}
		}
	case librarytest.ID3v1Only:
		for _, s := range text {
			if !isLatin1(s) || len([]rune(s)) > 30 {
				t.Errorf("%s: %q does not fit an ID3v1 field", f.Path, s)
			}
		}
		if f.AlbumArtist != "" || f.Disc != 0 || f.TrackTotal != 0 || f.DiscTotal != 0 {
			t.Errorf("%s: ID3v1 has no album artist, disc or totals", f.Path)
		}
	case librarytest.NoTag:
		artist, album, title, track, ok := fromPath(f.Path)
		if !ok {
			t.Errorf("%s: the path gives no track number and title", f.Path)
		}
		got := librarytest.File{Path: f.Path, Tag: f.Tag, Artist: artist, Album: album, Title: title, TrackNo: track}
		if f != got {
			t.Errorf("%s: catalogue says %+v, path gives %+v", f.Path, f, got)
		}
	}
}

// checkCompilation checks that Various Artists has one album whose tracks
// are each by a different artist.
func checkCompilation(t *testing.T, files []librarytest.File) {
	t.Helper()
	byArtist := make(map[string]bool)
	albums := make(map[string]bool)
	for _, f := range files {
		if f.AlbumArtist != "Various Artists" {
			continue
		}
		if f.Artist == "" || f.Artist == f.AlbumArtist || byArtist[f.Artist] {
			t.Errorf("%s: compilation track by %q, want a different artist on each", f.Path, f.Artist)
		}
		byArtist[f.Artist] = true
		albums[f.Album] = true
	}
	if len(byArtist) < 3 || len(albums) != 1 {
		t.Errorf("compilation: %d artists on %d albums, want at least 3 on 1", len(byArtist), len(albums))
	}
}

// fromPath reads what a path fallback gives: Artist/Album/NN Title.mp3,
// NN - Title.mp3 or NN_Title.mp3.
func fromPath(p string) (artist, album, title string, track int, ok bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 {
		return "", "", "", 0, false
	}
	name := strings.TrimSuffix(parts[2], ".mp3")
	digits := len(name) - len(strings.TrimLeft(name, "0123456789"))
	if digits == 0 {
		return "", "", "", 0, false
	}
	track, _ = strconv.Atoi(name[:digits])
	for _, sep := range []string{" - ", "_", " "} {
		if rest, found := strings.CutPrefix(name[digits:], sep); found && rest != "" {
			return parts[0], parts[1], rest, track, true
		}
	}
	return "", "", "", 0, false
}

func isLatin1(s string) bool {
	for _, r := range s {
		if r > 0xFF {
			return false
		}
	}
	return true
}

// TestAudioFrames walks each file's MPEG stream: an Info frame whose count
// matches the frames after it, then 64 kbit/s 44.1 kHz Layer III frames to
// the end (or to the ID3v1 tag), 2 to 4 seconds in all.
func TestAudioFrames(t *testing.T) {
	for _, f := range librarytest.Files() {
		b, err := f.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		audio := b
		if bytes.HasPrefix(audio, []byte("ID3")) {
			size := int(audio[6])<<21 | int(audio[7])<<14 | int(audio[8])<<7 | int(audio[9])
			audio = audio[10+size:]
		}
		if f.Tag == librarytest.ID3v1Only {
			if !bytes.HasPrefix(audio[len(audio)-128:], []byte("TAG")) {
				t.Errorf("%s: no ID3v1 tag at the end", f.Path)
			}
			audio = audio[:len(audio)-128]
		}

		frames, infoCount := 0, -1
		off := 0
		for off+4 <= len(audio) {
			h := audio[off : off+4]
			if h[0] != 0xFF || h[1] != 0xFB || h[2]>>4 != 5 || h[2]>>2&3 != 0 {
				t.Errorf("%s: frame %d at %d: header % x, want MPEG-1 Layer III 64 kbit/s 44.1 kHz", f.Path, frames, off, h)
				break
			}
			n := 208 + int(h[2]>>1&1)
			if frames == 0 {
				side := 32
				if h[3]>>6 == 3 { // mono
					side = 17
				}
				info := audio[off+4+side:]
				if !bytes.HasPrefix(info, []byte("Info")) {
					t.Errorf("%s: first frame is not an Info frame", f.Path)
				}
				infoCount = int(binary.BigEndian.Uint32(info[8:]))
			}
			off += n
			frames++
		}
		if off != len(audio) {
			t.Errorf("%s: %d bytes of audio, frames end at %d", f.Path, len(audio), off)
		}
		if infoCount != frames-1 {
			t.Errorf("%s: Info frame says %d frames, %d follow it", f.Path, infoCount, frames-1)
		}
		if secs := float64(infoCount*1152) / 44100; secs < 2 || secs > 4.01 {
			t.Errorf("%s: %.2f s, want 2 to 4", f.Path, secs)
		}
	}
}
