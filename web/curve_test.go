package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/subscriber"
)

// TestCurve: against a publisher that speaks CURVE and admits one client
// key, a server holding that key follows the feed and lists the artists;
// one of another key gets 502 from /artists and logs the refusal once;
// one in the clear gets 502 too; /metrics shows the publisher's count of
// refusals.
func TestCurve(t *testing.T) {
	ctx := testContext(t, 20*time.Second)
	server, client, stranger := newKeyPair(t), newKeyPair(t), newKeyPair(t)
	p := publishertest.Start(t, publisher.Config{
		Tracks: feedTracks, Query: []string{"tcp://127.0.0.1:0"}, Interval: time.Millisecond,
		Curve: &server,
		CurveAdmit: func(k curve.Key) error {
			if k != client.Public {
				return errors.New("key not in the allowlist")
			}
			return nil
		},
	})
	feed := subscriber.Options{Endpoints: p.Endpoints(), CurveServer: &server.Public, CurveKeys: &client}
	qep := p.QueryEndpoints()[0]
	w := startWebFeed(t, ctx, "127.0.0.1:0", Options{Query: qep, QueryCurveServer: &server.Public, QueryCurveKeys: &client}, feed)

	events := openEvents(t, ctx, w.url, "", nil)
	events.history(t)
	if _, _, err := events.nextTrack(); err != nil {
		t.Fatalf("no track over CURVE: %v", err)
	}
	resp, body := get(t, ctx, w.url+"/artists")
	var artists []query.Artist
	if err := json.Unmarshal([]byte(body), &artists); resp.StatusCode != 200 || err != nil || len(artists) != 8 {
		t.Fatalf("GET /artists over CURVE: %s %q (%v), want the 8 artists", resp.Status, body, err)
	}

	var log zmtptest.Log
	other := startWebFeed(t, ctx, "127.0.0.1:0", Options{Query: qep, QueryCurveServer: &server.Public, QueryCurveKeys: &stranger, Logger: log.Logger()},
		subscriber.Options{Endpoints: p.Endpoints(), CurveServer: &server.Public, CurveKeys: &stranger})
	for range 2 {
		if resp, body := get(t, ctx, other.url+"/artists"); resp.StatusCode != http.StatusBadGateway {
			t.Errorf("GET /artists with a key not admitted: %s %q, want 502", resp.Status, body)
		}
	}
	if n := strings.Count(log.String(), "refuses this server's CURVE key"); n != 1 {
		t.Errorf("the refusal logged %d times, want once:\n%s", n, log.String())
	}
	clear := startWebFeed(t, ctx, "127.0.0.1:0", Options{Query: qep}, subscriber.Options{Endpoints: p.Endpoints()})
	if resp, body := get(t, ctx, clear.url+"/artists"); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("GET /artists in the clear: %s %q, want 502", resp.Status, body)
	}

	// The stranger's feed may have been refused any number of times by
	// now; the two /artists requests at least.
	st, err := query.Client{Endpoint: qep, CurveServer: &server.Public, CurveKeys: &client}.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, body = get(t, ctx, w.url+"/metrics")
	var got float64
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, "trackfeed_web_publisher_curve_refused_total "); ok {
			got, _ = strconv.ParseFloat(v, 64)
		}
	}
	if got < 2 || got < float64(st.CurveRefused) {
		t.Errorf("/metrics: trackfeed_web_publisher_curve_refused_total %v; want at least 2 and the %d the publisher counted before", got, st.CurveRefused)
	}
	if strings.Contains(body+log.String(), server.Secret.String()) || strings.Contains(body, client.Secret.String()) {
		t.Error("a secret key is in /metrics or the log")
	}
}

func newKeyPair(t *testing.T) curve.KeyPair {
	t.Helper()
	kp, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
