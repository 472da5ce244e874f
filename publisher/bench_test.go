package publisher_test

import (
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/wire"
	"github.com/trackfeed/trackfeed/publisher"
)

func BenchmarkEncode(b *testing.B) {
	t := wire.Track{Topic: "the_streets", Artist: "The Streets", Album: "Original Pirate Material", Title: "Has It Come to This?",
		Version: 1, Seq: 12345, Sent: time.Now(), Path: "The Streets/Original Pirate Material/03 Has It Come to This.mp3", TrackNo: 3, Year: 2002, Genre: "UK garage"}
	b.ReportAllocs()
	for b.Loop() {
		publisher.Encode(&t)
	}
}

// BenchmarkSendNext: one track through the playlist, the encoder and the
// fan-out to 10 subscriber queues (drained so none is full).
func BenchmarkSendNext(b *testing.B) {
	sock, err := publisher.Listen([]string{"tcp://127.0.0.1:0"}, publisher.SocketOptions{HWM: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer sock.Close()
	for range 10 {
		rawSub(b, sock.Endpoints()[0], "")
	}
	waitFor(b, 5*time.Second, "subscribers", func() bool { return sock.Stats().Subscribers == 10 })
	list := publisher.NewPlaylist(publisher.Shuffle, 1)
	list.Add(tracks(100, 20)...)
	pub := publisher.New(sock, list, 0)
	cache := map[string]string{}
	b.ReportAllocs()
	for b.Loop() {
		pub.SendNext(cache)
	}
}
