package web

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
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
	return startWebOpts(t, ctx, addr, endpoint, Options{Retry: 500 * time.Millisecond})
}

// startWebOpts is startWeb with opts.
func startWebOpts(t *testing.T, ctx context.Context, addr, endpoint string, opts Options) *webServer {
	t.Helper()
	return startWebFeed(t, ctx, addr, opts, subscriber.Options{Endpoints: []string{endpoint}})
}

// startWebFeed is startWebOpts, following the feed that feed describes.
func startWebFeed(t *testing.T, ctx context.Context, addr string, opts Options, feed subscriber.Options) *webServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := New(opts)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, l, feed) }()
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
		tr, e, err := st.nextTrack()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(e.Data, `"path"`) || tr.Path != "" {
			t.Errorf("the stream sends the file's path to browsers: %s", e.Data)
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

// TestFeedState: the page's stream, /healthz and /metrics tell the truth
// about the feed: connecting before the first connection, live while
// connected, offline (with the time) once the publisher is gone; /healthz
// fails once the feed has been down longer than the grace period.
func TestFeedState(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	ep := "ipc://" + t.TempDir() + "/feed.sock"
	// A grace of a nanosecond: /healthz fails as soon as the feed is down.
	w := startWebOpts(t, ctx, "127.0.0.1:0", ep, Options{FeedGrace: time.Nanosecond})
	st := openEvents(t, ctx, w.url, "", nil)
	st.history(t)
	nextFeed := func(want string) feedView {
		t.Helper()
		for {
			e, err := st.next()
			if err != nil {
				t.Fatalf("waiting for the feed to be %s: %v", want, err)
			}
			if e.Event != "feed" {
				continue
			}
			var v feedView
			if err := json.Unmarshal([]byte(e.Data), &v); err != nil {
				t.Fatalf("feed event %q: %v", e.Data, err)
			}
			if v.State != want {
				t.Fatalf("feed event %q, want state %s", e.Data, want)
			}
			return v
		}
	}
	health := func(wantCode int, wantBody string) {
		t.Helper()
		resp, body := get(t, ctx, w.url+"/healthz")
		if resp.StatusCode != wantCode || !strings.HasPrefix(body, wantBody) {
			t.Errorf("GET /healthz: %d %q, want %d %q…", resp.StatusCode, body, wantCode, wantBody)
		}
	}
	connected := func(want string) {
		t.Helper()
		_, body := get(t, ctx, w.url+"/metrics")
		if !strings.Contains(body, "\ntrackfeed_web_feed_connected "+want+"\n") {
			t.Errorf("/metrics: want trackfeed_web_feed_connected %s", want)
		}
	}

	nextFeed(feedConnecting)
	health(503, "not connected to the feed yet since ")
	connected("0")

	_, stop := publishertest.StartStoppable(t, publisher.Config{Tracks: feedTracks, Bind: []string{ep}, Interval: 5 * time.Millisecond})
	nextFeed(feedLive)
	health(200, "ok")
	connected("1")

	before := time.Now().Truncate(time.Second)
	stop()
	v := nextFeed(feedOffline)
	if v.Since.Before(before) || v.Since.After(time.Now()) {
		t.Errorf("offline since %v, want the time the publisher stopped (%v)", v.Since, before)
	}
	health(503, "the feed is unreachable since ")
	connected("0")
}

// TestFeedGrace: within the grace period, a feed not connected yet does
// not fail /healthz (a web server started before its publisher is fine).
func TestFeedGrace(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	w := startWebOpts(t, ctx, "127.0.0.1:0", "ipc://"+t.TempDir()+"/none.sock", Options{FeedGrace: time.Hour})
	resp, body := get(t, ctx, w.url+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", resp.StatusCode, body)
	}
}

// TestArtists: /artists lists the publisher's artists, asked of its real
// query socket; 502 when that does not answer; [] when there is none.
func TestArtists(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	p := publishertest.Start(t, publisher.Config{Tracks: feedTracks, Query: []string{"tcp://127.0.0.1:0"}, Interval: time.Hour})
	w := startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{Query: p.QueryEndpoints()[0]})
	resp, body := get(t, ctx, w.url+"/artists")
	var artists []query.Artist
	if err := json.Unmarshal([]byte(body), &artists); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET /artists: %s %q (%v)", resp.Status, body, err)
	}
	want := map[string]bool{}
	for _, tr := range feedTracks {
		want[tr.Artist] = true
	}
	if len(artists) != len(want) {
		t.Errorf("%d artists, want %d: %+v", len(artists), len(want), artists)
	}
	for _, a := range artists {
		if !want[a.Name] || a.Slug != topics.Slug(a.Name) || a.Tracks < 1 {
			t.Errorf("artist %+v is not one of the feed's", a)
		}
	}

	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused.Close()
	w = startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{Query: "tcp://" + refused.Addr().String()})
	if resp, body := get(t, ctx, w.url+"/artists"); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("GET /artists with no query socket: %s %q, want 502", resp.Status, body)
	}
	w = startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{})
	if resp, body := get(t, ctx, w.url+"/artists"); resp.StatusCode != 200 || body != "[]\n" {
		t.Errorf("GET /artists without Options.Query: %s %q, want 200 []", resp.Status, body)
	}
}

// TestQueryFromFeed: given only the feed, the server asks the query socket
// that the publisher names in its handshake, on whatever port: the page
// starts with the track playing (the feed sends nothing in the test's
// time), and /artists lists the publisher's.
func TestQueryFromFeed(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	pub := publishertest.Start(t, publisher.Config{Tracks: feedTracks, Interval: time.Hour, Query: []string{"tcp://127.0.0.1:0"}})
	now, _ := pub.Now()
	w := startWebOpts(t, ctx, "127.0.0.1:0", pub.Endpoints()[0], Options{QueryFromFeed: true})
	var hist []subscriber.Track
	zmtptest.WaitFor(t, 10*time.Second, "the track playing, from the query socket the feed names", func() bool {
		hist = openEvents(t, ctx, w.url, "", nil).history(t)
		return len(hist) > 0
	})
	if hist[0].Seq != now.Seq || hist[0].Title != now.Title {
		t.Errorf("page starts with %+v, want the track playing, %+v", hist[0], now)
	}
	_, body := get(t, ctx, w.url+"/artists")
	var artists []query.Artist
	if err := json.Unmarshal([]byte(body), &artists); err != nil || len(artists) == 0 {
		t.Errorf("/artists: %s, %v; want the publisher's artists", body, err)
	}
}
