package subscriber_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/subscriber"
)

// startQuery runs a publisher of testTracks that has sent one track, and
// its query server, until the test ends; it returns the query endpoint,
// the feed endpoint and the track sent.
func startQuery(t *testing.T) (queryEP, feedEP string, last subscriber.Track) {
	t.Helper()
	sock, err := publisher.Listen([]string{"tcp://127.0.0.1:0"}, publisher.SocketOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	list := publisher.NewPlaylist(publisher.Sequential, 1)
	list.Add(testTracks...)
	pub := publisher.New(sock, list, time.Hour)
	qs, err := publisher.ListenQuery([]string{"tcp://127.0.0.1:0"}, publisher.QuerySource{Publisher: pub, Playlist: list, Socket: sock}, publisher.QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qs.Close() })
	pub.SendNext(nil)
	last, _ = pub.Last()
	return qs.Endpoints()[0], sock.Endpoints()[0], last
}

func TestQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep, _, last := startQuery(t)

	now, err := subscriber.QueryNow(ctx, ep)
	if err != nil || now != last {
		t.Errorf("QueryNow = %+v, %v; want %+v", now, err, last)
	}

	artists, err := subscriber.QueryArtists(ctx, ep, "the_streets")
	want := []subscriber.Artist{{Slug: "the_streets", Name: "The Streets", Tracks: 2}, {Slug: "the_streetsweepers", Name: "The Streetsweepers", Tracks: 1}}
	if err != nil || !reflect.DeepEqual(artists, want) {
		t.Errorf("QueryArtists = %+v, %v; want %+v", artists, err, want)
	}
	if all, err := subscriber.QueryArtists(ctx, ep, ""); err != nil || len(all) != 6 {
		t.Errorf("QueryArtists(\"\") = %d artists, %v; want 6", len(all), err)
	}

	stats, err := subscriber.QueryStats(ctx, ep)
	if err != nil || stats.Tracks != 7 || stats.Artists != 6 || stats.Sent != 1 {
		t.Errorf("QueryStats = %+v, %v", stats, err)
	}

	reply, err := subscriber.Query(ctx, ep, "hello", "Query")
	if err != nil || len(reply) != 1 || string(reply[0]) != "Hello Query" {
		t.Errorf("Query hello = %q, %v", reply, err)
	}

	_, err = subscriber.Query(ctx, ep, "bogus")
	var qe *subscriber.QueryError
	if !errors.As(err, &qe) || !strings.HasPrefix(qe.Message, `unknown command "bogus"`) {
		t.Errorf("Query bogus = %v, want a QueryError", err)
	}
}

// TestQueryNoAnswer: every way of getting no reply is a NoAnswerError,
// within the context's deadline.
func TestQueryNoAnswer(t *testing.T) {
	_, feedEP, _ := startQuery(t)

	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedEP := "tcp://" + refused.Addr().String()
	refused.Close()

	// A server that accepts and never speaks.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		mute.Close()
		for c := range accepted {
			c.Close()
		}
	}()

	for _, tc := range []struct {
		name, ep string
		want     string
	}{
		{"connection refused", refusedEP, "connection refused"},
		{"silent server", "tcp://" + mute.Addr().String(), context.DeadlineExceeded.Error()},
		{"the feed's PUB", feedEP, "handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := subscriber.Query(ctx, tc.ep, "now")
			var na *subscriber.NoAnswerError
			if !errors.As(err, &na) || na.Endpoint != tc.ep || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Query = %v, want a NoAnswerError about %q", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v with a 300ms deadline", d)
			}
		})
	}

	if _, err := subscriber.Query(context.Background(), "localhost:10002", "now"); err == nil || !strings.Contains(err.Error(), "want tcp://HOST:PORT") {
		t.Errorf("malformed endpoint: %v", err)
	}
}
