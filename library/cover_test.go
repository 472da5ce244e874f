package library

import (
	"bytes"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/library/tags"
)

// pngOf is a small PNG in two colours.
func pngOf(c color.RGBA) []byte {
	return librarytest.PNG(librarytest.CoverImage(4, c, color.RGBA{0, 0, 0, 255}))
}

var (
	redPNG   = pngOf(color.RGBA{200, 0, 0, 255})
	greenPNG = pngOf(color.RGBA{0, 200, 0, 255})
	bluePNG  = pngOf(color.RGBA{0, 0, 200, 255})
	fakeJPEG = append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{7}, 60)...)
)

// withPicture is an MP3 whose ID3v2.3 tag holds title and an APIC frame of
// picture (the frame's MIME type says JPEG; ReadCover goes by the bytes).
func withPicture(title string, picture []byte) []byte {
	return cat(librarytest.ID3v2{Version: 3, Frames: []librarytest.Frame{{ID: "TIT2", Text: title}}, Cover: picture, Padding: 64}.Append(nil), audio(400))
}

// coverFiles is a library of every way a track gets its cover, or none.
var coverFiles = map[string][]byte{
	// The file's own picture wins over the folder's image.
	"A/Embedded/01 Own.mp3":  withPicture("Own", redPNG),
	"A/Embedded/02 Same.mp3": withPicture("Same", redPNG),
	"A/Embedded/cover.jpg":   fakeJPEG,
	// The folder's image, by the order of coverNames, in any case.
	"A/Folder/01 Plain.mp3": mp3("A", "Plain"),
	"A/Folder/Folder.JPG":   fakeJPEG,
	"A/Folder/front.png":    bluePNG,
	"A/Folder/back.jpg":     fakeJPEG,
	// A disc folder without an image takes its album's.
	"A/Discs/cover.png":         greenPNG,
	"A/Discs/CD 1/01 One.mp3":   mp3("A", "One"),
	"A/Discs/Disc 2/01 Two.mp3": mp3("A", "Two"),
	// Neither: no cover. An image of another name is not one.
	"A/None/01 Bare.mp3": mp3("A", "Bare"),
	"A/None/scan.jpg":    fakeJPEG,
	// An image in the parent of a folder that is not a disc folder is not
	// its cover.
	"B/cover.jpg":          fakeJPEG,
	"B/Album/01 Under.mp3": mp3("B", "Under"),
}

func coverLibrary() fstest.MapFS {
	mtime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	fsys := fstest.MapFS{}
	for name, data := range coverFiles {
		fsys[name] = &fstest.MapFile{Data: data, ModTime: mtime}
	}
	return fsys
}

func TestScanCovers(t *testing.T) {
	fsys := coverLibrary()
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, file string // file "" for the track's own picture
		want       []byte // nil: no cover
		mime       string
	}{
		{"A/Embedded/01 Own.mp3", "", redPNG, "image/png"},
		{"A/Embedded/02 Same.mp3", "", redPNG, "image/png"},
		{"A/Folder/01 Plain.mp3", "A/Folder/Folder.JPG", fakeJPEG, "image/jpeg"},
		{"A/Discs/CD 1/01 One.mp3", "A/Discs/cover.png", greenPNG, "image/png"},
		{"A/Discs/Disc 2/01 Two.mp3", "A/Discs/cover.png", greenPNG, "image/png"},
		{"A/None/01 Bare.mp3", "", nil, ""},
		{"B/Album/01 Under.mp3", "", nil, ""},
	} {
		tr := findTrack(lib, tc.path)
		if tc.want == nil {
			if tr.Cover != (Cover{}) {
				t.Errorf("%s: cover %+v, want none", tc.path, tr.Cover)
			}
			continue
		}
		if !isCoverID(tr.Cover.ID) || tr.Cover.File != tc.file {
			t.Errorf("%s: cover %+v, want an ID and file %q", tc.path, tr.Cover, tc.file)
			continue
		}
		mime, data, err := ReadCover(fsys, tr, 1<<20)
		if err != nil || mime != tc.mime || !bytes.Equal(data, tc.want) {
			t.Errorf("%s: ReadCover = %s, %d bytes, %v; want %s, %d bytes", tc.path, mime, len(data), err, tc.mime, len(tc.want))
		}
	}
	// The tracks of a folder share its image's ID; two files with the same
	// picture do not share one (the ID says where a picture is, not what).
	if a, b := findTrack(lib, "A/Discs/CD 1/01 One.mp3").Cover, findTrack(lib, "A/Discs/Disc 2/01 Two.mp3").Cover; a != b {
		t.Errorf("the album's image has two covers: %+v, %+v", a, b)
	}
	if a, b := findTrack(lib, "A/Embedded/01 Own.mp3").Cover, findTrack(lib, "A/Embedded/02 Same.mp3").Cover; a == b {
		t.Errorf("two files share the cover %+v", a)
	}
	// The same files, scanned again, have the same IDs.
	again, err := Scan(testCtx(t), fsys, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, again.Tracks, lib.Tracks)

	// SkipCovers: none at all.
	bare, err := Scan(testCtx(t), fsys, Options{SkipCovers: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range bare.Tracks {
		if tr.Cover != (Cover{}) {
			t.Errorf("with SkipCovers, %s has cover %+v", tr.Path, tr.Cover)
		}
	}
}

// TestReadCoverChecks: a cover read after its file changed, or whose
// bytes are no image, or larger than the limit, is an error that says so.
func TestReadCoverChecks(t *testing.T) {
	fsys := coverLibrary()
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	own, folder := findTrack(lib, "A/Embedded/01 Own.mp3"), findTrack(lib, "A/Folder/01 Plain.mp3")

	if _, _, err := ReadCover(fsys, own, 10); !errors.As(err, new(*tags.PictureTooLargeError)) {
		t.Errorf("an embedded picture over the limit: %v", err)
	}
	if _, _, err := ReadCover(fsys, folder, 10); !errors.As(err, new(*tags.PictureTooLargeError)) {
		t.Errorf("an image file over the limit: %v", err)
	}
	if _, _, err := ReadCover(fsys, findTrack(lib, "A/None/01 Bare.mp3"), 1<<20); err == nil {
		t.Error("a track without a cover read one")
	}

	later := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fsys["A/Embedded/01 Own.mp3"] = &fstest.MapFile{Data: withPicture("Own", bluePNG), ModTime: later}
	fsys["A/Folder/Folder.JPG"] = &fstest.MapFile{Data: fakeJPEG, ModTime: later}
	for _, tr := range []Track{own, folder} {
		if _, _, err := ReadCover(fsys, tr, 1<<20); !errors.Is(err, ErrCoverChanged) {
			t.Errorf("%s changed: %v, want ErrCoverChanged", tr.Path, err)
		}
	}
	// The next scan gives them new IDs, which read.
	lib2, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{own.Path, folder.Path} {
		tr := findTrack(lib2, p)
		if tr.Cover.ID == "" || tr.Cover.ID == findTrack(lib, p).Cover.ID {
			t.Errorf("%s: cover %+v after its picture changed, before %+v", p, tr.Cover, findTrack(lib, p).Cover)
		}
		if _, _, err := ReadCover(fsys, tr, 1<<20); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}

	// Bytes that are no image (an SVG could carry a script).
	fsys["A/Folder/Folder.JPG"] = &fstest.MapFile{Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), ModTime: later}
	lib3, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadCover(fsys, findTrack(lib3, folder.Path), 1<<20); !errors.Is(err, ErrNotImage) {
		t.Errorf("an SVG cover: %v, want ErrNotImage", err)
	}
}

// TestCacheCovers: a restart with the scan cache keeps the covers of the
// files' own pictures without opening them, and finds the folders' images
// afresh: one removed since is gone.
func TestCacheCovers(t *testing.T) {
	fsys := coverLibrary()
	cache := NewCache(filepath.Join(t.TempDir(), "cache"))
	first, _ := scanWith(t, fsys, cache)
	if err := cache.Save(); err != nil {
		t.Fatal(err)
	}
	loaded, err := OpenCache(cache.Path())
	if err != nil {
		t.Fatal(err)
	}
	again, opens := scanWith(t, fsys, loaded)
	if opens != 0 {
		t.Errorf("the restart opened %d files", opens)
	}
	checkTracks(t, again.Tracks, first.Tracks)

	delete(fsys, "A/Folder/Folder.JPG")
	third, opens := scanWith(t, fsys, loaded)
	if opens != 0 {
		t.Errorf("the scan after removing an image opened %d files", opens)
	}
	if c := findTrack(third, "A/Folder/01 Plain.mp3").Cover; c.File != "A/Folder/front.png" {
		t.Errorf("after Folder.JPG went, the cover is %+v, want front.png", c)
	}
	if c := findTrack(third, "A/Embedded/01 Own.mp3").Cover; c != findTrack(first, "A/Embedded/01 Own.mp3").Cover {
		t.Errorf("the cached picture's cover is %+v, was %+v", c, findTrack(first, "A/Embedded/01 Own.mp3").Cover)
	}
}

// TestScanCoverLinks: a link named cover.jpg to an image is the folder's
// cover; one to a folder, or a broken one, is not.
func TestScanCoverLinks(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"art/shared.png":           redPNG,
		"Linked/01 Song.mp3":       mp3("L", "Song"),
		"Broken/01 Song.mp3":       mp3("B", "Song"),
		"ToFolder/01 Song.mp3":     mp3("F", "Song"),
		"ToFolder/front.png":       bluePNG,
		"ToFolder/sub/placeholder": nil,
	})
	for _, l := range []struct{ target, name string }{
		{"../art/shared.png", "Linked/cover.jpg"},
		{"../art/missing.png", "Broken/cover.jpg"},
		{"sub", "ToFolder/cover.jpg"},
	} {
		if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
	}
	fsys := os.DirFS(root)
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	linked := findTrack(lib, "Linked/01 Song.mp3")
	if linked.Cover.File != "Linked/cover.jpg" {
		t.Fatalf("Linked: cover %+v", linked.Cover)
	}
	if _, data, err := ReadCover(fsys, linked, 1<<20); err != nil || !bytes.Equal(data, redPNG) {
		t.Errorf("ReadCover through the link: %d bytes, %v", len(data), err)
	}
	if c := findTrack(lib, "Broken/01 Song.mp3").Cover; c != (Cover{}) {
		t.Errorf("a broken link gave the cover %+v", c)
	}
	// The best name is a link to a folder: no cover, rather than a worse
	// name (front.png) only sometimes.
	if c := findTrack(lib, "ToFolder/01 Song.mp3").Cover; c != (Cover{}) {
		t.Errorf("a link to a folder gave the cover %+v", c)
	}
}

func TestWatchCoverImages(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"Album/01 One.mp3":      mp3("A", "One"),
		"Album/CD 2/01 Two.mp3": mp3("A", "Two"),
		"Other/01 Else.mp3":     mp3("O", "Else"),
	})
	s, _ := startWatch(t, root, WatchOptions{Settle: 20 * time.Millisecond})
	coverOf := func(p string) func(map[string]Track) bool {
		return func(m map[string]Track) bool { return m[p].Cover.File == "Album/cover.png" }
	}
	write(t, root, "Album/cover.png", greenPNG)
	s.waitFor(t, "the folder's track to take the new image", coverOf("Album/01 One.mp3"))
	s.waitFor(t, "the disc folder's track to take it too", coverOf("Album/CD 2/01 Two.mp3"))
	s.mu.Lock()
	other := s.added["Other/01 Else.mp3"]
	s.mu.Unlock()
	if other != 0 {
		t.Errorf("a track of another folder was read again %d times", other)
	}

	rm(t, filepath.Join(root, "Album", "cover.png"))
	s.waitFor(t, "the tracks to lose the image", func(m map[string]Track) bool {
		return m["Album/01 One.mp3"].Cover == (Cover{}) && m["Album/CD 2/01 Two.mp3"].Cover == (Cover{})
	})
}

func TestCoverRank(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"cover.jpg", true}, {"COVER.JPG", true}, {"Folder.jpeg", true}, {"front.PNG", true},
		{"cover.gif", false}, {"covers.jpg", false}, {"back.jpg", false}, {"cover.jpg.bak", false}, {"", false},
	} {
		if got := isCoverImage(tc.name); got != tc.want {
			t.Errorf("isCoverImage(%q) = %v", tc.name, got)
		}
	}
}
