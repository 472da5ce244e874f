package publisher_test

import (
	"context"
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
