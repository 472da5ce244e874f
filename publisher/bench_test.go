package publisher_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/wire"
)

func BenchmarkEncode(b *testing.B) {
	t := wire.Track{Topic: "the_streets", Artist: "The Streets", Album: "Original Pirate Material", Title: "Has It Come to This?",
		Version: 1, Seq: 12345, Sent: time.Now(), Path: "The Streets/Original Pirate Material/03 Has It Come to This.mp3", TrackNo: 3, Year: 2002, Genre: "UK garage"}
	b.ReportAllocs()
	for b.Loop() {
		wire.Encode(&t)
	}
}

// BenchmarkPublish: tracks through the playlist, the encoder and the
// fan-out to 10 subscriber queues, as fast as they go (Unpaced); ns/op is
// the time per track sent, measured from Stats().Sent.
func BenchmarkPublish(b *testing.B) {
	p, err := publisher.New(publisher.Config{Tracks: publishertest.Tracks(100), Bind: []string{"tcp://127.0.0.1:0"},
		Interval: publisher.Unpaced, HWM: 1 << 20, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for range 10 {
		zmtptest.Sub(b, p.Endpoints()[0], "")
	}
	zmtptest.WaitFor(b, 5*time.Second, "subscribers", func() bool { return p.Stats().Subscribers == 10 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() { done <- p.Run(ctx) }()
	for p.Stats().Sent < uint64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
}

// BenchmarkPlaylistCover looks up the cover ID of the last track added
// among 100,000, each with a cover of its own: the publisher's work for a
// "cover ID" request, a pass over the playlist.
func BenchmarkPlaylistCover(b *testing.B) {
	tracks := publishertest.Tracks(100_000)
	for i := range tracks {
		tracks[i].Cover.ID = fmt.Sprintf("%016x", i)
	}
	list := publisher.NewPlaylist(publisher.Sequential, 1)
	list.Add(tracks...)
	want := tracks[len(tracks)-1].Cover.ID
	for b.Loop() {
		if _, ok := list.Cover(want); !ok {
			b.Fatal("not found")
		}
	}
}
