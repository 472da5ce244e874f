package web

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
)

// coverArt are the pictures of the test library's albums that have one,
// by artist: in each file of The Cure's album, and as cover.png beside
// The Streets'. PNG, so that a browser draws exactly these pixels.
var coverArt = map[string][]byte{
	"The Cure":    librarytest.PNG(librarytest.CoverImage(240, color.RGBA{0x9d, 0x17, 0x4d, 255}, color.RGBA{0x1e, 0x1b, 0x4b, 255})),
	"The Streets": librarytest.PNG(librarytest.CoverImage(240, color.RGBA{0xea, 0xb3, 0x08, 255}, color.RGBA{0x0f, 0x76, 0x6e, 255})),
}

// writeFeedLibrary writes feedTracks as MP3 files, Artist/Album/NN
// Title.mp3, tagged with ID3v2.4 by librarytest, with coverArt, and
// returns the folder.
func writeFeedLibrary(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tr := range feedTracks {
		tag := librarytest.ID3v2{Version: 4, Padding: 64}
		for _, f := range []librarytest.Frame{{ID: "TPE1", Text: tr.Artist}, {ID: "TALB", Text: tr.Album}, {ID: "TIT2", Text: tr.Title},
			{ID: "TCON", Text: tr.Genre}, {ID: "TRCK", Text: strconv.Itoa(tr.TrackNo)}, {ID: "TDRC", Text: strconv.Itoa(tr.Year)}} {
			if f.Text != "" && f.Text != "0" {
				tag.Frames = append(tag.Frames, f)
			}
		}
		folder := tr.Artist + "/" + tr.Album
		if tr.Artist == "The Cure" {
			tag.Cover = coverArt[tr.Artist]
		}
		if tr.Artist == "The Streets" {
			write(folder+"/cover.png", coverArt[tr.Artist])
		}
		write(fmt.Sprintf("%s/%02d %s.mp3", folder, tr.TrackNo, tr.Title), append(tag.Append(nil), librarytest.Silence(3000)...))
	}
	return dir
}

// startCoverFeed runs a publisher of writeFeedLibrary's folder, with its
// query socket, and returns it once it has scanned, with the cover ID of
// each artist's track ("" for none).
func startCoverFeed(t *testing.T, interval time.Duration) (*publisher.Publisher, func(), map[string]string) {
	t.Helper()
	p, stop := publishertest.StartStoppable(t, publisher.Config{Dir: writeFeedLibrary(t), Interval: interval,
		Query: []string{"tcp://127.0.0.1:0"}})
	select {
	case <-p.Scanned():
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher did not scan within 10s")
	}
	ids := map[string]string{}
	for _, tr := range p.Tracks() {
		ids[tr.Artist] = tr.Cover.ID
	}
	if ids["The Cure"] == "" || ids["The Streets"] == "" || ids["Björk"] != "" || len(ids) != len(feedTracks) {
		t.Fatalf("the library's covers: %q", ids)
	}
	return p, stop, ids
}

// TestCover: /cover/ID serves the publisher's picture with headers that
// let a browser keep it; asks the query socket once for it, and still
// serves it from its cache when the publisher is gone; says 404 for an ID
// nobody knows, and 502 when there is nobody to ask.
func TestCover(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	p, stop, ids := startCoverFeed(t, time.Hour)
	var logged logBuffer
	w := startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{Query: p.QueryEndpoints()[0],
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	counts := func() string {
		var parts []string
		for _, r := range []string{"hit", "fetched", "not_found", "error"} {
			parts = append(parts, fmt.Sprintf("%s=%v", r, value(t, w.metrics.coverRequests.WithLabelValues(r))))
		}
		return strings.Join(parts, " ")
	}

	for _, artist := range []string{"The Cure", "The Streets"} {
		url := w.url + "/cover/" + ids[artist]
		resp, body := get(t, ctx, url)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || body != string(coverArt[artist]) {
			t.Fatalf("GET /cover of %s: %s %q, %d bytes; want the PNG of %d bytes", artist, resp.Status, resp.Header.Get("Content-Type"), len(body), len(coverArt[artist]))
		}
		if cc, etag := resp.Header.Get("Cache-Control"), resp.Header.Get("ETag"); !strings.Contains(cc, "immutable") || etag != `"`+ids[artist]+`"` {
			t.Errorf("Cache-Control %q, ETag %q; want immutable and the ID", cc, etag)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		req.Header.Set("If-None-Match", `"`+ids[artist]+`"`)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET /cover with its ETag: %s, want 304", resp.Status)
		}
	}
	if got := counts(); got != "hit=2 fetched=2 not_found=0 error=0" {
		t.Errorf("cover requests: %s; want each picture asked of the publisher once", got)
	}

	// The publisher's tracks are known; an ID of none of them is not.
	for _, path := range []string{"/cover/0123456789abcdef", "/cover/not%20an%20id", "/cover/" + strings.Repeat("a", 65)} {
		if resp, body := get(t, ctx, w.url+path); resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %s %q, want 404, no-store", path, resp.Status, body)
		}
	}

	// The publisher stops: what is cached is still served, the rest is a 502.
	stop()
	if resp, _ := get(t, ctx, w.url+"/cover/"+ids["The Cure"]); resp.StatusCode != 200 {
		t.Errorf("a cached cover with the publisher gone: %s, want 200", resp.Status)
	}
	for _, id := range []string{"fedcba9876543210", "fedcba9876543211"} {
		if resp, _ := get(t, ctx, w.url+"/cover/"+id); resp.StatusCode != http.StatusBadGateway {
			t.Errorf("a cover with the publisher gone: %s, want 502", resp.Status)
		}
	}
	if n := strings.Count(logged.String(), "no cover art: the query socket does not answer"); n != 1 {
		t.Errorf("the query socket's silence was logged %d times, want once:\n%s", n, logged.String())
	}

	// Without a query socket to ask, there is no cover art.
	w2 := startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{})
	if resp, _ := get(t, ctx, w2.url+"/cover/"+ids["The Cure"]); resp.StatusCode != 404 {
		t.Errorf("GET /cover without Options.Query: %s, want 404", resp.Status)
	}
}

// TestCoverOnThePage: the page's events carry a track's cover ID and not
// its path; the page as served shows the current track's picture, or the
// drawn record.
func TestCoverOnThePage(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	p, _, ids := startCoverFeed(t, 5*time.Millisecond)
	w := startWebOpts(t, ctx, "127.0.0.1:0", p.Endpoints()[0], Options{Query: p.QueryEndpoints()[0]})

	for _, tc := range []struct{ prefix, artist string }{{"the_cure", "The Cure"}, {"bjork", "Björk"}} {
		st := openEvents(t, ctx, w.url, "prefix="+tc.prefix, nil)
		st.history(t)
		_, e, err := st.nextTrack()
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal([]byte(e.Data), &fields); err != nil {
			t.Fatal(err)
		}
		if _, ok := fields["path"]; ok {
			t.Errorf("an event names the file: %s", e.Data)
		}
		if got, _ := fields["cover"].(string); got != ids[tc.artist] {
			t.Errorf("%s: event cover %q, want %q: %s", tc.artist, got, ids[tc.artist], e.Data)
		}

		_, body := get(t, ctx, w.url+"/?prefix="+tc.prefix)
		if id := ids[tc.artist]; id != "" {
			if !strings.Contains(body, `src="/cover/`+id+`"`) || !strings.Contains(body, `data-state="shown"`) {
				t.Errorf("%s: the page does not show the cover /cover/%s:\n%s", tc.artist, id, body)
			}
		} else if strings.Contains(body, `src="/cover/`) || !strings.Contains(body, `data-state="none"`) {
			t.Errorf("%s: the page shows a cover, or not the drawn record:\n%s", tc.artist, body)
		}
	}
}

// TestCoverCache: the cache drops the least recently used pictures past
// its bytes, keeps none larger than a quarter of them, and asks once for a
// picture many want at the same time.
func TestCoverCache(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	cc := newCoverCache(100)
	var fetches atomic.Int32
	fetch := func(_ context.Context, id string) (*cover, error) {
		fetches.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "n"))
		return &cover{id: id, mime: "image/png", data: make([]byte, n)}, nil
	}
	for _, id := range []string{"n20", "n21", "n22", "n23"} {
		if _, hit, err := cc.get(ctx, id, fetch); hit || err != nil {
			t.Fatalf("first get of %s: hit %v, %v", id, hit, err)
		}
	}
	cc.get(ctx, "n20", fetch) // n20 is now the most recent, n21 the least
	cc.get(ctx, "n24", fetch) // 110 bytes: n21 goes
	if n, size := cc.stats(); n != 4 || size != 20+22+23+24 {
		t.Errorf("cache holds %d pictures, %d bytes; want 4, %d", n, size, 20+22+23+24)
	}
	for id, want := range map[string]bool{"n20": true, "n21": false, "n24": true} {
		before := fetches.Load()
		if _, hit, _ := cc.get(ctx, id, fetch); hit != want {
			t.Errorf("%s: hit %v, want %v", id, hit, want)
		}
		if want && fetches.Load() != before {
			t.Errorf("%s: fetched though cached", id)
		}
	}
	cc.get(ctx, "n26", fetch)
	if _, hit, _ := cc.get(ctx, "n26", fetch); hit {
		t.Error("a picture of more than a quarter of the cache was kept")
	}

	// Many pages at once: one fetch, every page served.
	fetches.Store(0)
	release := make(chan struct{})
	slow := func(ctx context.Context, id string) (*cover, error) {
		<-release
		return fetch(ctx, id)
	}
	entered := make(chan struct{})
	first := func(ctx context.Context, id string) (*cover, error) {
		close(entered)
		return slow(ctx, id)
	}
	var wg sync.WaitGroup
	wg.Go(func() { cc.get(ctx, "n5", first) })
	<-entered // the others find it asked for, and wait (or, late, find it cached)
	for range 9 {
		wg.Go(func() {
			if c, _, err := cc.get(ctx, "n5", slow); err != nil || len(c.data) != 5 {
				t.Errorf("get: %v", err)
			}
		})
	}
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for one picture", n)
	}

	// The page that asked goes away: another that waited asks again.
	gone, cancel := context.WithCancel(ctx)
	started := make(chan struct{})
	var asked atomic.Int32
	cancelled := func(ctx context.Context, id string) (*cover, error) {
		if asked.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return nil, fmt.Errorf("no answer: %w", ctx.Err())
		}
		return fetch(ctx, id)
	}
	errs := make(chan error, 1)
	go func() {
		_, _, err := cc.get(gone, "n7", cancelled)
		errs <- err
	}()
	<-started
	done := make(chan error, 1)
	go func() {
		_, _, err := cc.get(ctx, "n7", cancelled)
		done <- err
	}()
	cancel() // the second page waits for the first's answer, or asks itself: either way it gets one
	if err := <-errs; err == nil {
		t.Error("the page that went away got a picture")
	}
	if err := <-done; err != nil {
		t.Errorf("the page that waited: %v", err)
	}
}

// TestCoverNotAnImage: a reply that is not a raster image is not served.
func TestCoverNotAnImage(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	srv, err := query.Listen([]string{"tcp://" + l.Addr().String()}, svgSource{}, query.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	_, ts := startServer(t, Options{Query: srv.Endpoints()[0]})
	if resp, body := get(t, ctx, ts.URL+"/cover/0123456789abcdef"); resp.StatusCode != 404 || strings.Contains(body, "<svg") {
		t.Errorf("an SVG cover: %s %q, want 404", resp.Status, body)
	}
}

// svgSource answers every cover with an SVG, which a page must not load
// from the server's origin.
type svgSource struct{ query.Source }

func (svgSource) Cover(string) (string, []byte, error) {
	return "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), nil
}

// logBuffer is a log's output, written and read by several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCoverOverCurve: with the publisher's CURVE key, the server asks its
// query socket in CURVE, for covers as for artists; without it, no answer.
func TestCoverOverCurve(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	server, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := publishertest.Start(t, publisher.Config{Dir: writeFeedLibrary(t), Interval: time.Hour,
		Query: []string{"tcp://127.0.0.1:0"}, Curve: &server})
	<-p.Scanned()
	var id string
	for _, tr := range p.Tracks() {
		if tr.Artist == "The Cure" {
			id = tr.Cover.ID
		}
	}
	_, ts := startServer(t, Options{Query: p.QueryEndpoints()[0], QueryCurveServer: &server.Public})
	if resp, body := get(t, ctx, ts.URL+"/cover/"+id); resp.StatusCode != 200 || body != string(coverArt["The Cure"]) {
		t.Errorf("GET /cover over CURVE: %s, %d bytes", resp.Status, len(body))
	}
	if resp, body := get(t, ctx, ts.URL+"/artists"); resp.StatusCode != 200 || !strings.Contains(body, "The Cure") {
		t.Errorf("GET /artists over CURVE: %s %q", resp.Status, body)
	}
	_, plain := startServer(t, Options{Query: p.QueryEndpoints()[0]})
	if resp, _ := get(t, ctx, plain.URL+"/cover/"+id); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("GET /cover without the key: %s, want 502", resp.Status)
	}
}
