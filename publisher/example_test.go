package publisher_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/query"
)

// A full publisher: it scans a folder (remembering tags in a scan cache),
// follows its changes, broadcasts on a feed and answers queries beside it.
// Here both endpoints are ports the kernel picks on loopback.
func Example() {
	p, err := publisher.New(publisher.Config{
		Dir: "../sample-music", Cache: filepath.Join(os.TempDir(), "trackfeed-example.cache"), Watch: true,
		Bind: []string{"tcp://127.0.0.1:0"}, Query: []string{"tcp://127.0.0.1:0"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	<-p.Scanned()
	s, err := query.Client{Endpoint: p.QueryEndpoints()[0]}.Stats(ctx)
	fmt.Println(s.Tracks, "tracks by", s.Artists, "artists", err)
	stop()
	fmt.Println(<-done)
	// Output:
	// 40 tracks by 17 artists <nil>
	// <nil>
}
