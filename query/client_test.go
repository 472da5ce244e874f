package query_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/query"
)

func TestClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := startQuery(t)
	c := query.Client{Endpoint: f.ep}

	now, err := c.Now(ctx)
	if err != nil || now != f.last {
		t.Errorf("Now = %+v, %v; want %+v", now, err, f.last)
	}

	artists, err := c.Artists(ctx, "the_")
	want := []query.Artist{{Slug: "the_cure", Name: "The Cure", Tracks: 1}, {Slug: "the_streets", Name: "The Streets", Tracks: 2}}
	if err != nil || !reflect.DeepEqual(artists, want) {
		t.Errorf("Artists = %+v, %v; want %+v", artists, err, want)
	}
	if all, err := c.Artists(ctx, ""); err != nil || len(all) != 4 {
		t.Errorf("Artists(\"\") = %d artists, %v; want 4", len(all), err)
	}

	stats, err := c.Stats(ctx)
	if err != nil || stats.Tracks != 5 || stats.Artists != 4 || stats.Sent != 1 {
		t.Errorf("Stats = %+v, %v", stats, err)
	}

	reply, err := c.Do(ctx, "hello", "Query")
	if err != nil || len(reply) != 1 || string(reply[0]) != "Hello Query" {
		t.Errorf("Do hello = %q, %v", reply, err)
	}

	_, err = c.Do(ctx, "bogus")
	var qe *query.Error
	if !errors.As(err, &qe) || !strings.HasPrefix(qe.Message, `unknown command "bogus"`) {
		t.Errorf("Do bogus = %v, want a *query.Error", err)
	}
}

// TestClientNoAnswer: every way of getting no reply is a NoAnswerError,
// within the context's deadline.
func TestClientNoAnswer(t *testing.T) {
	feedEP := startQuery(t).pub.Endpoints()[0]

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
			_, err := (query.Client{Endpoint: tc.ep}).Do(ctx, "now")
			var na *query.NoAnswerError
			if !errors.As(err, &na) || na.Endpoint != tc.ep || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Query = %v, want a NoAnswerError about %q", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v with a 300ms deadline", d)
			}
		})
	}

	if _, err := (query.Client{Endpoint: "localhost:10002"}).Do(context.Background(), "now"); err == nil || !strings.Contains(err.Error(), "want tcp://HOST:PORT") {
		t.Errorf("malformed endpoint: %v", err)
	}
}

func TestEndpointBeside(t *testing.T) {
	for feed, want := range map[string]string{
		"tcp://music.local:10001": "tcp://music.local:10002",
		"tcp://10.0.0.5:5555":     "tcp://10.0.0.5:10002",
		"tcp://[::1]:10001":       "tcp://[::1]:10002",
		"tcp://*:10001":           query.DefaultEndpoint,
		"ipc:///run/feed.sock":    query.DefaultEndpoint,
		"nonsense":                query.DefaultEndpoint,
	} {
		if got := query.EndpointBeside(feed); got != want {
			t.Errorf("EndpointBeside(%q) = %q, want %q", feed, got, want)
		}
	}
}
