package web

import (
	"bytes"
	"container/list"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/query"
)

// Cover art: the page shows the current track's cover as /cover/ID, ID
// being the track's "cover" field. The server asks the publisher's query
// socket for each picture once, keeps the recent ones in memory (an LRU
// bounded in bytes), and lets browsers keep them: a cover ID names one
// picture for good, as a new picture gets a new ID.

// coverTimeout bounds a request to the query socket for a cover.
const coverTimeout = 5 * time.Second

// maxCoverID bounds the ID of a /cover request; trackfeed's are 16 hex
// digits.
const maxCoverID = 64

// coverImages are the types the server sends as covers: raster images,
// which a browser shows and runs nothing of.
var coverImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "image/bmp": true}

// cover is a picture as the cache holds it.
type cover struct {
	id   string
	mime string
	data []byte
}

// coverCache holds the covers asked for last, up to max bytes, and makes
// concurrent requests for the same cover ask the query socket once.
type coverCache struct {
	mu       sync.Mutex
	max      int64
	size     int64
	order    *list.List               // of *cover, most recent first
	byID     map[string]*list.Element // in order
	inflight map[string]*coverCall
}

// coverCall is a request to the query socket that others wait for.
type coverCall struct {
	done chan struct{}
	c    *cover
	err  error
}

func newCoverCache(max int64) *coverCache {
	return &coverCache{max: max, order: list.New(), byID: make(map[string]*list.Element), inflight: make(map[string]*coverCall)}
}

// get returns the cover id from the cache, or fetches it and keeps it:
// once, however many ask at the same time, on the goroutine of the first
// to ask. hit says it was in the cache.
func (cc *coverCache) get(ctx context.Context, id string, fetch func(context.Context, string) (*cover, error)) (c *cover, hit bool, err error) {
	for {
		cc.mu.Lock()
		if e, ok := cc.byID[id]; ok {
			cc.order.MoveToFront(e)
			cc.mu.Unlock()
			return e.Value.(*cover), true, nil
		}
		call, ok := cc.inflight[id]
		if !ok {
			call = &coverCall{done: make(chan struct{})}
			cc.inflight[id] = call
			cc.mu.Unlock()
			fctx, cancel := context.WithTimeout(ctx, coverTimeout)
			call.c, call.err = fetch(fctx, id)
			cancel()
			cc.mu.Lock()
			delete(cc.inflight, id)
			if call.err == nil {
				cc.add(call.c)
			}
			cc.mu.Unlock()
			close(call.done)
			return call.c, false, call.err
		}
		cc.mu.Unlock()
		select {
		case <-call.done:
			if errors.Is(call.err, context.Canceled) && ctx.Err() == nil {
				continue // the page that asked went away: ask again
			}
			return call.c, false, call.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// add keeps c, dropping the least recently used covers past max; a cover
// larger than a quarter of max is not kept. cc.mu is held.
func (cc *coverCache) add(c *cover) {
	n := int64(len(c.data))
	if n > cc.max/4 {
		return
	}
	cc.byID[c.id] = cc.order.PushFront(c)
	cc.size += n
	for cc.size > cc.max {
		last := cc.order.Back()
		old := cc.order.Remove(last).(*cover)
		delete(cc.byID, old.id)
		cc.size -= int64(len(old.data))
	}
}

// stats returns the covers kept and their bytes.
func (cc *coverCache) stats() (n int, size int64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.order.Len(), cc.size
}

// validCoverID reports whether id can be a cover ID: 1 to 64 letters,
// digits, '-' and '_'.
func validCoverID(id string) bool {
	if len(id) == 0 || len(id) > maxCoverID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// serveCover answers /cover/ID with the picture, from the cache or the
// publisher's query socket: 404 for an ID the publisher does not know, 502
// when it does not answer.
func (s *Server) serveCover(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	fail := func(code int, msg, result string) {
		s.metrics.coverRequests.WithLabelValues(result).Inc()
		w.Header().Set("Cache-Control", "no-store") // the picture may come later
		http.Error(w, msg, code)
	}
	switch {
	case !validCoverID(id):
		fail(http.StatusNotFound, "not a cover ID", "not_found")
		return
	case s.queryEndpoint() == "":
		fail(http.StatusNotFound, "no cover art: this server has no query socket to ask", "not_found")
		return
	}
	c, hit, err := s.covers.get(r.Context(), id, s.fetchCover)
	var qe *query.Error
	switch {
	case errors.As(err, &qe):
		s.log.Debug("cover: the publisher has none", "id", id, "why", qe.Message)
		fail(http.StatusNotFound, "no such cover", "not_found")
		return
	case err != nil:
		// Said once until a cover comes again: a page asks for every
		// track's.
		if r.Context().Err() == nil && !s.coverWarned.Swap(true) {
			s.log.Warn("no cover art: the query socket does not answer (is it the publisher's?)", "query", s.queryEndpoint(), "err", err)
		}
		s.log.Debug("cover: the query socket did not answer", "query", s.queryEndpoint(), "id", id, "err", err)
		fail(http.StatusBadGateway, "the publisher's query socket does not answer", "error")
		return
	}
	s.coverWarned.Store(false)
	result := "fetched"
	if hit {
		result = "hit"
	}
	s.metrics.coverRequests.WithLabelValues(result).Inc()
	h := w.Header()
	h.Set("Content-Type", c.mime)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+c.id+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(c.data))
}

// fetchCover asks the query socket for a cover, and takes it only if it
// is a raster image.
func (s *Server) fetchCover(ctx context.Context, id string) (*cover, error) {
	mime, data, err := s.queryClient().Cover(ctx, id)
	if err != nil {
		return nil, err
	}
	if !coverImages[mime] {
		return nil, &query.Error{Message: "cover of type " + mime + ", not an image the page shows"}
	}
	return &cover{id: id, mime: mime, data: data}, nil
}
