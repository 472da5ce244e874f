package tags_test

import (
	"fmt"
	"log"
	"os"

	"github.com/trackfeed/trackfeed/library/tags"
)

func ExampleRead() {
	f, err := os.Open("../../sample-music/The Streets/Corner Shop Chronicles/02 Chips at Midnight.mp3")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	t, err := tags.Read(f, fi.Size())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %q, track %d of %q (%d), %s\n", t.Artist, t.Title, t.Track, t.Album, t.Year, t.Genre)
	// Output: The Streets: "Chips at Midnight", track 2 of "Corner Shop Chronicles" (2004), Hip-Hop
}
