package publisher

import (
	"context"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/internal/schedule"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// play sends the playlist's tracks on the feed, from the first track that
// comes in until ctx ends; then it returns nil. While the playlist is
// empty (before the first track, or when every file has left) it waits for
// a track without spinning.
func (p *Publisher) play(ctx context.Context) error {
	if p.list.Wait(ctx) != nil {
		return nil
	}
	attrs := []any{"interval", p.cfg.Interval.String(), "order", p.cfg.Order.String()}
	if p.cfg.Interval == Unpaced {
		attrs[1] = "0s"
	}
	if p.cfg.Order == Shuffle {
		attrs = append(attrs, "seed", p.cfg.Seed)
	}
	p.log.Info("publishing", attrs...)
	topicCache := map[string]string{}
	p.sendNext(topicCache)
	close(p.onAir)
	if p.cfg.Interval == Unpaced {
		for p.list.Wait(ctx) == nil {
			p.sendNext(topicCache)
		}
		return nil
	}
	return schedule.Run(ctx, p.cfg.Interval, func() { p.sendNext(topicCache) })
}

// sendNext encodes and sends the playlist's next track, if there is one.
// topicCache keeps slugs per artist between calls.
func (p *Publisher) sendNext(topicCache map[string]string) {
	t, ok := p.list.Next()
	if !ok {
		return
	}
	topic, ok := topicCache[t.Artist]
	if !ok {
		topic = topics.Slug(t.Artist)
		topicCache[t.Artist] = topic
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
		Station:     p.cfg.Station,
		DurationMS:  t.Duration.Milliseconds(),
	}
	p.sock.Send(topic, wire.Encode(w))
	p.last.Store(w)
}
