package library

import (
	"fmt"
	"testing"
)

func TestFromPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Track
	}{
		{"artist album number title", "Daft Punk/Discovery/01 One More Time.mp3",
			Track{Artist: "Daft Punk", Album: "Discovery", Title: "One More Time", TrackNo: 1}},
		{"dash", "Nirvana/Nevermind/05 - Lithium.mp3",
			Track{Artist: "Nirvana", Album: "Nevermind", Title: "Lithium", TrackNo: 5}},
		{"underscores", "Nirvana/Nevermind/05_Lithium.mp3",
			Track{Artist: "Nirvana", Album: "Nevermind", Title: "Lithium", TrackNo: 5}},
		{"underscores for spaces", "A/B/03_In_Bloom.mp3",
			Track{Artist: "A", Album: "B", Title: "In Bloom", TrackNo: 3}},
		{"underscores kept beside spaces", "A/B/03 snake_case song.mp3",
			Track{Artist: "A", Album: "B", Title: "snake_case song", TrackNo: 3}},
		{"dot", "A/B/7. Seven.flac", Track{Artist: "A", Album: "B", Title: "Seven", TrackNo: 7}},
		{"dot no space", "A/B/07.Seven.flac", Track{Artist: "A", Album: "B", Title: "Seven", TrackNo: 7}},
		{"ellipsis kept", "A/B/07 ...Baby One More Time.mp3",
			Track{Artist: "A", Album: "B", Title: "...Baby One More Time", TrackNo: 7}},
		{"three digits", "A/B/101 Dalmatians.mp3", Track{Artist: "A", Album: "B", Title: "Dalmatians", TrackNo: 101}},
		{"four digits is a title", "Smashing Pumpkins/Mellon Collie/1979.mp3",
			Track{Artist: "Smashing Pumpkins", Album: "Mellon Collie", Title: "1979"}},
		{"digits glued to a word", "2Pac.mp3", Track{Title: "2Pac"}},
		{"disc and track", "A/B/1-07 Title.m4a", Track{Artist: "A", Album: "B", Title: "Title", TrackNo: 7, Disc: 1}},
		{"number only", "A/B/07.mp3", Track{Artist: "A", Album: "B", TrackNo: 7}},
		{"plain title", "Title.mp3", Track{Title: "Title"}},
		{"album only", "Album/Title.mp3", Track{Album: "Album", Title: "Title"}},
		{"deeper tree", "Music/Rock/Artist/Album/02 Two.ogg",
			Track{Artist: "Artist", Album: "Album", Title: "Two", TrackNo: 2}},
		{"disc folder", "Artist/Album/CD2/03 Three.mp3",
			Track{Artist: "Artist", Album: "Album", Title: "Three", TrackNo: 3, Disc: 2}},
		{"disc folder with space", "Artist/Album/Disc 1/03 Three.mp3",
			Track{Artist: "Artist", Album: "Album", Title: "Three", TrackNo: 3, Disc: 1}},
		{"disc in name wins", "Artist/Album/disk-1/2-03 Three.mp3",
			Track{Artist: "Artist", Album: "Album", Title: "Three", TrackNo: 3, Disc: 2}},
		{"not a disc folder", "Artist/CDs for sale/03 Three.mp3",
			Track{Artist: "Artist", Album: "CDs for sale", Title: "Three", TrackNo: 3}},
		{"dot inside title", "A/B/01 Mr. Brightside.mp3", Track{Artist: "A", Album: "B", Title: "Mr. Brightside", TrackNo: 1}},
		{"no extension", "A/B/01 Mr. Brightside", Track{Artist: "A", Album: "B", Title: "Mr. Brightside", TrackNo: 1}},
		{"spaces trimmed", " A / B /  01   Spaced  .mp3", Track{Artist: "A", Album: "B", Title: "Spaced", TrackNo: 1}},
		{"unicode", "Björk/Homogenic/02 Jóga.mp3", Track{Artist: "Björk", Album: "Homogenic", Title: "Jóga", TrackNo: 2}},
		{"invalid UTF-8", "Bj\xf6rk/Homogenic/02 J\xf3ga.mp3",
			Track{Artist: "Bj\uFFFDrk", Album: "Homogenic", Title: "J\uFFFDga", TrackNo: 2}},
		{"empty", "", Track{}},
		{"extension only", ".mp3", Track{Title: ".mp3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.Path = tc.in
			if got := FromPath(tc.in); got != tc.want {
				t.Errorf("FromPath(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

func ExampleFromPath() {
	t := FromPath("Daft Punk/Discovery/03 - Digital Love.mp3")
	fmt.Printf("%s / %s / %d %s\n", t.Artist, t.Album, t.TrackNo, t.Title)
	// Output: Daft Punk / Discovery / 3 Digital Love
}
