package librarytest

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Bytes returns the contents of f: its ID3v2 tag if it has one, a few
// seconds of audio, and its ID3v1 tag if it has one. The same File always
// gives the same bytes.
func (f File) Bytes() ([]byte, error) {
	var b []byte
	switch f.Tag {
	case ID3v23Latin1, ID3v23UTF16, ID3v24UTF8, ID3v24UTF16:
		t, err := f.id3v2()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		b = t.Append(b)
	case ID3v1Only, NoTag:
	default:
		return nil, fmt.Errorf("%s: unknown tag kind %d", f.Path, int(f.Tag))
	}
	b = f.audio().Append(b)
	if f.Tag == ID3v1Only {
		t, err := f.id3v1()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		b = t.Append(b)
	}
	return b, nil
}

// id3v2Padding is the zero padding after the last ID3v2 frame, as taggers
// leave it so that a later edit need not rewrite the file.
const id3v2Padding = 128

// id3v2 returns f's ID3v2.3 or ID3v2.4 tag, with the frames TPE1, TPE2,
// TALB, TIT2, TRCK, TPOS, TYER (v2.3) or TDRC (v2.4) and TCON, leaving out
// those whose value is empty or 0.
func (f File) id3v2() (ID3v2, error) {
	t := ID3v2{Padding: id3v2Padding}
	switch f.Tag {
	case ID3v23Latin1:
		t.Version, t.Encoding = 3, Latin1
	case ID3v23UTF16:
		t.Version, t.Encoding = 3, UTF16
	case ID3v24UTF8:
		t.Version, t.Encoding = 4, UTF8
	case ID3v24UTF16:
		t.Version, t.Encoding = 4, UTF16
	default:
		return t, fmt.Errorf("%s is not an ID3v2 kind", f.Tag)
	}
	if f.Picture != "" {
		if t.Cover = Pictures(f.Picture); t.Cover == nil {
			return t, fmt.Errorf("no picture %q", f.Picture)
		}
	}
	yearID := "TYER"
	if t.Version == 4 {
		yearID = "TDRC"
	}
	var year string
	if f.Year != 0 {
		year = strconv.Itoa(f.Year)
	}
	for _, fr := range []Frame{
		{"TPE1", f.Artist},
		{"TPE2", f.AlbumArtist},
		{"TALB", f.Album},
		{"TIT2", f.Title},
		{"TRCK", ofTotal(f.TrackNo, f.TrackTotal)},
		{"TPOS", ofTotal(f.Disc, f.DiscTotal)},
		{yearID, year},
		{"TCON", f.Genre},
	} {
		if fr.Text == "" {
			continue
		}
		if _, ok := ToLatin1(fr.Text); !ok && t.Encoding == Latin1 {
			return t, fmt.Errorf("%s: %q has a rune that ISO-8859-1 lacks", fr.ID, fr.Text)
		}
		t.Frames = append(t.Frames, fr)
	}
	return t, nil
}

// ofTotal formats a TRCK or TPOS value: "3/10", "3", or "" for 0.
func ofTotal(n, total int) string {
	switch {
	case n == 0:
		return ""
	case total == 0:
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + "/" + strconv.Itoa(total)
}

// id3v1Genres maps the genres that ID3v1 files of the catalogue use to
// their numbers in the ID3v1 genre list.
var id3v1Genres = map[string]byte{
	"Rock":        17,
	"Alternative": 20,
	"Metal":       9,
	"Electronic":  52,
	"Hard Rock":   79,
}

// id3v1 returns f's ID3v1.1 tag: ISO-8859-1 text in 30-byte fields, and
// the track number in the last byte of the comment. It fails where the tag
// cannot hold what the catalogue says.
func (f File) id3v1() (ID3v1, error) {
	genre, ok := id3v1Genres[f.Genre]
	if !ok {
		return ID3v1{}, fmt.Errorf("genre %q is not in the ID3v1 list used here", f.Genre)
	}
	if f.TrackNo < 1 || f.TrackNo > 255 {
		return ID3v1{}, fmt.Errorf("track %d does not fit ID3v1.1", f.TrackNo)
	}
	t := ID3v1{Track: byte(f.TrackNo), Genre: genre}
	if f.Year != 0 {
		t.Year = fmt.Sprintf("%04d", f.Year)
	}
	for _, field := range []struct {
		name, text string
		to         *string
	}{
		{"title", f.Title, &t.Title},
		{"artist", f.Artist, &t.Artist},
		{"album", f.Album, &t.Album},
	} {
		b, ok := ToLatin1(field.text)
		if !ok {
			return ID3v1{}, fmt.Errorf("ID3v1 %s: %q has a rune that ISO-8859-1 lacks", field.name, field.text)
		}
		if len(b) > 30 {
			return ID3v1{}, fmt.Errorf("ID3v1 %s %q is longer than 30 bytes", field.name, field.text)
		}
		*field.to = b
	}
	return t, nil
}

// audio picks f's audio from a hash of its path, so that it stays the same
// when the catalogue is reordered: 77 to 153 frames (2 to 4 seconds) at 64
// kbit/s, mono or joint stereo, and a tone between about 150 and 350 Hz. So
// even untagged files differ in their bytes, as a scanner that keys on
// content expects (the catalogue test checks that no two files are the
// same).
func (f File) audio() Audio {
	h := fnv.New32a()
	h.Write([]byte(f.Path))
	x := int(h.Sum32())
	const minFrames, maxFrames = 77, 153 // 2.01 s, 4.00 s
	return Audio{
		Frames:  minFrames + x%(maxFrames-minFrames+1),
		Bitrate: 64,
		Stereo:  (x>>8)&1 == 1,
		Tone:    4 + (x>>16)%6,
		Info:    true,
		Pad:     true,
	}
}

// Duration is the length of f's audio, as its Info frame says.
func (f File) Duration() time.Duration {
	return time.Duration(f.audio().Frames) * samplesPerFrame * time.Second / sampleRate
}

// Write writes every file of the catalogue, and every image, under dir,
// creating folders as needed and replacing files that are there. It leaves
// other files alone.
func Write(dir string) error {
	write := func(rel string, b []byte) error {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		return os.WriteFile(name, b, 0o644)
	}
	for _, f := range catalogue {
		b, err := f.Bytes()
		if err != nil {
			return err
		}
		if err := write(f.Path, b); err != nil {
			return err
		}
	}
	for _, im := range images {
		b := Pictures(im.Picture)
		if b == nil {
			return fmt.Errorf("%s: no picture %q", im.Path, im.Picture)
		}
		if err := write(im.Path, b); err != nil {
			return err
		}
	}
	return nil
}
