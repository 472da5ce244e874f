package query

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
	"time"
	"unicode/utf8"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// DefaultBind is where a publisher answers queries unless told otherwise:
// the port after the feed's.
const DefaultBind = "tcp://*:10002"

// usage lists the requests, for error replies; coverUsage those of a
// CoverSource.
const (
	usage      = "now, artists [PREFIX], stats, hello NAME"
	coverUsage = "now, artists [PREFIX], stats, cover ID, hello NAME"
)

// relayUsage lists a relay's requests.
const relayUsage = "now [STATION], stations, artists [PREFIX], stats, hello NAME"

// Source is what a Server answers from: a publisher, or anything else that
// knows a feed.
type Source interface {
	// Now is the track sent last, if any.
	Now() (wire.Track, bool)
	// Artists counts the tracks of each artist.
	Artists() map[string]int
	// Stats are the counters; the Server fills in UptimeSeconds.
	Stats() Stats
}

// StationSource is a Source that carries several stations, as a relay
// does: the Server then answers "now STATION" and "stations" too.
type StationSource interface {
	Source
	// NowAt is the track of station sent last, if any.
	NowAt(station string) (wire.Track, bool)
	// Stations lists the stations, sorted by name.
	Stations() []Station
}

// MaxCover bounds the picture of a reply to "cover": more than cover art
// needs (a 3000×3000 JPEG is 2 to 4 MiB), and a bound on what one request
// costs.
const MaxCover = 8 << 20

// CoverSource is a Source that serves cover art: the Server then answers
// "cover ID".
type CoverSource interface {
	Source
	// Cover returns the picture that id names (a track's "cover" field):
	// its MIME type (image/jpeg, image/png...) and at most MaxCover
	// bytes. Its error is ErrNoCover for an id it does not know, and says
	// what went wrong otherwise; the Server sends its text to the client,
	// so it must not name a file.
	Cover(id string) (mime string, data []byte, err error)
}

// ErrNoCover is a CoverSource's error for an id that names no cover.
var ErrNoCover = errors.New("no such cover: it names no track of the library now (ask \"now\" for the current track's)")

// Server is a ZeroMQ REP endpoint: REQ and DEALER sockets ask it for the
// track playing now, the artists, and counters (docs/PROTOCOL.md, "Query
// socket"). It is built on trackfeed's transport rather than on
// zmq4.NewRep, for the same reasons as the feed: a goroutine per
// connection, so a client that never sends or never reads holds up no one
// else, bounded connections and frames, and a handshake timeout. Each
// connection's requests are answered in the order they came.
type Server struct {
	src     Source
	log     *slog.Logger
	srv     *zmtp.Server
	started time.Time
}

// Options configure a Server: MaxConns, WriteTimeout, Linger, Limits and
// Logger. Zero values take the defaults Listen names.
type Options = zmtp.ServerOptions

// Listen binds every endpoint (tcp://HOST:PORT or ipc://PATH) and starts
// answering queries from src. If one endpoint fails, none stays bound.
//
// Zero options take the defaults: MaxConns 256, WriteTimeout 10s (a client
// that takes longer to accept a reply is disconnected), Linger 100ms (for
// a reply being written), and Limits of frames of 4 KiB, 16 frames a
// message, 5s to finish the handshake. A request within the limits that is
// not a valid request gets an error reply; a message over them closes the
// connection, since the rest of it cannot be read in step.
func Listen(endpoints []string, src Source, opts Options) (*Server, error) {
	opts = opts.WithDefaults(zmtp.ServerOptions{
		MaxConns: 256, WriteTimeout: 10 * time.Second, Linger: 100 * time.Millisecond,
		Limits: zmtp.Limits{MaxFrame: 4 << 10, MaxFrames: 16, HandshakeTimeout: 5 * time.Second},
	})
	q := &Server{src: src, log: opts.Logger, started: time.Now()}
	srv, err := zmtp.Bind(endpoints, zmq4.Rep, opts)
	if err != nil {
		return nil, err
	}
	q.srv = srv
	srv.Serve(zmtp.HandlerFunc(q.serve), func(nc net.Conn) {
		q.log.Warn("query client refused: too many connected", "remote", nc.RemoteAddr(), "max", opts.MaxConns)
	})
	return q, nil
}

// Endpoints are the bound endpoints, with ports the kernel chose filled in.
func (q *Server) Endpoints() []string { return q.srv.Endpoints() }

// Close stops accepting, gives a reply being written up to Linger, closes
// every connection and waits for every goroutine of the server. It may be
// called more than once.
func (q *Server) Close() error { return q.srv.Close() }

// serve answers one connection: it reads a request, writes its reply, and
// reads the next.
func (q *Server) serve(ctx context.Context, c *zmtp.Conn) {
	nc := c.NetConn()
	// A read in progress ends when the server closes; a write has until
	// the linger deadline.
	stop := context.AfterFunc(ctx, func() { nc.SetReadDeadline(time.Now()) })
	defer stop()
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
		if err := q.srv.Flush(c); err != nil {
			q.log.Debug("query client too slow or gone", "remote", nc.RemoteAddr(), "err", err)
			return
		}
		if cap(out) > 64<<10 {
			out = nil // do not keep a large artists reply per idle connection
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// quiet turns the ways a connection normally ends into nil.
func quiet(err error) error {
	var ne net.Error
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// command answers a ZMTP command: PONG for PING (libzmq's heartbeats),
// nothing for the others.
func (q *Server) command(dst, frame []byte) ([]byte, error) {
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
func (q *Server) reply(dst []byte, frames [][]byte) []byte {
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
func (q *Server) answer(dst []byte, body [][]byte) []byte {
	if len(body) == 0 || len(body) == 1 && len(body[0]) == 0 {
		return q.appendError(dst, "empty request")
	}
	for _, f := range body {
		if !utf8.Valid(f) {
			return q.appendError(dst, fmt.Sprintf("request %s is not UTF-8 text", quoteShort(body[0])))
		}
	}
	if len(body) > 2 {
		return q.appendError(dst, fmt.Sprintf("%s: %d frames; a request is a command and at most one argument", quoteShort(body[0]), len(body)))
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
		ss, stations := q.src.(StationSource)
		if len(args) > 0 && !stations {
			return q.appendError(dst, "now: takes no argument")
		}
		t, ok := q.src.Now()
		if len(args) > 0 {
			if t, ok = ss.NowAt(string(args[0])); !ok {
				return q.appendError(dst, fmt.Sprintf("now: no track from station %s", quoteShort(args[0])))
			}
		}
		if ok {
			// The same bytes as the feed message: AppendMsg's frames
			// continue the envelope's.
			return append(dst, wire.Encode(&t)...)
		}
		return q.appendError(dst, "now: no track sent yet")
	case "artists":
		prefix := ""
		if len(args) == 1 {
			prefix = string(args[0])
		}
		return q.appendJSON(dst, "artists", q.artists(prefix))
	case "stats":
		if len(args) > 0 {
			return q.appendError(dst, "stats: takes no argument")
		}
		return q.appendJSON(dst, "stats", q.stats())
	case "stations":
		ss, ok := q.src.(StationSource)
		switch {
		case !ok:
			return q.appendError(dst, "stations: ask a relay; a publisher is one station")
		case len(args) > 0:
			return q.appendError(dst, "stations: takes no argument")
		}
		return q.appendJSON(dst, "stations", ss.Stations())
	case "cover":
		return q.appendCover(dst, args)
	case "hello":
		if len(args) == 0 || len(args[0]) == 0 {
			return q.appendError(dst, "hello: want a NAME, as in: hello world")
		}
		return zmtp.AppendMsg(dst, append([]byte("Hello "), args[0]...))
	}
	return q.appendError(dst, fmt.Sprintf("unknown command %s", quoteShort([]byte(cmd))))
}

// appendCover appends the reply to "cover ID": the picture's MIME type,
// then its bytes.
func (q *Server) appendCover(dst []byte, args [][]byte) []byte {
	cs, ok := q.src.(CoverSource)
	_, relay := q.src.(StationSource)
	switch {
	case len(args) == 0 || len(args[0]) == 0:
		return q.appendError(dst, `cover: want an ID, as a track's "cover" field gives it`)
	case !ok && relay:
		return q.appendError(dst, "cover: a relay does not carry cover art; ask the query socket of the publisher (the port after its feed's)")
	case !ok:
		return q.appendError(dst, "cover: this query socket serves no cover art")
	}
	id := quoteShort(args[0])
	mime, data, err := cs.Cover(string(args[0]))
	switch {
	case err != nil:
		return q.appendError(dst, "cover "+id+": "+err.Error())
	case len(data) > MaxCover:
		return q.appendError(dst, fmt.Sprintf("cover %s: %d bytes, more than a reply carries (%d)", id, len(data), MaxCover))
	}
	return zmtp.AppendMsg(dst, []byte(mime), data)
}

// appendError appends an error reply: "error", then msg and the list of
// requests.
func (q *Server) appendError(dst []byte, msg string) []byte {
	u := usage
	if _, ok := q.src.(CoverSource); ok {
		u = coverUsage
	}
	if _, ok := q.src.(StationSource); ok {
		u = relayUsage
	}
	return zmtp.AppendMsg(dst, []byte(ErrorReply), []byte(msg+" (requests: "+u+")"))
}

// appendJSON appends a reply of two frames: name, then v as JSON.
func (q *Server) appendJSON(dst []byte, name string, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return q.appendError(dst, name+": "+err.Error())
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

// artists lists the source's artists whose slug starts with prefix,
// sorted by slug, then name.
func (q *Server) artists(prefix string) []Artist {
	out := []Artist{}
	for name, n := range q.src.Artists() {
		slug := topics.Slug(name)
		if topics.Match(slug, prefix) {
			out = append(out, Artist{Slug: slug, Name: name, Tracks: n})
		}
	}
	slices.SortFunc(out, func(a, b Artist) int {
		return cmp.Or(cmp.Compare(a.Slug, b.Slug), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func (q *Server) stats() Stats {
	s := q.src.Stats()
	// Whole milliseconds, printed as such: 1.523, not 1.5230000000000001.
	s.UptimeSeconds = float64(time.Since(q.started).Milliseconds()) / 1000
	return s
}
