package library_test

import (
	"bytes"
	"context"
	"os"
	"path"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
)

// TestSampleMusic: every file of the bundled library, whatever its tag
// kind, is read as the catalogue says, cover art included.
func TestSampleMusic(t *testing.T) {
	fsys := os.DirFS("../sample-music")
	lib, err := library.Scan(context.Background(), fsys, library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Skipped) != 0 {
		t.Errorf("skipped %v", lib.Skipped)
	}
	got := map[string]library.Track{}
	for _, tr := range lib.Tracks {
		got[tr.Path] = tr
	}
	files := librarytest.Files()
	if len(lib.Tracks) != len(files) {
		t.Errorf("scan found %d tracks, the catalogue has %d", len(lib.Tracks), len(files))
	}
	images := map[string]librarytest.Image{} // by folder
	for _, im := range librarytest.Images() {
		images[path.Dir(im.Path)] = im
	}
	kinds := map[librarytest.TagKind]int{}
	covers := 0
	for _, f := range files {
		tr, ok := got[f.Path]
		if !ok {
			t.Errorf("%s (%v): not found", f.Path, f.Tag)
			continue
		}
		// The cover: the picture in the file, or its folder's image, as
		// ReadCover reads it; none for the others.
		picture, file := f.Picture, ""
		if im, ok := images[path.Dir(f.Path)]; ok && picture == "" {
			picture, file = im.Picture, im.Path
		}
		if picture == "" && tr.Cover != (library.Cover{}) || picture != "" && (tr.Cover.ID == "" || tr.Cover.File != file) {
			t.Errorf("%s: cover %+v, want the picture %q (in file %q)", f.Path, tr.Cover, picture, file)
		}
		if picture != "" {
			mime, data, err := library.ReadCover(fsys, tr, 1<<20)
			if err != nil || mime != "image/jpeg" || !bytes.Equal(data, librarytest.Pictures(picture)) {
				t.Errorf("%s: ReadCover = %s, %d bytes, %v; want the JPEG %s", f.Path, mime, len(data), err, picture)
			}
			covers++
		}
		tr.Cover = library.Cover{}
		want := library.Track{Path: f.Path, Artist: f.Artist, AlbumArtist: f.AlbumArtist, Album: f.Album, Title: f.Title,
			Genre: f.Genre, TrackNo: f.TrackNo, Disc: f.Disc, Year: f.Year, Duration: f.Duration().Round(time.Millisecond)}
		if tr != want {
			t.Errorf("%s (%v):\n got %+v\nwant %+v", f.Path, f.Tag, tr, want)
			continue
		}
		kinds[f.Tag]++
	}
	for k := librarytest.ID3v23Latin1; k <= librarytest.NoTag; k++ {
		if kinds[k] == 0 {
			t.Errorf("no %v file read correctly", k)
		}
	}
	if covers == 0 {
		t.Error("no track of the sample library has cover art")
	}
	t.Logf("%v; read correctly by kind: %v; %d with cover art", lib.Summary(), kinds, covers)
}
