package publisher

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/trackfeed/trackfeed/library"
)

// Order is the order the publisher plays the library in.
type Order int

const (
	// Shuffle plays every track once in random order, then reshuffles.
	Shuffle Order = iota
	// Sequential plays the tracks by path, then starts over. (Tracks
	// added during a round play in the order they were added.)
	Sequential
)

// ParseOrder reads "shuffle" or "sequential".
func ParseOrder(s string) (Order, bool) {
	switch s {
	case "shuffle":
		return Shuffle, true
	case "sequential":
		return Sequential, true
	}
	return 0, false
}

func (o Order) String() string {
	if o == Sequential {
		return "sequential"
	}
	return "shuffle"
}

// Playlist hands out tracks in play order: each round plays every track
// once. Tracks added during a round join it (at a random place when
// shuffling), so a publisher can start before its scan ends; tracks removed
// leave it at once. A path is in the playlist at most once. It is safe for
// concurrent use.
type Playlist struct {
	mu     sync.Mutex
	order  Order
	rng    *rand.Rand
	tracks []library.Track
	covers []uint64       // coverKey of each track's cover ID, by index in tracks
	byPath map[string]int // path → index in tracks
	round  []int          // indexes into tracks, in play order
	pos    []int          // index in tracks → position in round
	next   int            // position in round of the next track to play

	artists map[string]int    // artist → tracks
	albums  map[[2]string]int // album artist (or artist), album → tracks

	filled chan struct{} // closed while the playlist holds a track
}

// NewPlaylist makes an empty playlist; seed makes the shuffle reproducible.
func NewPlaylist(order Order, seed uint64) *Playlist {
	return &Playlist{
		order:   order,
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		byPath:  make(map[string]int),
		artists: make(map[string]int),
		albums:  make(map[[2]string]int),
		filled:  make(chan struct{}),
	}
}

// Wait returns nil once the playlist holds a track, or ctx's error if ctx
// ends first.
func (p *Playlist) Wait(ctx context.Context) error {
	p.mu.Lock()
	filled := p.filled
	p.mu.Unlock()
	select {
	case <-filled:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// signal keeps filled in step with the number of tracks; p.mu is held.
func (p *Playlist) signal() {
	select {
	case <-p.filled:
		if len(p.tracks) == 0 {
			p.filled = make(chan struct{})
		}
	default:
		if len(p.tracks) > 0 {
			close(p.filled)
		}
	}
}

// Add puts tracks in the library and in the current round; a track whose
// path is already there replaces it in place.
func (p *Playlist) Add(tracks ...library.Track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	for _, t := range tracks {
		if i, ok := p.byPath[t.Path]; ok {
			p.count(p.tracks[i], -1)
			p.tracks[i] = t
			p.covers[i] = coverKey(t.Cover.ID)
			p.count(t, +1)
			continue
		}
		i := len(p.tracks)
		p.tracks = append(p.tracks, t)
		p.covers = append(p.covers, coverKey(t.Cover.ID))
		p.byPath[t.Path] = i
		p.count(t, +1)
		p.round = append(p.round, i)
		p.pos = append(p.pos, len(p.round)-1)
		if p.order == Shuffle {
			// Swap the new track to a random place among those not yet played.
			last := len(p.round) - 1
			p.swap(last, p.next+p.rng.IntN(last-p.next+1))
		}
	}
}

// Remove takes the track at path out of the library and the round; it
// reports whether it was there.
func (p *Playlist) Remove(path string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.signal()
	i, ok := p.byPath[path]
	if !ok {
		return false
	}
	p.count(p.tracks[i], -1)
	// Out of the round: a played track leaves the played part, keeping the
	// unplayed part as it is, and the last position is freed.
	r, last := p.pos[i], len(p.round)-1
	if r < p.next {
		p.swap(r, p.next-1)
		r = p.next - 1
		p.next--
	}
	p.swap(r, last)
	p.round = p.round[:last]
	// Out of tracks: the last track moves into its slot.
	lt := len(p.tracks) - 1
	if i != lt {
		p.tracks[i] = p.tracks[lt]
		p.covers[i] = p.covers[lt]
		p.byPath[p.tracks[i].Path] = i
		p.pos[i] = p.pos[lt]
		p.round[p.pos[i]] = i
	}
	p.tracks[lt] = library.Track{}
	p.tracks, p.covers, p.pos = p.tracks[:lt], p.covers[:lt], p.pos[:lt]
	delete(p.byPath, path)
	return true
}

// swap exchanges two positions of the round.
func (p *Playlist) swap(a, b int) {
	p.round[a], p.round[b] = p.round[b], p.round[a]
	p.pos[p.round[a]], p.pos[p.round[b]] = a, b
}

// count adds d to t's artist and album counts, by library.Summary's rules
// (so that query stats and the scan's summary agree): an empty artist is
// no artist, an empty album no album, and an album is its album artist's,
// or its artist's when it has none.
func (p *Playlist) count(t library.Track, d int) {
	if t.Artist != "" {
		add(p.artists, t.Artist, d)
	}
	if t.Album != "" {
		k := [2]string{t.AlbumArtist, t.Album}
		if k[0] == "" {
			k[0] = t.Artist
		}
		add(p.albums, k, d)
	}
}

func add[K comparable](m map[K]int, k K, d int) {
	if m[k] += d; m[k] <= 0 {
		delete(m, k)
	}
}

// Len is the number of tracks.
func (p *Playlist) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tracks)
}

// Counts returns the number of tracks, distinct artists and albums.
func (p *Playlist) Counts() (tracks, artists, albums int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tracks), len(p.artists), len(p.albums)
}

// Artists returns every artist with its number of tracks.
func (p *Playlist) Artists() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.artists))
	for a, n := range p.artists {
		m[a] = n
	}
	return m
}

// Tracks returns every track, sorted by path.
func (p *Playlist) Tracks() []library.Track {
	p.mu.Lock()
	out := slices.Clone(p.tracks)
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b library.Track) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Cover returns a track whose cover has the given ID; false if none has.
// It looks through a compact list of the IDs' hashes, 8 bytes a track:
// about 0.1 ms for 100,000 tracks (BENCHMARKS.md), where a map from ID to
// track would cost ten times the memory, for a request that comes once a
// track sent at most.
func (p *Playlist) Cover(id string) (library.Track, bool) {
	if id == "" {
		return library.Track{}, false
	}
	key := coverKey(id)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, k := range p.covers {
		if k == key && p.tracks[i].Cover.ID == id {
			return p.tracks[i], true
		}
	}
	return library.Track{}, false
}

// coverKey hashes a cover ID (FNV-1a, 64 bits); 0 for none.
func coverKey(id string) uint64 {
	if id == "" {
		return 0
	}
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * 1099511628211
	}
	return h | 1 // never 0
}

// Next returns the next track; false when the playlist is empty.
func (p *Playlist) Next() (library.Track, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tracks) == 0 {
		return library.Track{}, false
	}
	if p.next == len(p.round) {
		p.next = 0
		if p.order == Sequential {
			// Tracks added during a scan arrive in any order.
			slices.SortFunc(p.round, func(a, b int) int { return strings.Compare(p.tracks[a].Path, p.tracks[b].Path) })
		} else {
			p.rng.Shuffle(len(p.round), func(i, j int) { p.round[i], p.round[j] = p.round[j], p.round[i] })
		}
		for r, i := range p.round {
			p.pos[i] = r
		}
	}
	t := p.tracks[p.round[p.next]]
	p.next++
	return t, true
}
