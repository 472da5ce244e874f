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
	if p.cfg.Pace == PaceReal {
		attrs = append(attrs, "pace", "real: each track for its duration")
	}
	if p.cfg.Order == Shuffle {
		attrs = append(attrs, "seed", p.cfg.Seed)
	}
	p.log.Info("publishing", attrs...)
	topicCache := map[string]string{}
	if p.cfg.Pace == PaceReal {
		start := p.cfg.clock.Now()
		hold := p.sendNext(topicCache, start)
		close(p.onAir)
		return schedule.Hold(ctx, p.cfg.clock, start, hold, p.cfg.Interval, func(start time.Time) time.Duration {
			return p.sendNext(topicCache, start)
		})
	}
	p.sendNext(topicCache, time.Time{})
	close(p.onAir)
	if p.cfg.Interval == Unpaced {
		for p.list.Wait(ctx) == nil {
			p.sendNext(topicCache, time.Time{})
		}
		return nil
	}
	return schedule.Run(ctx, p.cfg.Interval, func() { p.sendNext(topicCache, time.Time{}) })
}

// sendNext encodes and sends the playlist's next track, if there is one,
// and returns how long to hold it with PaceReal: its duration, 0 if
// unknown. start is when the track starts with PaceReal, and the message's
// "sent"; zero means now. topicCache keeps slugs per artist between calls.
func (p *Publisher) sendNext(topicCache map[string]string, start time.Time) time.Duration {
	t, ok := p.list.Next()
	if !ok {
		return 0
	}
	topic, ok := topicCache[t.Artist]
	if !ok {
		topic = topics.Slug(t.Artist)
		topicCache[t.Artist] = topic
	}
	if start.IsZero() {
		start = time.Now()
	}
	w := &wire.Track{
		Topic:       topic,
		Artist:      strings.ToValidUTF8(t.Artist, "\uFFFD"),
		Album:       strings.ToValidUTF8(t.Album, "\uFFFD"),
		Title:       strings.ToValidUTF8(t.Title, "\uFFFD"),
		Version:     wire.Version,
		Seq:         p.seq.Add(1),
		Sent:        start.UTC(),
		Path:        t.Path,
		TrackNo:     t.TrackNo,
		Disc:        t.Disc,
		Year:        t.Year,
		Genre:       t.Genre,
		AlbumArtist: t.AlbumArtist,
		Station:     p.cfg.Station,
		Cover:       p.covers.id(&t),
		DurationMS:  t.Duration.Milliseconds(),
	}
	if p.cfg.Pace == PaceReal {
		w.Pace = wire.PaceReal
	}
	p.sock.Send(topic, wire.Encode(w))
	p.last.Store(w)
	return t.Duration
}
