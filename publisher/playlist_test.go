package publisher

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/trackfeed/trackfeed/library"
)

func track(i int) library.Track {
	t := library.Track{Path: fmt.Sprintf("A%d/B/%03d.mp3", i%7, i), Artist: fmt.Sprint("A", i%7), Album: "B", Title: fmt.Sprint(i)}
	if i%3 != 0 {
		t.Cover.ID = fmt.Sprintf("%016x", i)
	}
	return t
}

// check verifies the playlist's internal indexes agree.
func (p *Playlist) check(t *testing.T) {
	t.Helper()
	if len(p.round) != len(p.tracks) || len(p.pos) != len(p.tracks) || len(p.byPath) != len(p.tracks) || p.next > len(p.round) {
		t.Fatalf("sizes: tracks %d round %d pos %d byPath %d next %d", len(p.tracks), len(p.round), len(p.pos), len(p.byPath), p.next)
	}
	for r, i := range p.round {
		if p.pos[i] != r {
			t.Fatalf("pos[%d] = %d, want %d", i, p.pos[i], r)
		}
	}
	for path, i := range p.byPath {
		if p.tracks[i].Path != path {
			t.Fatalf("byPath[%q] = %d holds %q", path, i, p.tracks[i].Path)
		}
	}
	if len(p.covers) != len(p.tracks) {
		t.Fatalf("%d cover keys for %d tracks", len(p.covers), len(p.tracks))
	}
	for i, tr := range p.tracks {
		if p.covers[i] != coverKey(tr.Cover.ID) {
			t.Fatalf("the cover key of %s is not its cover's", tr.Path)
		}
	}
}

// TestPlaylistCover: a cover ID finds its track through additions,
// replacements and removals; one no track has finds none.
func TestPlaylistCover(t *testing.T) {
	p := NewPlaylist(Shuffle, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	cover := map[int]string{} // the cover ID of each track in the playlist
	for range 2000 {
		i := rng.IntN(60)
		tr := track(i)
		switch {
		case rng.IntN(3) == 2:
			p.Remove(tr.Path)
			delete(cover, i)
		case rng.IntN(4) == 0 && tr.Cover.ID != "":
			tr.Cover.ID += "-new" // the same file, a new picture
			fallthrough
		default:
			p.Add(tr)
			cover[i] = tr.Cover.ID
		}
		p.check(t)
	}
	for i := range 60 {
		id, in := cover[i]
		for _, c := range []string{track(i).Cover.ID, track(i).Cover.ID + "-new"} {
			got, ok := p.Cover(c)
			if want := in && c == id && c != ""; ok != want || ok && got.Path != track(i).Path {
				t.Errorf("track %d (in the playlist: %v, cover %q): Cover(%q) found %v %s", i, in, id, c, ok, got.Path)
			}
		}
	}
	if _, ok := p.Cover(""); ok {
		t.Error("an empty ID found a track")
	}
}

// TestRounds: every round plays every track exactly once, in both orders,
// and a shuffled round is not in path order.
func TestRounds(t *testing.T) {
	for _, order := range []Order{Shuffle, Sequential} {
		p := NewPlaylist(order, 42)
		for i := range 50 {
			p.Add(track(i))
		}
		for round := range 3 {
			seen := map[string]bool{}
			var paths []string
			for range 50 {
				tr, _ := p.Next()
				if seen[tr.Path] {
					t.Fatalf("%v round %d: %s twice", order, round, tr.Path)
				}
				seen[tr.Path] = true
				paths = append(paths, tr.Path)
			}
			sorted := true
			for i := 1; i < len(paths); i++ {
				sorted = sorted && paths[i-1] < paths[i]
			}
			// The first round plays in the order tracks were added.
			if round > 0 && (order == Sequential) != sorted {
				t.Errorf("%v round %d: in path order = %v", order, round, sorted)
			}
		}
		p.check(t)
	}
}

// TestSeed: the same seed plays the same order.
func TestSeed(t *testing.T) {
	a, b := NewPlaylist(Shuffle, 7), NewPlaylist(Shuffle, 7)
	for i := range 20 {
		a.Add(track(i))
		b.Add(track(i))
	}
	for range 60 {
		x, _ := a.Next()
		y, _ := b.Next()
		if x.Path != y.Path {
			t.Fatalf("same seed, different order: %s vs %s", x.Path, y.Path)
		}
	}
}

// TestChanges: adds, replacements and removals in the middle of a round
// keep the rule "each track once per round" and never play a removed track.
func TestChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, order := range []Order{Shuffle, Sequential} {
		p := NewPlaylist(order, 3)
		live := map[string]bool{}
		played := map[string]bool{} // in this round
		nextID := 0
		for step := range 5000 {
			switch op := rng.IntN(10); {
			case op < 3:
				tr := track(nextID)
				nextID++
				p.Add(tr)
				live[tr.Path] = true
			case op < 4 && len(live) > 0:
				for path := range live {
					if !p.Remove(path) {
						t.Fatalf("Remove(%s) = false for a live track", path)
					}
					delete(live, path)
					delete(played, path)
					break
				}
			case op < 5 && len(live) > 0:
				for path := range live { // replace in place
					p.Add(library.Track{Path: path, Artist: "Z", Album: "Y"})
					break
				}
			default:
				tr, ok := p.Next()
				if ok != (len(live) > 0) {
					t.Fatalf("step %d: Next ok = %v with %d live", step, ok, len(live))
				}
				if !ok {
					continue
				}
				if !live[tr.Path] {
					t.Fatalf("step %d: played removed track %s", step, tr.Path)
				}
				if p.next == 1 { // a new round began
					clear(played)
				}
				if played[tr.Path] {
					t.Fatalf("step %d: %s twice in a round", step, tr.Path)
				}
				played[tr.Path] = true
			}
			p.check(t)
		}
		if n, _, _ := p.Counts(); n != len(live) {
			t.Errorf("Counts tracks = %d, want %d", n, len(live))
		}
	}
}

func TestCounts(t *testing.T) {
	p := NewPlaylist(Shuffle, 1)
	p.Add(
		library.Track{Path: "1", Artist: "The Streets", Album: "A"},
		library.Track{Path: "2", Artist: "The Streets", Album: "A"},
		library.Track{Path: "3", Artist: "Portishead", AlbumArtist: "Various Artists", Album: "Night"},
		library.Track{Path: "4", Artist: "Kraftwerk", AlbumArtist: "Various Artists", Album: "Night"},
	)
	if tr, ar, al := p.Counts(); tr != 4 || ar != 3 || al != 2 {
		t.Errorf("Counts = %d, %d, %d; want 4, 3, 2", tr, ar, al)
	}
	p.Remove("4")
	p.Add(library.Track{Path: "2", Artist: "Björk", Album: "Post"})
	if got := p.Artists(); len(got) != 3 || got["The Streets"] != 1 || got["Björk"] != 1 || got["Kraftwerk"] != 0 {
		t.Errorf("Artists = %v", got)
	}
}

// TestCountsAsSummary: the playlist counts artists and albums as the
// scan's summary does, so query stats and scan agree on one library.
func TestCountsAsSummary(t *testing.T) {
	tracks := []library.Track{
		{Path: "a/1.mp3", Artist: "A", Album: "X"},
		{Path: "a/2.mp3", Artist: "A", Album: "X", AlbumArtist: "Various"},
		{Path: "b/1.mp3", Artist: "B", Album: ""},
		{Path: "c/1.mp3", Artist: "", Album: "Y"},
		{Path: "d/1.mp3"},
	}
	p := NewPlaylist(Sequential, 1)
	p.Add(tracks...)
	sum := (&library.Library{Tracks: tracks}).Summary()
	n, artists, albums := p.Counts()
	if n != sum.Tracks || artists != sum.Artists || albums != sum.Albums {
		t.Errorf("playlist counts %d tracks, %d artists, %d albums; the summary %d, %d, %d",
			n, artists, albums, sum.Tracks, sum.Artists, sum.Albums)
	}
	p.Remove("a/2.mp3")
	if _, artists, albums := p.Counts(); artists != 2 || albums != 2 {
		t.Errorf("after a removal: %d artists, %d albums; want 2, 2", artists, albums)
	}
}
