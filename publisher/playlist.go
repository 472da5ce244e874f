package publisher

import (
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
	// added during the first round play in the order they were added.)
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
// shuffling), so a publisher can start before its scan ends. It is safe for
// concurrent use.
type Playlist struct {
	mu     sync.Mutex
	order  Order
	rng    *rand.Rand
	tracks []library.Track
	round  []int // indexes into tracks, in play order
	next   int   // position in round
}

// NewPlaylist makes an empty playlist; seed makes the shuffle reproducible.
func NewPlaylist(order Order, seed uint64) *Playlist {
	return &Playlist{order: order, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add appends tracks to the library and to the current round.
func (p *Playlist) Add(tracks ...library.Track) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range tracks {
		p.tracks = append(p.tracks, t)
		p.round = append(p.round, len(p.tracks)-1)
		if p.order == Shuffle {
			// Swap the new track to a random place among those not yet played.
			last := len(p.round) - 1
			j := p.next + p.rng.IntN(last-p.next+1)
			p.round[last], p.round[j] = p.round[j], p.round[last]
		}
	}
}

// Len is the number of tracks.
func (p *Playlist) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tracks)
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
	}
	t := p.tracks[p.round[p.next]]
	p.next++
	return t, true
}
