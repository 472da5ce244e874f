package web

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/subscriber"
)

// feedTracks is the library of the test feed: "The …" bands and others.
var feedTracks = []library.Track{
	{Path: "a/1.mp3", Artist: "The Streets", Album: "Corner Shop", Title: "Bus Stop", Genre: "Hip-Hop", TrackNo: 1, Year: 2004},
	{Path: "a/2.mp3", Artist: "Björk", Album: "Glacier Songs", Title: "Tundra Light", Genre: "Electronic", TrackNo: 1, Year: 1995},
	{Path: "a/3.mp3", Artist: "The Cure", Album: "Paper Moths", Title: "Spider Silk", Genre: "Post-Punk", TrackNo: 2, Year: 1989},
	{Path: "a/4.mp3", Artist: "Sigur Rós", Album: "Hafgola", Title: "Snjóbráð", TrackNo: 1},
	{Path: "a/5.mp3", Artist: "Theatre of Tragedy", Album: "Velvet Darkness", Title: "Black as the Devil Painteth", Year: 1997},
	{Path: "a/6.mp3", Artist: "The The", Album: "Soul Mining", Title: "This Is the Day", Genre: "Synth-Pop", TrackNo: 3, Year: 1983},
	{Path: "a/7.mp3", Artist: "Mogwai", Album: "Young Team", Title: "Like Herod", Genre: "Post-Rock", TrackNo: 4, Year: 1997},
	{Path: "a/8.mp3", Artist: "The Velvet Underground", Album: "Loaded", Title: "Sweet Jane", Genre: "Rock", TrackNo: 2, Year: 1970},
}

// startFeed runs a publisher of feedTracks on a loopback port the kernel
// picks, one track every interval, until the test ends. It returns the
// feed's endpoint.
func startFeed(t *testing.T, ctx context.Context, interval time.Duration) string {
	t.Helper()
	return publishertest.Start(t, publisher.Config{Tracks: feedTracks, Interval: interval}).Endpoints()[0]
}

// webServer is a Server run on a loopback port, following a feed.
type webServer struct {
	*Server
	url  string
	stop func() error // stops the server and returns what Run returned
}

// startWeb runs a new Server on addr ("127.0.0.1:0" for a port from the
// kernel), following the feed at endpoint, until stop or the test's end.
func startWeb(t *testing.T, ctx context.Context, addr, endpoint string) *webServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Retry: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, l, subscriber.Options{Endpoints: []string{endpoint}}) }()
	var err2 error
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			err2 = <-done
		}
		return err2
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("web server: %v", err)
		}
	})
	return &webServer{Server: s, url: "http://" + l.Addr().String(), stop: stop}
}

// TestRun follows a real feed over ZeroMQ and serves it, filtered.
func TestRun(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	w := startWeb(t, ctx, "127.0.0.1:0", startFeed(t, ctx, time.Millisecond))
	st := openEvents(t, ctx, w.url, "prefix=the_", nil)
	st.history(t)
	for range 10 {
		tr, _, err := st.nextTrack()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tr.Artist, "The ") || !strings.HasPrefix(tr.Topic, "the_") || tr.Album == "" || tr.Seq == 0 {
			t.Errorf("got %+v, want a full track by a \"The …\" band", tr)
		}
	}
	if err := w.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
	for { // what was sent before the end, then the end
		if _, err := st.next(); err != nil {
			if ctx.Err() != nil {
				t.Error("stream still open after Run returned")
			}
			break
		}
	}
}

// TestFeedReconnectsCounted: when the publisher restarts, the page's
// server reconnects by itself and /metrics counts the connections.
func TestFeedReconnectsCounted(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := "ipc://" + t.TempDir() + "/feed.sock"
	startOn := func() (stop func()) {
		_, stop = publishertest.StartStoppable(t, publisher.Config{Tracks: feedTracks, Bind: []string{ep}, Interval: 5 * time.Millisecond})
		return stop
	}
	stop := startOn()
	w := startWeb(t, ctx, "127.0.0.1:0", ep)
	metric := func() string {
		_, body := get(t, ctx, w.url+"/metrics")
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "trackfeed_web_feed_connects_total ") {
				return strings.TrimPrefix(line, "trackfeed_web_feed_connects_total ")
			}
		}
		return ""
	}
	waitMetric := func(want string) {
		t.Helper()
		for metric() != want {
			if ctx.Err() != nil {
				t.Fatalf("trackfeed_web_feed_connects_total = %q, want %s", metric(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitMetric("1")
	stop()
	stop = startOn()
	defer stop()
	waitMetric("2")
	if err := w.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
