package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/query"
	"github.com/trackfeed/trackfeed/wire"
)

var queryTracks = []library.Track{
	{Path: "Sigur Rós/Takk/01 Glósóli.mp3", Artist: "Sigur Rós", Album: "Takk", Title: "Glósóli", TrackNo: 1, Year: 2005},
	{Path: "The Cure/Disintegration/01 Plainsong.mp3", Artist: "The Cure", Album: "Disintegration", Title: "Plainsong", TrackNo: 1},
	{Path: "The Streets/A Grand/01 It Was Supposed.mp3", Artist: "The Streets", Album: "A Grand", Title: "It Was Supposed", TrackNo: 1},
	{Path: "The Streets/Original/02 Turn.mp3", Artist: "The Streets", Album: "Original Pirate Material", Title: "Turn the Page", TrackNo: 2},
	{Path: "Simon & Garfunkel/Bookends/01 Bookends.mp3", Artist: "Simon & Garfunkel", Album: "Bookends", Title: "Bookends <Theme>", TrackNo: 1},
}

// queryFixture is a publisher that has sent one track (the first, by
// path) and waits an hour for the next, with its query socket.
type queryFixture struct {
	pub  *publisher.Publisher
	ep   string
	last wire.Track
}

func startQuery(t *testing.T) *queryFixture {
	t.Helper()
	p := publishertest.Start(t, publisher.Config{Tracks: queryTracks, Interval: time.Hour, Query: []string{"tcp://127.0.0.1:0"}})
	f := &queryFixture{pub: p, ep: p.QueryEndpoints()[0]}
	f.last, _ = p.Now()
	return f
}

// idle is a publisher that is bound but not running: it has sent nothing
// and its playlist is empty.
func idle(t *testing.T) *publisher.Publisher {
	t.Helper()
	p, err := publisher.New(publisher.Config{Tracks: queryTracks, Bind: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// client is a REQ or DEALER made by hand, with deadlines on every wait.
type client struct {
	t *testing.T
	c *zmtp.Conn
}

func dial(t *testing.T, ep string, typ zmq4.SocketType) *client {
	t.Helper()
	nc, err := zmtp.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c, err := zmtp.Handshake(nc, typ, false, zmtp.Limits{MaxFrame: 1 << 20, MaxFrames: 64, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, c: c}
}

func (c *client) send(frames ...string) {
	c.t.Helper()
	var b [][]byte
	for _, f := range frames {
		b = append(b, []byte(f))
	}
	if err := c.c.Write(zmtp.AppendMsg(nil, b...)); err != nil {
		c.t.Fatal(err)
	}
	if err := c.c.Flush(time.Now().Add(5 * time.Second)); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one message, as strings.
func (c *client) recv() []string {
	c.t.Helper()
	c.c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	frames, command, err := c.c.ReadMsg()
	if err != nil {
		c.t.Fatalf("no reply: %v", err)
	}
	if command {
		c.t.Fatalf("command %q, want a reply", frames[0])
	}
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = string(f)
	}
	return out
}

// ask sends a request from a REQ: the empty delimiter, then frames. It
// checks the delimiter comes back and returns the rest.
func (c *client) ask(frames ...string) []string {
	c.t.Helper()
	c.send(append([]string{""}, frames...)...)
	reply := c.recv()
	if len(reply) < 2 || reply[0] != "" {
		c.t.Fatalf("reply %q: want the empty delimiter first, then at least one frame", reply)
	}
	return reply[1:]
}

func decodeJSON[T any](t *testing.T, reply []string, name string) T {
	t.Helper()
	var v T
	if len(reply) != 2 || reply[0] != name {
		t.Fatalf("reply %q: want %q and JSON", reply, name)
	}
	if err := json.Unmarshal([]byte(reply[1]), &v); err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	return v
}

func TestQueryNow(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Req)
	got := c.ask("now")
	// The same five frames as the feed message.
	want := []string{f.last.Topic, f.last.Artist, f.last.Album, f.last.Title, string(wire.AppendMeta(nil, &f.last))}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("now = %q\nwant  %q", got, want)
	}
	if f.last.Artist != "Sigur Rós" || f.last.Seq != 1 {
		t.Errorf("last track %+v: want the first by path, seq 1", f.last)
	}
}

func TestQueryNowBeforeFirstTrack(t *testing.T) {
	qs, err := query.Listen([]string{"tcp://127.0.0.1:0"}, idle(t), zmtp.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer qs.Close()
	c := dial(t, qs.Endpoints()[0], zmq4.Req)
	if got := c.ask("now"); len(got) != 2 || got[0] != "error" || !strings.HasPrefix(got[1], "now: no track sent yet") {
		t.Errorf("now = %q, want an error reply", got)
	}
	if got := decodeJSON[[]query.Artist](t, c.ask("artists"), "artists"); len(got) != 0 {
		t.Errorf("artists = %v, want none", got)
	}
}

func TestQueryArtists(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Req)
	all := []query.Artist{
		{Slug: "sigur_ros", Name: "Sigur Rós", Tracks: 1},
		{Slug: "simon_garfunkel", Name: "Simon & Garfunkel", Tracks: 1},
		{Slug: "the_cure", Name: "The Cure", Tracks: 1},
		{Slug: "the_streets", Name: "The Streets", Tracks: 2},
	}
	for _, tc := range []struct {
		name    string
		request []string
		want    []query.Artist
	}{
		{"all", []string{"artists"}, all},
		{"empty prefix", []string{"artists", ""}, all},
		{"prefix", []string{"artists", "the_"}, all[2:]},
		{"one artist", []string{"artists", "the_streets"}, all[3:]},
		{"in one frame", []string{"artists si"}, all[:2]},
		{"no match", []string{"artists", "zz"}, []query.Artist{}},
		{"name, not slug", []string{"artists", "The"}, []query.Artist{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := c.ask(tc.request...)
			if got := decodeJSON[[]query.Artist](t, reply, "artists"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%q = %+v, want %+v", tc.request, got, tc.want)
			}
			if !strings.HasPrefix(reply[1], "[") {
				t.Errorf("frame 1 %q: want a JSON array", reply[1])
			}
		})
	}
	// "&" stays as it is, for readers of the raw JSON.
	if reply := c.ask("artists", "simon"); !strings.Contains(reply[1], `"Simon & Garfunkel"`) {
		t.Errorf("JSON %s escapes &", reply[1])
	}
}

func TestQueryStats(t *testing.T) {
	f := startQuery(t)
	zmtptest.Sub(t, f.pub.Endpoints()[0], "")
	zmtptest.WaitFor(t, 5*time.Second, "the subscriber", func() bool { return f.pub.Stats().Subscribers == 1 })
	c := dial(t, f.ep, zmq4.Req)
	got := decodeJSON[query.Stats](t, c.ask("stats"), "stats")
	if got.UptimeSeconds < 0 || got.UptimeSeconds > 60 { // 0 within the first half millisecond
		t.Errorf("uptime %v s", got.UptimeSeconds)
	}
	got.UptimeSeconds = 0
	// The subscriber's queue may hold the second message or not yet: Send
	// checks its subscriptions.
	got.Queued = 0
	want := query.Stats{Tracks: 5, Artists: 4, Albums: 5, Subscribers: 1, Sent: 1}
	if got != want {
		t.Errorf("stats = %+v\nwant    %+v", got, want)
	}
	raw := c.ask("stats")[1]
	var fields map[string]any
	json.Unmarshal([]byte(raw), &fields)
	// Whole milliseconds: at most three decimals.
	if m := regexp.MustCompile(`"uptime_seconds":([0-9.e+-]+)`).FindStringSubmatch(raw); m == nil {
		t.Errorf("stats %s: no uptime_seconds", raw)
	} else if _, frac, _ := strings.Cut(m[1], "."); len(frac) > 3 || strings.ContainsAny(m[1], "e") {
		t.Errorf("uptime_seconds %s: want whole milliseconds, such as 1.523", m[1])
	}
	for _, k := range []string{"tracks", "artists", "albums", "skipped", "subscribers", "uptime_seconds", "sent", "queued", "dropped", "refused"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("stats has no %q: %v", k, fields)
		}
	}
}

// TestQueryErrors sends requests that are not valid: each gets an error
// reply naming the problem and listing the requests, and the same
// connection answers the next request.
func TestQueryErrors(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Req)
	for _, tc := range []struct {
		name    string
		request []string
		want    string
	}{
		{"unknown command", []string{"play"}, `unknown command "play"`},
		{"command in capitals", []string{"NOW"}, `unknown command "NOW"`},
		{"empty request", []string{""}, "empty request"},
		{"not UTF-8", []string{"\xff\xfe"}, `request "\xff\xfe" is not UTF-8 text`},
		{"argument not UTF-8", []string{"hello", "\xc3"}, `request "hello" is not UTF-8 text`},
		{"too many frames", []string{"artists", "a", "b"}, `"artists": 3 frames; a request is a command and at most one argument`},
		{"argument to now", []string{"now", "please"}, "now: takes no argument"},
		{"argument to stats", []string{"stats verbose"}, "stats: takes no argument"},
		{"hello without a name", []string{"hello"}, "hello: want a NAME"},
		{"long command", []string{strings.Repeat("x", 1000)}, `unknown command "` + strings.Repeat("x", 32) + `"…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.ask(tc.request...)
			if len(got) != 2 || got[0] != "error" || !strings.HasPrefix(got[1], tc.want) ||
				!strings.HasSuffix(got[1], " (requests: now, artists [PREFIX], stats, cover ID, hello NAME)") || strings.Contains(got[1], "\n") {
				t.Errorf("%q = %q, want [error %q…(requests: …)] on one line", tc.request, got, tc.want)
			}
			if got := c.ask("hello", "again"); !reflect.DeepEqual(got, []string{"Hello again"}) {
				t.Errorf("after %s: hello = %q", tc.name, got)
			}
		})
	}
}

func TestQueryHello(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Req)
	for _, req := range [][]string{{"hello", "world"}, {"hello world"}} {
		if got := c.ask(req...); !reflect.DeepEqual(got, []string{"Hello world"}) {
			t.Errorf("%q = %q, want [Hello world]", req, got)
		}
	}
	if got := c.ask("hello", "Sigur Rós"); !reflect.DeepEqual(got, []string{"Hello Sigur Rós"}) {
		t.Errorf("hello Sigur Rós = %q", got)
	}
}

// TestQueryDealer: a DEALER's routing frames come back before the reply,
// requests sent together are answered in order, and a message with no
// delimiter gets a reply with none.
func TestQueryDealer(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Dealer)
	for _, tc := range []struct {
		name      string
		send, got []string
	}{
		{"routing frames", []string{"route-1", "\x00\x01", "", "hello", "dealer"}, []string{"route-1", "\x00\x01", "", "Hello dealer"}},
		{"REQ-like", []string{"", "hello", "x"}, []string{"", "Hello x"}},
		{"no delimiter", []string{"hello", "x"}, []string{"Hello x"}},
		{"empty frame only", []string{""}, []string{"error", "empty request (requests: now, artists [PREFIX], stats, cover ID, hello NAME)"}},
		{"no delimiter, empty last frame", []string{"hello", ""}, []string{"error", "hello: want a NAME, as in: hello world (requests: now, artists [PREFIX], stats, cover ID, hello NAME)"}},
		{"error after routing frames", []string{"r", "", "bogus"}, []string{"r", "", "error", `unknown command "bogus" (requests: now, artists [PREFIX], stats, cover ID, hello NAME)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.send(tc.send...)
			if got := c.recv(); !reflect.DeepEqual(got, tc.got) {
				t.Errorf("sent %q, got %q, want %q", tc.send, got, tc.got)
			}
		})
	}
	t.Run("pipelined", func(t *testing.T) {
		var batch []byte
		for i := range 20 {
			batch = zmtp.AppendMsg(batch, []byte(fmt.Sprint(i)), nil, []byte("hello"), []byte(fmt.Sprint("n", i)))
		}
		c.c.Write(batch)
		if err := c.c.Flush(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			want := []string{fmt.Sprint(i), "", fmt.Sprint("Hello n", i)}
			if got := c.recv(); !reflect.DeepEqual(got, want) {
				t.Fatalf("reply %d = %q, want %q", i, got, want)
			}
		}
	})
}

// TestQuerySilentClients: clients that connect and send nothing, or stop
// in the middle of the greeting or of a request, hold up no one else.
func TestQuerySilentClients(t *testing.T) {
	f := startQuery(t)
	_, addr, _ := zmtp.ParseEndpoint(f.ep)
	for _, stall := range [][]byte{nil, zmtptest.Greeting()[:10]} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write(stall)
	}
	idle := dial(t, f.ep, zmq4.Req)                                // handshake done, never asks
	halfway := dial(t, f.ep, zmq4.Req)                             // half a request
	halfway.c.Write(zmtp.AppendMsg(nil, nil, []byte("hello"))[:4]) // delimiter, then part of a header
	halfway.c.Flush(time.Now().Add(time.Second))

	start := time.Now()
	c := dial(t, f.ep, zmq4.Req)
	if got := c.ask("hello", "there"); !reflect.DeepEqual(got, []string{"Hello there"}) {
		t.Errorf("hello = %q", got)
	}
	// Far less than the 5s handshake timeout that would free a server
	// stuck on the first of them.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("answered in %v, behind the silent clients", d)
	}
	// The idle client may still ask.
	if got := idle.ask("now"); len(got) != 5 {
		t.Errorf("now from the idle client = %q", got)
	}
}

// TestQueryLimits: a message over the frame limits closes its connection
// (the rest of it cannot be read in step); others are unaffected.
func TestQueryLimits(t *testing.T) {
	f := startQuery(t)
	for name, frames := range map[string][][]byte{
		"frame of 5000 bytes": {nil, bytes.Repeat([]byte("a"), 5000)},
		"17 frames":           bytes.Split([]byte("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"), []byte(",")),
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, f.ep, zmq4.Dealer)
			c.c.Write(zmtp.AppendMsg(nil, frames...))
			c.c.Flush(time.Now().Add(5 * time.Second))
			c.c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
			// EOF, or a reset: the server closes with the rest unread.
			var ne net.Error
			if _, _, err := c.c.ReadMsg(); err == nil || errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("read after an oversized message: %v, want the connection closed", err)
			}
			if got := dial(t, f.ep, zmq4.Req).ask("hello", "x"); len(got) != 1 {
				t.Errorf("another client: %q", got)
			}
		})
	}
	t.Run("16 frames", func(t *testing.T) {
		c := dial(t, f.ep, zmq4.Dealer)
		c.send("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "", "now", "a", "b")
		if got := c.recv(); len(got) != 15 || got[13] != "error" {
			t.Errorf("reply %q, want the envelope and an error", got)
		}
	})
}

func TestQueryMaxConnections(t *testing.T) {
	p := idle(t)
	qs, err := query.Listen([]string{"tcp://127.0.0.1:0"}, p, zmtp.ServerOptions{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer qs.Close()
	f := &queryFixture{pub: p, ep: qs.Endpoints()[0]}
	c := dial(t, f.ep, zmq4.Req)
	_, addr, _ := zmtp.ParseEndpoint(f.ep)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("second connection: read %v, want EOF", err)
	}
	if got := c.ask("hello", "first"); len(got) != 1 {
		t.Errorf("first connection: %q", got)
	}
}

// TestQueryClose: Close ends idle, handshaking and asking connections
// within about its linger, and is idempotent. (goleak checks that every
// goroutine ended.)
func TestQueryClose(t *testing.T) {
	qs, err := query.Listen([]string{"tcp://127.0.0.1:0"}, idle(t), zmtp.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ep := qs.Endpoints()[0]
	_, addr, _ := zmtp.ParseEndpoint(ep)
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	idle := dial(t, ep, zmq4.Req)
	if got := idle.ask("hello", "x"); len(got) != 1 {
		t.Fatalf("hello = %q", got)
	}
	start := time.Now()
	qs.Close()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	qs.Close()
	idle.c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := idle.c.ReadMsg(); !errors.Is(err, io.EOF) {
		t.Errorf("idle client after Close: %v, want EOF", err)
	}
	if _, err := zmtp.Dial(context.Background(), ep); err == nil {
		t.Error("still accepting after Close")
	}
}

func TestListenErrors(t *testing.T) {
	ep := zmtptest.Taken(t)
	for _, tc := range []struct {
		endpoints []string
		want      string
	}{
		{nil, "no endpoint to bind"},
		{[]string{"tcp://127.0.0.1:0", ep}, "bind " + ep + ": address already in use"},
		{[]string{"localhost:10002"}, `endpoint "localhost:10002": want tcp://HOST:PORT or ipc://PATH`},
	} {
		qs, err := query.Listen(tc.endpoints, idle(t), zmtp.ServerOptions{})
		if err == nil {
			qs.Close()
			t.Errorf("Listen(%q) succeeded", tc.endpoints)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Listen(%q) = %v, want %s", tc.endpoints, err, tc.want)
		}
	}
}

// python is Debian's interpreter, which python3-zmq installs pyzmq for; a
// python3 earlier on PATH (pyenv, a virtualenv) usually lacks it.
const python = "/usr/bin/python3"

// pyzmqREQ asks each request given as a JSON argument with a libzmq REQ
// socket and prints each reply as a JSON array of strings.
const pyzmqREQ = `
import json, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.setsockopt(zmq.LINGER, 0)
s.setsockopt(zmq.RCVTIMEO, 5000)
s.connect(sys.argv[1])
for req in sys.argv[2:]:
    s.send_multipart([f.encode() for f in json.loads(req)])
    print(json.dumps([f.decode("utf-8", "replace") for f in s.recv_multipart()]), flush=True)
`

// needPyzmq skips the test, or fails it under CI, without pyzmq.
func needPyzmq(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import zmq").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s cannot import zmq (%v: %s): install python3-zmq (apt-get install -y python3-zmq)", python, err, bytes.TrimSpace(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// TestQueryPyzmq asks the query socket with libzmq's REQ through pyzmq.
func TestQueryPyzmq(t *testing.T) {
	needPyzmq(t)
	f := startQuery(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var args []string
	requests := [][]string{{"now"}, {"artists", "the_"}, {"stats"}, {"hello", "world"}, {"hello world"}, {"frobnicate"}}
	for _, r := range requests {
		b, _ := json.Marshal(r)
		args = append(args, string(b))
	}
	out, err := exec.CommandContext(ctx, python, append([]string{"-c", pyzmqREQ, f.ep}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(requests) {
		t.Fatalf("%d replies, want %d:\n%s", len(lines), len(requests), out)
	}
	replies := make([][]string, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &replies[i]); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
	}
	if got, err := wire.Decode(toBytes(replies[0])); err != nil || got != f.last {
		t.Errorf("now: %+v, %v; want %+v", got, err, f.last)
	}
	if got := decodeJSON[[]query.Artist](t, replies[1], "artists"); len(got) != 2 || got[0].Slug != "the_cure" || got[1].Tracks != 2 {
		t.Errorf("artists the_ = %+v", got)
	}
	if got := decodeJSON[query.Stats](t, replies[2], "stats"); got.Tracks != 5 || got.Artists != 4 || got.Sent != 1 {
		t.Errorf("stats = %+v", got)
	}
	for _, r := range replies[3:5] {
		if !reflect.DeepEqual(r, []string{"Hello world"}) {
			t.Errorf("hello = %q", r)
		}
	}
	if r := replies[5]; len(r) != 2 || r[0] != "error" || !strings.HasPrefix(r[1], `unknown command "frobnicate"`) {
		t.Errorf("frobnicate = %q", r)
	}
}

func toBytes(s []string) [][]byte {
	out := make([][]byte, len(s))
	for i, f := range s {
		out[i] = []byte(f)
	}
	return out
}

// TestQueryHeartbeat: a PING (libzmq's ZMQ_HEARTBEAT_IVL) gets a PONG
// with its context, between requests.
func TestQueryHeartbeat(t *testing.T) {
	f := startQuery(t)
	c := dial(t, f.ep, zmq4.Req)
	c.c.Write(zmtp.AppendCommand(nil, "PING", []byte{0, 10, 'h', 'b'}))
	c.c.Flush(time.Now().Add(5 * time.Second))
	c.c.NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	frames, command, err := c.c.ReadMsg()
	if err != nil || !command {
		t.Fatalf("after PING: %q command=%v, %v", frames, command, err)
	}
	if name, data, err := zmtp.ParseCommand(frames[0]); err != nil || name != "PONG" || string(data) != "hb" {
		t.Errorf("after PING: %s %q, %v; want PONG \"hb\"", name, data, err)
	}
	if got := c.ask("hello", "x"); len(got) != 1 {
		t.Errorf("hello after PING = %q", got)
	}
}
