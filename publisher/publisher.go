package publisher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trackfeed/trackfeed/wire"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/topics"
)

// DefaultEndpoint is where the publisher binds unless told otherwise, as
// the original Perl system did.
const DefaultEndpoint = "tcp://*:10001"

// DefaultInterval is the time between two tracks.
const DefaultInterval = 100 * time.Millisecond

// ErrNoTracks is returned by Run when the playlist stays empty.
var ErrNoTracks = errors.New("no tracks to publish")

// Publisher plays a Playlist onto a Socket.
type Publisher struct {
	sock     *Socket
	list     *Playlist
	interval time.Duration

	seq  atomic.Uint64
	last atomic.Pointer[wire.Track]
}

// New makes a publisher that sends the next track of list on sock every
// interval (0: as fast as the socket takes them). An interval under a
// millisecond holds on average: Run wakes once a millisecond and sends the
// tracks due since.
func New(sock *Socket, list *Playlist, interval time.Duration) *Publisher {
	return &Publisher{sock: sock, list: list, interval: interval}
}

// Run sends tracks until ctx is cancelled, then returns nil. It returns
// ErrNoTracks if the playlist is empty when it starts, and an error if its
// interval timer fails.
func (p *Publisher) Run(ctx context.Context) error {
	if p.list.Len() == 0 {
		return ErrNoTracks
	}
	topicCache := map[string]string{}
	if p.interval == 0 {
		for ctx.Err() == nil {
			if p.list.Len() == 0 {
				// Every track has left (publish --watch): look again now
				// and then rather than spin until one comes back.
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			p.SendNext(topicCache)
		}
		return nil
	}
	// Tracks go out on a schedule: each wake-up sends the tracks due since
	// the last by the clock, so a late wake-up is made up at once, but
	// after a long stall (a suspended laptop) the schedule starts again
	// from now instead of bursting.
	tk := newTicker(ctx, max(p.interval, minTick))
	defer tk.stop()
	start := time.Now()
	var done uint64
	p.SendNext(topicCache)
	for {
		err := tk.wait()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("publisher: interval timer: %w", err)
		}
		due := uint64(time.Since(start) / p.interval)
		n := due - done
		done = due
		if time.Duration(n)*p.interval > time.Second {
			n = 1
		}
		for range n {
			p.SendNext(topicCache)
		}
	}
}

// SendNext encodes and sends the playlist's next track. topicCache, if not
// nil, keeps slugs per artist between calls.
func (p *Publisher) SendNext(topicCache map[string]string) {
	t, ok := p.list.Next()
	if !ok {
		return
	}
	topic, ok := topicCache[t.Artist]
	if !ok {
		topic = topics.Slug(t.Artist)
		if topicCache != nil {
			topicCache[t.Artist] = topic
		}
	}
	w := &wire.Track{
		Topic:       topic,
		Artist:      strings.ToValidUTF8(t.Artist, "\uFFFD"),
		Album:       strings.ToValidUTF8(t.Album, "\uFFFD"),
		Title:       strings.ToValidUTF8(t.Title, "\uFFFD"),
		Version:     wire.Version,
		Seq:         p.seq.Add(1),
		Sent:        time.Now().UTC(),
		Path:        t.Path,
		TrackNo:     t.TrackNo,
		Disc:        t.Disc,
		Year:        t.Year,
		Genre:       t.Genre,
		AlbumArtist: t.AlbumArtist,
	}
	p.sock.Send(topic, Encode(w))
	p.last.Store(w)
}

// Last is the track sent last, if any.
func (p *Publisher) Last() (wire.Track, bool) {
	t := p.last.Load()
	if t == nil {
		return wire.Track{}, false
	}
	return *t, true
}

// Encode returns the wire form of t (see docs/PROTOCOL.md).
func Encode(t *wire.Track) []byte {
	var meta [256]byte
	return zmtp.AppendMsg(make([]byte, 0, 64+len(t.Topic)+len(t.Artist)+len(t.Album)+len(t.Title)+256),
		[]byte(t.Topic), []byte(t.Artist), []byte(t.Album), []byte(t.Title), wire.AppendMeta(meta[:0], t))
}
