package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/wire"
)

// DefaultEndpoint is where a Client connects unless told otherwise.
const DefaultEndpoint = "tcp://localhost:10002"

// EndpointBeside is where a publisher whose feed is at feed answers
// queries by default: the same host, port 10002 (DefaultBind's). An ipc://
// feed, or one that does not parse, gives DefaultEndpoint.
func EndpointBeside(feed string) string {
	rest, ok := strings.CutPrefix(feed, "tcp://")
	if !ok {
		return DefaultEndpoint
	}
	host, _, err := net.SplitHostPort(rest)
	if err != nil || host == "" || host == "*" {
		return DefaultEndpoint
	}
	return "tcp://" + net.JoinHostPort(host, "10002")
}

// Property is the ZMTP metadata property (sent as "X-Query") in which a
// publisher's feed names its query socket's endpoints, comma-separated,
// as they are bound ("tcp://[::]:10002" for tcp://*:10002).
const Property = "Query"

// Advertise is the value of Property for a query socket bound to binds
// (as configured: tcp://*:10002) at endpoints (as bound, ports filled in):
// an endpoint bound to every interface keeps its "*", so that a client
// puts the host it reached the feed at in its place.
func Advertise(binds, endpoints []string) string {
	out := make([]string, len(endpoints))
	for i, ep := range endpoints {
		out[i] = ep
		if i >= len(binds) {
			continue
		}
		host, _, err := net.SplitHostPort(strings.TrimPrefix(binds[i], "tcp://"))
		_, port, err2 := net.SplitHostPort(strings.TrimPrefix(ep, "tcp://"))
		if ip := net.ParseIP(host); err == nil && err2 == nil && strings.HasPrefix(ep, "tcp://") && (host == "*" || host == "" || ip != nil && ip.IsUnspecified()) {
			out[i] = "tcp://*:" + port
		}
	}
	return strings.Join(out, ",")
}

// Advertised picks, from the endpoints a feed at feed advertised in its
// Property, the one a client of that feed connects to: the first TCP one
// (or else the first), its host, if bound to every interface, replaced by
// the feed's. It returns "" if there is none, or if the one named is on
// the loopback interface while the feed is not: out of the client's reach.
func Advertised(feed, advertised string) string {
	eps := strings.Split(advertised, ",")
	pick := ""
	for _, ep := range eps {
		if ep = strings.TrimSpace(ep); ep != "" && (pick == "" || strings.HasPrefix(ep, "tcp://") && !strings.HasPrefix(pick, "tcp://")) {
			pick = ep
		}
	}
	rest, ok := strings.CutPrefix(pick, "tcp://")
	if !ok {
		return pick
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return ""
	}
	feedRest, ok := strings.CutPrefix(feed, "tcp://")
	feedHost, _, err := net.SplitHostPort(feedRest)
	if !ok || err != nil || feedHost == "" || feedHost == "*" {
		feedHost = "localhost"
	}
	switch ip := net.ParseIP(host); {
	case host == "" || host == "*" || ip != nil && ip.IsUnspecified():
		host = feedHost
	case isLoopback(host) && !isLoopback(feedHost):
		return ""
	}
	return "tcp://" + net.JoinHostPort(host, port)
}

// isLoopback reports whether host names this machine's loopback interface.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// Client asks the query socket at Endpoint, one connection per request, as
// a ZeroMQ REQ socket. Each call waits until its context ends: give it a
// deadline.
type Client struct {
	Endpoint string // default DefaultEndpoint
	// CurveServer, if set, is the publisher's CURVE public key: the
	// client speaks CURVE, with key pair CurveKeys (nil: a new pair for
	// each request, enough for a publisher that admits any client).
	CurveServer *curve.Key
	CurveKeys   *curve.KeyPair
}

func (c Client) endpoint() string {
	if c.Endpoint == "" {
		return DefaultEndpoint
	}
	return c.Endpoint
}

// NoAnswerError reports that no query socket answered at Endpoint: the
// connection failed, the handshake failed (another socket type, such as
// the feed's PUB, is there), the connection closed, or the context ended
// first (then Err is the context's error).
type NoAnswerError struct {
	Endpoint string
	Err      error
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no answer from %s: %v", e.Endpoint, e.Err)
}
func (e *NoAnswerError) Unwrap() error { return e.Err }

// Error is an error reply: the server understood the message but not the
// request.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// queryLimits bound what a publisher may send back: an artists reply of a
// large library is a frame of a few megabytes.
var clientLimits = zmtp.Limits{MaxFrame: 16 << 20, MaxFrames: 32, HandshakeTimeout: 5 * time.Second}

// Do sends one request (a command, then its argument if any) and returns
// the reply's frames. An error reply is returned as an *Error, a failure to
// get any reply as a *NoAnswerError.
func (c Client) Do(ctx context.Context, request ...string) ([][]byte, error) {
	endpoint := c.endpoint()
	if len(request) == 0 {
		return nil, errors.New("query: no request")
	}
	if _, _, err := zmtp.ParseEndpoint(endpoint); err != nil {
		return nil, err
	}
	reply, err := query(ctx, endpoint, request, c.limits())
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		} else if errors.Is(err, io.EOF) {
			err = errors.New("the connection closed before the reply")
		} else if op, ok := err.(*net.OpError); ok && op.Op == "dial" {
			err = op.Err // "connection refused", not the address again
			var sys *os.SyscallError
			if errors.As(err, &sys) {
				err = sys.Err
			}
		}
		return nil, &NoAnswerError{Endpoint: endpoint, Err: err}
	}
	if len(reply) == 2 && string(reply[0]) == ErrorReply {
		return nil, &Error{Message: string(reply[1])}
	}
	return reply, nil
}

// limits are the client's limits, with CURVE if it is to speak it.
func (c Client) limits() zmtp.Limits {
	lim := clientLimits
	if c.CurveServer != nil {
		kp := curve.KeyPair{}
		if c.CurveKeys != nil {
			kp = *c.CurveKeys
		} else {
			kp, _ = curve.NewKeyPair() // a zero pair if that fails: refused, never in the clear
		}
		lim.Security = zmtp.CurveClient(kp, *c.CurveServer)
	}
	return lim
}

func query(ctx context.Context, endpoint string, request []string, lim zmtp.Limits) ([][]byte, error) {
	nc, err := zmtp.Dial(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	// The context ends the handshake by closing the connection: then
	// ctx.Err() tells why it failed.
	c, err := zmtp.Handshake(nc, zmq4.Req, false, lim)
	if err != nil {
		return nil, err
	}
	frames := make([][]byte, 0, 1+len(request))
	frames = append(frames, nil) // the REQ envelope: one empty delimiter
	for _, r := range request {
		frames = append(frames, []byte(r))
	}
	if err := c.Write(zmtp.AppendMsg(nil, frames...)); err != nil {
		return nil, err
	}
	if err := c.FlushAsIs(); err != nil {
		return nil, err
	}
	for {
		msg, command, err := c.ReadMsg()
		if err != nil {
			return nil, err
		}
		if command {
			if name, data, err := zmtp.ParseCommand(msg[0]); err == nil && name == "PING" {
				c.Write(zmtp.AppendPong(nil, data))
				if err := c.FlushAsIs(); err != nil {
					return nil, err
				}
			}
			continue
		}
		if len(msg) < 2 || len(msg[0]) != 0 {
			return nil, fmt.Errorf("malformed reply of %d frame(s): want an empty delimiter, then the reply", len(msg))
		}
		reply := make([][]byte, len(msg)-1)
		for i, f := range msg[1:] {
			reply[i] = bytes.Clone(f)
		}
		return reply, nil
	}
}

// Now asks for the track sent last.
func (c Client) Now(ctx context.Context) (wire.Track, error) {
	reply, err := c.Do(ctx, "now")
	if err != nil {
		return wire.Track{}, err
	}
	t, err := wire.Decode(reply)
	if err != nil {
		return wire.Track{}, fmt.Errorf("reply to now from %s: %w", c.endpoint(), err)
	}
	return t, nil
}

// NowAt asks a relay for the track of station sent last.
func (c Client) NowAt(ctx context.Context, station string) (wire.Track, error) {
	reply, err := c.Do(ctx, "now", station)
	if err != nil {
		return wire.Track{}, err
	}
	t, err := wire.Decode(reply)
	if err != nil {
		return wire.Track{}, fmt.Errorf("reply to now %s from %s: %w", station, c.endpoint(), err)
	}
	return t, nil
}

// Stations asks a relay for the stations it has forwarded, sorted by name.
func (c Client) Stations(ctx context.Context) ([]Station, error) {
	var st []Station
	if err := c.json(ctx, []string{"stations"}, &st); err != nil {
		return nil, err
	}
	return st, nil
}

// Artists asks for the artists whose slug starts with prefix ("" for
// all), sorted by slug.
func (c Client) Artists(ctx context.Context, prefix string) ([]Artist, error) {
	req := []string{"artists"}
	if prefix != "" {
		req = append(req, prefix)
	}
	var artists []Artist
	if err := c.json(ctx, req, &artists); err != nil {
		return nil, err
	}
	return artists, nil
}

// Cover asks for the picture that id names (a track's "cover" field):
// its MIME type and bytes. An id the publisher does not know is an *Error.
func (c Client) Cover(ctx context.Context, id string) (mime string, data []byte, err error) {
	reply, err := c.Do(ctx, "cover", id)
	if err != nil {
		return "", nil, err
	}
	if len(reply) != 2 || !strings.HasPrefix(string(reply[0]), "image/") {
		return "", nil, fmt.Errorf("reply to cover from %s: %d frame(s), want a MIME type (image/...) and the picture", c.endpoint(), len(reply))
	}
	return string(reply[0]), reply[1], nil
}

// Stats asks for the counters.
func (c Client) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	err := c.json(ctx, []string{"stats"}, &s)
	return s, err
}

// json sends req and decodes a reply of two frames, the command's name and
// JSON, into v.
func (c Client) json(ctx context.Context, req []string, v any) error {
	endpoint := c.endpoint()
	reply, err := c.Do(ctx, req...)
	if err != nil {
		return err
	}
	if len(reply) != 2 || string(reply[0]) != req[0] {
		return fmt.Errorf("reply to %s from %s: %d frame(s), want %q and JSON", req[0], endpoint, len(reply), req[0])
	}
	if err := json.Unmarshal(reply[1], v); err != nil {
		return fmt.Errorf("reply to %s from %s: %w", req[0], endpoint, err)
	}
	return nil
}
