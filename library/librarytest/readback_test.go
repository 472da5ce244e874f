package librarytest_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/dhowden/tag"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// TestReadBack reads every file with github.com/dhowden/tag, the reader the
// scanner uses, and compares what it finds with the catalogue.
func TestReadBack(t *testing.T) {
	wantFormat := map[librarytest.TagKind]tag.Format{
		librarytest.ID3v23Latin1: tag.ID3v2_3,
		librarytest.ID3v23UTF16:  tag.ID3v2_3,
		librarytest.ID3v24UTF8:   tag.ID3v2_4,
		librarytest.ID3v24UTF16:  tag.ID3v2_4,
		librarytest.ID3v1Only:    tag.ID3v1,
	}
	for _, f := range librarytest.Files() {
		b, err := f.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		m, err := tag.ReadFrom(bytes.NewReader(b))
		if f.Tag == librarytest.NoTag {
			if !errors.Is(err, tag.ErrNoTagsFound) {
				t.Errorf("%s: ReadFrom error %v, want ErrNoTagsFound", f.Path, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ReadFrom: %v", f.Path, err)
			continue
		}
		if m.Format() != wantFormat[f.Tag] {
			t.Errorf("%s: format %s, want %s", f.Path, m.Format(), wantFormat[f.Tag])
		}

		got := f
		got.Artist, got.AlbumArtist, got.Album, got.Title, got.Genre = m.Artist(), m.AlbumArtist(), m.Album(), m.Title(), m.Genre()
		got.TrackNo, got.TrackTotal = m.Track()
		got.Disc, got.DiscTotal = m.Disc()
		got.Year = m.Year()
		if f.Tag == librarytest.ID3v1Only {
			// dhowden/tag returns ID3v1 text as raw bytes; ID3v1 is
			// ISO-8859-1, so "Mötley Crüe" comes back as "M\xf6tley Cr\xfce"
			// until the reader decodes it.
			got.Artist, got.Album, got.Title = fromLatin1(got.Artist), fromLatin1(got.Album), fromLatin1(got.Title)
		}
		if got != f {
			t.Errorf("%s:\n read %+v\n want %+v", f.Path, got, f)
		}
	}
}

// fromLatin1 decodes s, whose bytes are ISO-8859-1.
func fromLatin1(s string) string {
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return string(r)
}
