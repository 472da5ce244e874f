package library_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
)

// TestSampleMusic: every file of the bundled library, whatever its tag
// kind, is read as the catalogue says.
func TestSampleMusic(t *testing.T) {
	lib, err := library.Scan(context.Background(), os.DirFS("../sample-music"), library.Options{})
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
	kinds := map[librarytest.TagKind]int{}
	for _, f := range files {
		tr, ok := got[f.Path]
		if !ok {
			t.Errorf("%s (%v): not found", f.Path, f.Tag)
			continue
		}
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
	t.Logf("%v; read correctly by kind: %v", lib.Summary(), kinds)
}
