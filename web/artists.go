package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/query"
)

// artistsTTL is how long /artists answers from what it asked last: the
// page asks once a load, and a library changes slowly.
const artistsTTL = 30 * time.Second

// artistCache keeps the publisher's answer to "artists" for artistsTTL.
type artistCache struct {
	mu   sync.Mutex // held while asking, so one request asks at a time
	at   time.Time
	data []byte // JSON array of query.Artist
}

// serveArtists answers the publisher's artists as a JSON array of
// {topic, artist, tracks} (and slug, name: query.Artist), sorted by topic;
// [] without Options.Query, and 502 when the query socket does not answer.
func (s *Server) serveArtists(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.queryEndpoint() == "" {
		w.Write([]byte("[]\n"))
		return
	}
	data, err := s.artistList(r.Context())
	if err != nil {
		s.queryFailed("artists", err)
		http.Error(w, `{"error":"the publisher's query socket does not answer"}`, http.StatusBadGateway)
		return
	}
	w.Write(data)
}

// artistList returns the cached list, asking the query socket when it is
// older than artistsTTL. One request asks at a time; the others wait for
// its answer.
func (s *Server) artistList(ctx context.Context) ([]byte, error) {
	c := &s.artists
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data != nil && time.Since(c.at) < artistsTTL {
		return c.data, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	artists, err := s.queryClient().Artists(ctx, "")
	if err != nil {
		return nil, err
	}
	if artists == nil {
		artists = []query.Artist{}
	}
	data, err := json.Marshal(artists)
	if err != nil {
		return nil, err
	}
	c.data, c.at = append(data, '\n'), time.Now()
	return c.data, nil
}

// queryClient asks the publisher's query socket, over CURVE if
// Options.QueryCurveServer is set.
func (s *Server) queryClient() query.Client {
	return query.Client{Endpoint: s.queryEndpoint(), CurveServer: s.opts.QueryCurveServer, CurveKeys: s.opts.QueryCurveKeys}
}

// queryFailed logs a question to the query socket that got no answer: at
// debug level (a publisher restarting), but a refused CURVE key, which
// no retry mends, as a warning, once.
func (s *Server) queryFailed(what string, err error) {
	var refused *curve.RefusedError
	if errors.As(err, &refused) {
		if !s.queryRefused.Swap(true) {
			s.log.Warn("the publisher's query socket refuses this server's CURVE key", "query", s.queryEndpoint(), "err", err)
		}
		return
	}
	s.log.Debug(what+": the query socket did not answer", "query", s.queryEndpoint(), "err", err)
}
