package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/trackfeed/trackfeed/subscriber"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// testContext ends before the test's deadline, so that a broken test
// fails instead of hanging.
func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// startServer serves a new Server with opts on an httptest server until
// the test ends.
func startServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	s := New(opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close) // runs second: waits for the streams Close ended
	t.Cleanup(func() { s.Close() })
	return s, ts
}

// track makes track number seq of artist.
func track(seq int, artist string) subscriber.Track {
	return subscriber.Track{
		Topic:  topics.Slug(artist),
		Artist: artist,
		Album:  artist + " Album",
		Title:  fmt.Sprintf("Song %d", seq),
		Seq:    uint64(seq),
		Sent:   time.Date(2026, 3, 1, 12, 0, seq%60, 0, time.UTC),
	}
}

var artists = []string{"The Cure", "Björk", "The Streets", "Sigur Rós", "Theatre of Tragedy", "The The"}

// sseEvent is one event of a stream, as a browser would parse it.
type sseEvent struct {
	ID, Event, Data, Retry string
}

// sseStream reads the events of one /events response.
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

// openEvents opens /events on ts with query (such as "prefix=the_") and
// header, failing the test unless it answers with an event stream. The
// stream ends with ctx.
func openEvents(t *testing.T, ctx context.Context, url, query string, header http.Header) *sseStream {
	t.Helper()
	s, err := dialEvents(ctx, url, query, header)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.resp.Body.Close() })
	return s
}

func dialEvents(ctx context.Context, url, query string, header http.Header) (*sseStream, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/events?"+query, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /events?%s: %s, Content-Type %q", query, resp.Status, resp.Header.Get("Content-Type"))
	}
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}, nil
}

// next returns the next event, skipping comments.
func (s *sseStream) next() (sseEvent, error) {
	var e sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if e != (sseEvent{}) {
				return e, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			e.ID = value
		case "event":
			e.Event = value
		case "retry":
			e.Retry = value
		case "data":
			if e.Data != "" {
				e.Data += "\n"
			}
			e.Data += value
		}
	}
}

// history reads the stream's first event, which must be its history, and
// returns its tracks.
func (s *sseStream) history(t *testing.T) []subscriber.Track {
	t.Helper()
	e, err := s.next()
	if err != nil {
		t.Fatalf("reading history: %v", err)
	}
	if e.Event != "history" {
		t.Fatalf("first event is %q, want history", e.Event)
	}
	var tracks []subscriber.Track
	if err := json.Unmarshal([]byte(e.Data), &tracks); err != nil {
		t.Fatalf("history data %q: %v", e.Data, err)
	}
	return tracks
}

// nextTrack reads the next event but the feed's state, which must be a
// track.
func (s *sseStream) nextTrack() (subscriber.Track, sseEvent, error) {
	var tr subscriber.Track
	e, err := s.next()
	for err == nil && e.Event == "feed" {
		e, err = s.next()
	}
	if err != nil {
		return tr, e, err
	}
	if e.Event != "track" {
		return tr, e, fmt.Errorf("event %q, want track", e.Event)
	}
	return tr, e, json.Unmarshal([]byte(e.Data), &tr)
}

func TestEventStream(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s, ts := startServer(t, Options{Retry: 1500 * time.Millisecond})
	for i := 1; i <= 3; i++ {
		s.Publish(track(i, artists[i]))
	}
	st := openEvents(t, ctx, ts.URL, "", nil)
	if got := st.resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	first, err := st.next()
	if err != nil {
		t.Fatal(err)
	}
	if first.Retry != "1500" || first.ID != "3" || first.Event != "history" {
		t.Errorf("first event %+v, want retry 1500, id 3, history", first)
	}
	var hist []subscriber.Track
	if err := json.Unmarshal([]byte(first.Data), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 || hist[0] != track(1, artists[1]) || hist[2] != track(3, artists[3]) {
		t.Errorf("history %+v, want tracks 1 to 3 in order", hist)
	}

	for i := 4; i <= 5; i++ {
		want := track(i, artists[i])
		s.Publish(want)
		got, e, err := st.nextTrack()
		if err != nil {
			t.Fatal(err)
		}
		if e.ID != strconv.Itoa(i) || got != want {
			t.Errorf("event id %s %+v, want id %d %+v", e.ID, got, i, want)
		}
	}
}

func TestPrefixFiltersStream(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	for _, tc := range []struct {
		name, prefix string
		history      []string // artists, oldest first
		slug         string   // the prefix as the server reads it, if not prefix
	}{
		{"everything", "", artists, ""},
		{"the_", "the_", []string{"The Cure", "The Streets", "The The"}, ""},
		{"bytes, not words", "the", []string{"The Cure", "The Streets", "Theatre of Tragedy", "The The"}, ""},
		{"one artist", "sigur_ros", []string{"Sigur Rós"}, ""},
		{"a name stands for its slug", "The+Cure", []string{"The Cure"}, "the_cure"},
		{"a name's end, for longer names", "The+", []string{"The Cure", "The Streets", "The The"}, "the_"},
		{"nothing", "zz", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := startServer(t, Options{})
			for i, a := range artists {
				s.Publish(track(i, a))
			}
			st := openEvents(t, ctx, ts.URL, "prefix="+tc.prefix, nil)
			var got []string
			for _, tr := range st.history(t) {
				got = append(got, tr.Artist)
			}
			if strings.Join(got, "|") != strings.Join(tc.history, "|") {
				t.Errorf("history %q, want %q", got, tc.history)
			}
			// Then every artist again, and one that matches to end with:
			// what arrives before it is all that passed the filter.
			for i, a := range artists {
				s.Publish(track(100+i, a))
			}
			slug := tc.prefix
			if tc.slug != "" {
				slug = tc.slug
			}
			end := subscriber.Track{Topic: slug + "end", Artist: "end"}
			s.Publish(end)
			var live []string
			for {
				tr, _, err := st.nextTrack()
				if err != nil {
					t.Fatal(err)
				}
				if tr.Artist == "end" {
					break
				}
				live = append(live, tr.Artist)
			}
			if strings.Join(live, "|") != strings.Join(tc.history, "|") {
				t.Errorf("live tracks %q, want %q", live, tc.history)
			}
		})
	}
}

func TestHistoryOf20(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s, ts := startServer(t, Options{})
	s.Publish(track(0, "Björk")) // old, but still the latest by Björk
	for i := 1; i <= 30; i++ {
		s.Publish(track(i, artists[i%len(artists)]))
	}
	st := openEvents(t, ctx, ts.URL, "", nil)
	hist := st.history(t)
	if len(hist) != 21 || hist[0].Seq != 10 || hist[20].Seq != 30 {
		t.Errorf("history has %d tracks, seq %d to %d; want the current one and 20 before it, seq 10 to 30",
			len(hist), hist[0].Seq, hist[len(hist)-1].Seq)
	}

	st = openEvents(t, ctx, ts.URL, "prefix=bj", nil)
	hist = st.history(t)
	var seqs []uint64
	for _, tr := range hist {
		seqs = append(seqs, tr.Seq)
	}
	if fmt.Sprint(seqs) != "[0 1 7 13 19 25]" {
		t.Errorf("history for bj has seq %v, want [0 1 7 13 19 25] (from the backlog, beyond the last 21)", seqs)
	}
}

func get(t *testing.T, ctx context.Context, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestPage(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s, ts := startServer(t, Options{})

	resp, body := get(t, ctx, ts.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "Waiting for the first track") {
		t.Errorf("GET / before any track: %s, body lacks the waiting text:\n%s", resp.Status, body)
	}
	for i := 1; i <= 30; i++ {
		s.Publish(track(i, artists[i%len(artists)]))
	}
	s.Publish(subscriber.Track{Topic: "x", Artist: "<script>alert(1)</script>", Title: "A & B"})

	resp, body = get(t, ctx, ts.URL+"/")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("GET / has no %s header", h)
		}
	}
	if !strings.Contains(body, `<p class="now-title">A &amp; B</p>`) || strings.Contains(body, "<script>alert") {
		t.Errorf("page does not show the escaped current track:\n%s", body)
	}
	if n := strings.Count(body, "<li>"); n != 20 {
		t.Errorf("page lists %d tracks below the current one, want 20", n)
	}

	_, body = get(t, ctx, ts.URL+"/?prefix=the_")
	titles := regexp.MustCompile(`<span class="r-by">([^<]*)</span>`).FindAllStringSubmatch(body, -1)
	if len(titles) == 0 {
		t.Fatalf("GET /?prefix=the_ lists nothing:\n%s", body)
	}
	for _, m := range titles {
		if !strings.HasPrefix(m[1], "The ") {
			t.Errorf("GET /?prefix=the_ lists %q", m[1])
		}
	}
	if !strings.Contains(body, `value="the_"`) {
		t.Error("GET /?prefix=the_ does not keep the prefix in its box")
	}

	for _, tc := range []struct {
		path string
		code int
		ct   string
	}{
		{"/static/app.js", 200, "text/javascript; charset=utf-8"},
		{"/static/style.css", 200, "text/css; charset=utf-8"},
		{"/static/icon.svg", 200, "image/svg+xml"},
		{"/static/", 404, ""},
		{"/nope", 404, ""},
		{"/events?prefix=" + strings.Repeat("a", maxPrefix+1), 400, ""},
		{"/?prefix=" + strings.Repeat("a", maxPrefix+1), 400, ""},
	} {
		resp, _ := get(t, ctx, ts.URL+tc.path)
		if resp.StatusCode != tc.code || (tc.ct != "" && resp.Header.Get("Content-Type") != tc.ct) {
			t.Errorf("GET %.40s: %s %q, want %d %q", tc.path, resp.Status, resp.Header.Get("Content-Type"), tc.code, tc.ct)
		}
	}
}

func TestHealthz(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	_, ts := startServer(t, Options{})
	// No feed followed (Publish alone): the server is up, so it is healthy.
	resp, body := get(t, ctx, ts.URL+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %s %q, want 200 \"ok\\n\"", resp.Status, body)
	}
}

func TestMetrics(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s, ts := startServer(t, Options{})
	s.Publish(track(1, "The Cure"))
	s.Publish(track(2, "Björk"))
	openEvents(t, ctx, ts.URL, "", nil).history(t)
	openEvents(t, ctx, ts.URL, "prefix=bj", http.Header{"Last-Event-Id": {"2"}}).history(t)

	resp, body := get(t, ctx, ts.URL+"/metrics")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want the text format", resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"trackfeed_web_messages_received_total 2\n",
		"trackfeed_web_sse_clients 2\n",
		"trackfeed_web_sse_connections_total 2\n",
		"trackfeed_web_sse_reconnects_total 1\n",
		"trackfeed_web_sse_clients_dropped_total 0\n",
		"trackfeed_web_sse_tracks_dropped_total 0\n",
		"# TYPE trackfeed_web_last_message_received_timestamp_seconds gauge\n",
		"# TYPE go_goroutines gauge\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// value reads a counter or gauge.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// TestManyClients has 200 pages follow K tracks on one server; each must
// get every one, in order. Tracks go out in bursts no bigger than a
// page's buffer, the next once every page has read the last, as a feed
// far faster than any real one would.
func TestManyClients(t *testing.T) {
	const (
		clients = 200
		k       = 256
		burst   = 32
	)
	ctx := testContext(t, 60*time.Second)
	s, ts := startServer(t, Options{ClientBuffer: 2 * burst})

	progress := make(chan struct{}, clients)
	errc := make(chan error, clients)
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx) // ends the clients on failure, before Wait
	defer cancel()
	for c := range clients {
		st := openEvents(t, ctx, ts.URL, "", nil)
		st.history(t)
		wg.Go(func() {
			for i := 1; i <= k; i++ {
				tr, e, err := st.nextTrack()
				if err == nil && (e.ID != strconv.Itoa(i) || tr.Seq != uint64(i)) {
					err = fmt.Errorf("got event id %s seq %d, want %d", e.ID, tr.Seq, i)
				}
				if err != nil {
					errc <- fmt.Errorf("client %d: %w", c, err)
					return
				}
				select {
				case progress <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		})
	}

	got := 0
	for i := 1; i <= k; i++ {
		s.Publish(track(i, artists[i%len(artists)]))
		if i%burst != 0 && i != k {
			continue
		}
		for got < clients*i {
			select {
			case <-progress:
				got++
			case err := <-errc:
				t.Fatal(err)
			case <-ctx.Done():
				t.Fatalf("after track %d: %d of %d deliveries: %v", i, got, clients*i, ctx.Err())
			}
		}
	}
	if n := value(t, s.metrics.clientsDrop); n != 0 {
		t.Errorf("%v clients dropped, want none", n)
	}
	if n := value(t, s.metrics.clients); n != clients {
		t.Errorf("sse_clients is %v, want %d", n, clients)
	}
}

// TestStalledClient has one client that sends its request and never reads
// the response: it is dropped, while the others get every track, and its
// handler ends (at the latest at the write timeout).
func TestStalledClient(t *testing.T) {
	const good = 5
	ctx := testContext(t, 30*time.Second)
	s := New(Options{ClientBuffer: 8, WriteTimeout: 300 * time.Millisecond})
	ts := httptest.NewUnstartedServer(s.Handler())
	// Small socket buffers, so that the stalled stream fills them soon.
	ts.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetWriteBuffer(4 << 10)
		}
		return ctx
	}
	ts.Start()
	closed := false
	closeServer := func() {
		if !closed {
			closed = true
			s.Close()
			ts.Close()
		}
	}
	t.Cleanup(closeServer)

	var d net.Dialer
	stalled, err := d.DialContext(ctx, "tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.(*net.TCPConn).SetReadBuffer(2 << 10)
	if _, err := io.WriteString(stalled, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	streams := make([]*sseStream, good)
	for i := range streams {
		streams[i] = openEvents(t, ctx, ts.URL, "", nil)
		streams[i].history(t)
	}
	// Each track is read by every good client before the next goes out.
	// The stalled client subscribes at some point and then falls behind;
	// keep going until it is dropped, then some more.
	readAll := func(seq int) {
		t.Helper()
		for i, st := range streams {
			tr, _, err := st.nextTrack()
			if err != nil || tr.Seq != uint64(seq) {
				t.Fatalf("client %d: got track %d (%v), want %d", i, tr.Seq, err, seq)
			}
		}
	}
	seq := 0
	for value(t, s.metrics.clientsDrop) == 0 {
		seq++
		s.Publish(track(seq, "The Cure"))
		readAll(seq)
		if ctx.Err() != nil {
			t.Fatalf("stalled client not dropped after %d tracks", seq)
		}
	}
	t.Logf("stalled client dropped at track %d", seq)
	for range 50 {
		seq++
		s.Publish(track(seq, "The Cure"))
		readAll(seq)
	}
	if n := value(t, s.metrics.clientsDrop); n != 1 {
		t.Errorf("%v clients dropped, want 1", n)
	}

	// Its handler, blocked in a write, gives up at the write timeout:
	// shutting down does not wait for longer.
	done := make(chan struct{})
	go func() {
		closeServer()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the stalled client's handler did not end")
	}
	if n := value(t, s.metrics.clients); n != 0 {
		t.Errorf("sse_clients is %v after shutdown, want 0", n)
	}
	if n := value(t, s.metrics.tracksDropped); n < 1 {
		t.Errorf("tracks dropped is %v, want at least 1", n)
	}
}

// TestWriteTimeout has a client stop reading while its buffer is big
// enough never to fill: the write timeout ends its stream, and the tracks
// it did not get are counted.
func TestWriteTimeout(t *testing.T) {
	ctx := testContext(t, 30*time.Second)
	s := New(Options{ClientBuffer: 1000, WriteTimeout: 200 * time.Millisecond})
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		c.(*net.TCPConn).SetWriteBuffer(4 << 10)
		return ctx
	}
	ts.Start()
	defer ts.Close()

	st := openEvents(t, ctx, ts.URL, "", nil)
	st.history(t) // subscribed; now it stops reading
	big := strings.Repeat("x", 4<<10)
	for i := range 500 { // 2 MB: far more than the sockets hold
		tr := track(i, "The Cure")
		tr.Title = big
		s.Publish(tr)
	}
	start := time.Now()
	s.Close() // the stream ends after what it holds, or at the write timeout
	ts.Close()
	t.Logf("stream ended %v after the last track", time.Since(start).Round(time.Millisecond))
	if n := value(t, s.metrics.clientsDrop); n != 0 {
		t.Errorf("%v clients dropped for a full buffer, want 0", n)
	}
	if n := value(t, s.metrics.tracksDropped); n < 1 || n > 500 {
		t.Errorf("tracks dropped is %v, want between 1 and 500", n)
	}
}

func TestKeepAlive(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	_, ts := startServer(t, Options{KeepAlive: 10 * time.Millisecond})
	st := openEvents(t, ctx, ts.URL, "", nil)
	st.history(t)
	for {
		line, err := st.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": keep-alive\n" {
			break
		}
	}
}

// TestServeShutdown ends the streams and the server when its context ends.
func TestServeShutdown(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{})
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, l) }()
	url := "http://" + l.Addr().String()
	st := openEvents(t, ctx, url, "", nil)
	st.history(t)

	stop()
	if _, err := st.next(); !errors.Is(err, io.EOF) {
		t.Errorf("stream after shutdown: %v, want EOF", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := dialEvents(ctx, url, "", nil); err == nil {
		t.Error("connected after shutdown")
	}
}

func TestDetails(t *testing.T) {
	for _, tc := range []struct {
		t    subscriber.Track
		want string
	}{
		{subscriber.Track{Year: 1995, Genre: "Trip-Hop", Disc: 2, TrackNo: 3}, "1995 · Trip-Hop · disc 2 · track 3"},
		{subscriber.Track{Disc: 1, TrackNo: 7}, "track 7"},
		{subscriber.Track{Disc: 2, DurationMS: 221_999}, "disc 2 · 3:41"},
		{subscriber.Track{DurationMS: 59_000}, "0:59"},
		{subscriber.Track{DurationMS: 3_723_000}, "1:02:03"},
		{subscriber.Track{}, ""},
	} {
		if got := (trackView{tc.t}).Details(); got != tc.want {
			t.Errorf("Details of %+v = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// TestPageProgress: the page draws a progress bar, from the track's start
// and duration, only for a track held for its duration; it shows the
// duration in either case; the event stream carries duration_ms and pace.
func TestPageProgress(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	s, ts := startServer(t, Options{})
	sent := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	tr := subscriber.Track{Topic: "a", Artist: "A", Title: "Held", Sent: sent, Seq: 1, DurationMS: 185_000}

	s.Publish(tr)
	_, body := get(t, ctx, ts.URL+"/")
	if strings.Contains(body, "now-progress") || !strings.Contains(body, "3:05") {
		t.Errorf("a track at a fixed interval: want its duration and no progress bar:\n%s", body)
	}

	tr.Seq, tr.Pace = 2, wire.PaceReal
	s.Publish(tr)
	_, body = get(t, ctx, ts.URL+"/")
	want := fmt.Sprintf(`<progress class="now-progress" max="185000" value="0" data-sent="%d" aria-label="Played"></progress>`, sent.UnixMilli())
	if !strings.Contains(body, want) || !strings.Contains(body, "3:05") {
		t.Errorf("a track paced for real: want its duration and\n%s\nin:\n%s", want, body)
	}
	if !regexp.MustCompile(`<body [^>]*data-now="\d{13}"`).MatchString(body) {
		t.Errorf("the page does not give the server's clock:\n%s", body)
	}

	hist := openEvents(t, ctx, ts.URL, "", nil).history(t)
	if len(hist) != 2 || hist[1].DurationMS != 185_000 || hist[1].Pace != wire.PaceReal || hist[0].Pace != "" {
		t.Errorf("event stream's history %+v: want duration_ms 185000 on both, pace real on the second", hist)
	}
}
