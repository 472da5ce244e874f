package publisher

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/wire"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/topics"
)

// DefaultQueryEndpoint is where the publisher answers queries unless told
// otherwise: the port after the feed's.
const DefaultQueryEndpoint = "tcp://*:10002"

// queryUsage lists the requests, for error replies.
const queryUsage = "now, artists [PREFIX], stats, hello NAME"

// QuerySource is what a QueryServer answers from. A nil field answers as
// nothing: no track, no artists, zero counts.
type QuerySource struct {
	// Publisher gives the track sent last ("now") and how many were sent.
	Publisher *Publisher
	// Playlist gives the artists and the counts of tracks, artists, albums.
	Playlist *Playlist
	// Socket gives the subscribers and the queued and dropped counts.
	Socket *Socket
	// Skipped returns the number of files the scan left out so far.
	Skipped func() int
}

// QueryOptions configure a QueryServer. Zero values take the defaults.
type QueryOptions struct {
	// MaxConnections bounds connections, handshaking ones included
	// (default 256). Connections past it are closed at once.
	MaxConnections int
	// WriteTimeout disconnects a client that takes longer than this to
	// accept a reply (default 10s).
	WriteTimeout time.Duration
	// Linger is how long Close waits for a reply being written (default
	// 100ms).
	Linger time.Duration
	// Limits bound what a client may send (default: frames of 4 KiB, 16
	// frames a message, 5s to finish the handshake). A request within
	// them that is not a valid request gets an error reply; a message
	// over them closes the connection, since the rest of it cannot be
	// read in step.
	Limits zmtp.Limits
	// Logger receives connection events (default: discard).
	Logger *slog.Logger
}

func (o *QueryOptions) setDefaults() {
	if o.MaxConnections <= 0 {
		o.MaxConnections = 256
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 100 * time.Millisecond
	}
	if o.Limits == (zmtp.Limits{}) {
		o.Limits = zmtp.Limits{MaxFrame: 4 << 10, MaxFrames: 16, HandshakeTimeout: 5 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// QueryServer is the publisher's ZeroMQ REP endpoint: REQ and DEALER
// sockets ask it for the track playing now, the artists, and counters
// (docs/PROTOCOL.md, "Query socket"). It is built like Socket rather than
// on zmq4.NewRep, for the same reasons: a goroutine per connection, so a
// client that never sends or never reads holds up no one else, bounded
// connections and frames, and a handshake timeout. Each connection's
// requests are answered in the order they came.
type QueryServer struct {
	src       QuerySource
	opts      QueryOptions
	log       *slog.Logger
	listeners []net.Listener
	slots     chan struct{}
	started   time.Time

	mu     sync.Mutex
	conns  map[net.Conn]struct{} // past the handshake
	closed bool

	ctx         context.Context // cancelled by Close
	cancel      context.CancelFunc
	lingerUntil atomic.Int64 // Unix ns: Close's deadline for every write
	wg          sync.WaitGroup
}

// ListenQuery binds every endpoint (tcp://HOST:PORT or ipc://PATH) and
// starts answering queries from src. If one endpoint fails, none stays
// bound.
func ListenQuery(endpoints []string, src QuerySource, opts QueryOptions) (*QueryServer, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("no endpoint to bind for queries (give --query tcp://*:10002)")
	}
	opts.setDefaults()
	q := &QueryServer{
		src:     src,
		opts:    opts,
		log:     opts.Logger,
		slots:   make(chan struct{}, opts.MaxConnections),
		started: time.Now(),
		conns:   make(map[net.Conn]struct{}),
	}
	for _, ep := range endpoints {
		l, err := zmtp.Listen(ep)
		if err != nil {
			for _, l := range q.listeners {
				l.Close()
			}
			if errors.Is(err, syscall.EADDRINUSE) {
				// zmtp's hint names --bind, the feed's flag.
				err = fmt.Errorf("bind %s: %w (is another publisher running? choose another port with --query, or --query '' for none)", ep, syscall.EADDRINUSE)
			}
			return nil, err
		}
		q.listeners = append(q.listeners, l)
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	acc := &acceptor{ctx: q.ctx, wg: &q.wg, slots: q.slots, log: q.log, serve: q.serve, stopped: "query socket stopped accepting",
		refuse: func(nc net.Conn) {
			q.log.Warn("query connection refused: too many at once", "remote", nc.RemoteAddr(), "max", q.opts.MaxConnections)
		}}
	for _, l := range q.listeners {
		q.wg.Add(1)
		go acc.accept(l)
	}
	return q, nil
}

// Endpoints are the bound endpoints, with ports the kernel chose filled in.
func (q *QueryServer) Endpoints() []string {
	eps := make([]string, len(q.listeners))
	for i, l := range q.listeners {
		eps[i] = zmtp.Endpoint(l.Addr())
	}
	return eps
}

// Close stops accepting, gives a reply being written up to Linger, closes
// every connection and waits for every goroutine of the server. It may be
// called more than once.
func (q *QueryServer) Close() error {
	q.lingerUntil.CompareAndSwap(0, time.Now().Add(q.opts.Linger).UnixNano())
	q.cancel()
	q.mu.Lock()
	q.closed = true
	for nc := range q.conns {
		// A read in progress ends now; a write has until the linger
		// deadline (see flush for the other half of this hand-over).
		nc.SetReadDeadline(time.Now())
		nc.SetWriteDeadline(time.Unix(0, q.lingerUntil.Load()))
	}
	q.mu.Unlock()
	for _, l := range q.listeners {
		l.Close()
	}
	q.wg.Wait()
	return nil
}

// serve owns one connection from accept to close: it reads a request,
// writes its reply, and reads the next.
func (q *QueryServer) serve(nc net.Conn) {
	defer q.wg.Done()
	defer func() { <-q.slots }()
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	stop := context.AfterFunc(q.ctx, func() { nc.SetDeadline(time.Now()) })
	c, err := zmtp.Handshake(nc, zmq4.Rep, true, q.opts.Limits)
	if stopped := !stop(); err != nil || stopped {
		if err != nil {
			q.log.Debug("query handshake failed", "remote", nc.RemoteAddr(), "err", err)
		}
		return
	}
	if !q.track(nc) {
		return
	}
	defer q.untrack(nc)
	q.log.Debug("query client connected", "remote", nc.RemoteAddr(), "type", c.PeerType())

	var out []byte
	for {
		frames, command, err := c.ReadMsg()
		if err != nil {
			level := slog.LevelDebug
			if errors.Is(err, zmtp.ErrTooLarge) || errors.Is(err, zmtp.ErrBadFrame) {
				level = slog.LevelWarn
			}
			q.log.Log(context.Background(), level, "query client gone", "remote", nc.RemoteAddr(), "reason", errString(quiet(err)))
			return
		}
		if command {
			if out, err = q.command(out[:0], frames[0]); err != nil {
				q.log.Warn("query client gone", "remote", nc.RemoteAddr(), "reason", err)
				return
			}
		} else {
			out = q.reply(out[:0], frames)
		}
		if len(out) == 0 {
			continue
		}
		if err := c.Write(out); err != nil {
			return
		}
		if err := q.flush(c); err != nil {
			q.log.Debug("query client too slow or gone", "remote", nc.RemoteAddr(), "err", err)
			return
		}
		if cap(out) > 64<<10 {
			out = nil // do not keep a large artists reply per idle connection
		}
	}
}

// quiet turns the ways a connection normally ends into nil.
func quiet(err error) error {
	var ne net.Error
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// track records a connection past its handshake so that Close can end it;
// it reports false if the server is closing.
func (q *QueryServer) track(nc net.Conn) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.conns[nc] = struct{}{}
	return true
}

func (q *QueryServer) untrack(nc net.Conn) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.conns, nc)
}

// flush sends the reply within WriteTimeout, or by Close's linger deadline
// if the server is closing: it sets its deadline, then looks for Close's,
// and Close sets its deadline after marking it, so the earlier one wins.
func (q *QueryServer) flush(c *zmtp.Conn) error {
	nc := c.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(q.opts.WriteTimeout)); err != nil {
		return err
	}
	if until := q.lingerUntil.Load(); until != 0 {
		if err := nc.SetWriteDeadline(time.Unix(0, until)); err != nil {
			return err
		}
	}
	return c.FlushAsIs()
}

// command answers a ZMTP command: PONG for PING (libzmq's heartbeats),
// nothing for the others.
func (q *QueryServer) command(dst, frame []byte) ([]byte, error) {
	name, data, err := zmtp.ParseCommand(frame)
	if err != nil {
		return dst, err
	}
	if name == "PING" {
		dst = zmtp.AppendPong(dst, data)
	}
	return dst, nil
}

// reply appends to dst the wire form of the reply to one request message,
// as the query socket sends it: the request's envelope (every frame up to
// and including the first empty one, which a REQ socket puts first and a
// DEALER may precede with routing frames), then the reply's frames. A
// message with no empty frame before its last has no envelope. Every
// request gets a reply; one that is not valid gets an error reply.
func (q *QueryServer) reply(dst []byte, frames [][]byte) []byte {
	env, body := splitEnvelope(frames)
	dst = zmtp.AppendMore(dst, env...)
	return q.answer(dst, body)
}

// splitEnvelope cuts a request after its first empty frame, unless that
// is its last frame (then it is the request: an empty one).
func splitEnvelope(frames [][]byte) (envelope, body [][]byte) {
	for i, f := range frames[:max(len(frames)-1, 0)] {
		if len(f) == 0 {
			return frames[:i+1], frames[i+1:]
		}
	}
	return nil, frames
}

// answer appends the reply frames for the request body.
func (q *QueryServer) answer(dst []byte, body [][]byte) []byte {
	if len(body) == 0 || len(body) == 1 && len(body[0]) == 0 {
		return appendError(dst, "empty request")
	}
	for _, f := range body {
		if !utf8.Valid(f) {
			return appendError(dst, fmt.Sprintf("request %s is not UTF-8 text", quoteShort(body[0])))
		}
	}
	if len(body) > 2 {
		return appendError(dst, fmt.Sprintf("%s: %d frames; a request is a command and at most one argument", quoteShort(body[0]), len(body)))
	}
	cmd, args := string(body[0]), body[1:]
	if len(args) == 0 {
		// "artists the_" or "hello Bob" in one frame, as a
		// send_string() client sends it.
		if c, arg, ok := bytes.Cut(body[0], []byte(" ")); ok {
			cmd, args = string(c), [][]byte{arg}
		}
	}
	switch cmd {
	case "now":
		if len(args) > 0 {
			return appendError(dst, "now: takes no argument")
		}
		if q.src.Publisher != nil {
			if t, ok := q.src.Publisher.Last(); ok {
				// The same bytes as the feed message: AppendMsg's frames
				// continue the envelope's.
				return append(dst, Encode(&t)...)
			}
		}
		return appendError(dst, "now: no track sent yet")
	case "artists":
		prefix := ""
		if len(args) == 1 {
			prefix = string(args[0])
		}
		return appendJSON(dst, "artists", q.artists(prefix))
	case "stats":
		if len(args) > 0 {
			return appendError(dst, "stats: takes no argument")
		}
		return appendJSON(dst, "stats", q.stats())
	case "hello":
		if len(args) == 0 || len(args[0]) == 0 {
			return appendError(dst, "hello: want a NAME, as in: hello world")
		}
		return zmtp.AppendMsg(dst, append([]byte("Hello "), args[0]...))
	}
	return appendError(dst, fmt.Sprintf("unknown command %s", quoteShort([]byte(cmd))))
}

// appendError appends an error reply: "error", then msg and the list of
// requests.
func appendError(dst []byte, msg string) []byte {
	return zmtp.AppendMsg(dst, []byte(wire.ErrorReply), []byte(msg+" (requests: "+queryUsage+")"))
}

// appendJSON appends a reply of two frames: name, then v as JSON.
func appendJSON(dst []byte, name string, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return appendError(dst, name+": "+err.Error())
	}
	return zmtp.AppendMsg(dst, []byte(name), bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// quoteShort quotes a command for an error message, cut to 32 bytes.
func quoteShort(b []byte) string {
	if len(b) > 32 {
		return strconv.Quote(string(b[:32])) + "…"
	}
	return strconv.Quote(string(b))
}

// artists lists the playlist's artists whose slug starts with prefix,
// sorted by slug, then name.
func (q *QueryServer) artists(prefix string) []wire.Artist {
	out := []wire.Artist{}
	if q.src.Playlist == nil {
		return out
	}
	for name, n := range q.src.Playlist.Artists() {
		slug := topics.Slug(name)
		if topics.Match(slug, prefix) {
			out = append(out, wire.Artist{Slug: slug, Name: name, Tracks: n})
		}
	}
	slices.SortFunc(out, func(a, b wire.Artist) int {
		return cmp.Or(cmp.Compare(a.Slug, b.Slug), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (q *QueryServer) stats() wire.Stats {
	var s wire.Stats
	if q.src.Playlist != nil {
		s.Tracks, s.Artists, s.Albums = q.src.Playlist.Counts()
	}
	if q.src.Skipped != nil {
		s.Skipped = q.src.Skipped()
	}
	if q.src.Socket != nil {
		ss := q.src.Socket.Stats()
		s.Subscribers, s.Queued, s.Dropped = ss.Subscribers, ss.Queued, ss.Dropped
	}
	if q.src.Publisher != nil {
		if t, ok := q.src.Publisher.Last(); ok {
			s.Sent = t.Seq // seq counts from 1, one per message
		}
	}
	s.UptimeSeconds = time.Since(q.started).Round(time.Millisecond).Seconds()
	return s
}
