package zmtp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
)

func greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 0
	copy(g[12:], "NULL")
	return g
}

func ready(socketType string) []byte {
	body := []byte{5}
	body = append(body, "READY"...)
	body = append(body, byte(len("Socket-Type")))
	body = append(body, "Socket-Type"...)
	body = binary.BigEndian.AppendUint32(body, uint32(len(socketType)))
	body = append(body, socketType...)
	return appendFrame(nil, flagCommand, body)
}

// handshakeWith runs Handshake against a loopback peer that sends input,
// half-closes, and drains what Handshake writes.
func handshakeWith(t testing.TB, input []byte, lim Limits) (*Conn, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		remote, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return
		}
		defer remote.Close()
		remote.Write(input)
		remote.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, remote)
	}()
	local, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Handshake(local, zmq4.Pub, true, lim)
	if err != nil {
		local.Close()
		return nil, err
	}
	t.Cleanup(func() { local.Close() })
	return c, nil
}

func TestHandshakeAndRead(t *testing.T) {
	in := append(greeting(), ready("SUB")...)
	in = AppendMsg(in, []byte("\x01the_"))
	in = append(in, AppendCommand(nil, "PING", []byte{0, 10, 'c', 't', 'x'})...)
	in = AppendMsg(in, []byte("a"), bytes.Repeat([]byte("b"), 300), nil)
	c, err := handshakeWith(t, in, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if c.PeerType() != "SUB" {
		t.Errorf("peer type %q", c.PeerType())
	}
	want := []struct {
		frames  []string
		command bool
	}{
		{[]string{"\x01the_"}, false},
		{[]string{"\x04PING\x00\x0actx"}, true},
		{[]string{"a", string(bytes.Repeat([]byte("b"), 300)), ""}, false},
	}
	for i, w := range want {
		frames, command, err := c.ReadMsg()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if command != w.command || len(frames) != len(w.frames) {
			t.Fatalf("message %d: %q command=%v, want %q command=%v", i, frames, command, w.frames, w.command)
		}
		for j := range frames {
			if string(frames[j]) != w.frames[j] {
				t.Errorf("message %d frame %d: %q, want %q", i, j, frames[j], w.frames[j])
			}
		}
	}
}

func TestLimits(t *testing.T) {
	ok := append(greeting(), ready("SUB")...)
	lim := Limits{MaxFrame: 1024, MaxFrames: 4, HandshakeTimeout: time.Second}
	for _, tc := range []struct {
		name  string
		input []byte
		want  error // nil: handshake fails with any error
	}{
		{"bad signature", append([]byte("GET / HTTP/1.1\r\n"), make([]byte, 64)...), nil},
		{"2^62 during handshake", binary.BigEndian.AppendUint64(append(greeting(), flagCommand|flagLong), 1<<62), ErrTooLarge},
		{"2^40 during handshake", binary.BigEndian.AppendUint64(append(greeting(), flagCommand|flagLong), 1<<40), ErrTooLarge},
		{"reserved flag bits", append(greeting(), 0xf0, 0), ErrBadFrame},
		{"wrong socket type", append(greeting(), ready("PUSH")...), nil},
		{"malformed READY", append(greeting(), appendFrame(nil, flagCommand, []byte("\x05READY\x0bSocket-Type\xff"))...), nil},
		{"greeting then nothing", greeting(), nil},
		{"nothing", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lim := lim
			lim.HandshakeTimeout = 200 * time.Millisecond
			_, err := handshakeWith(t, tc.input, lim)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Handshake = %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"frame over the limit", appendFrame(nil, 0, make([]byte, 1025))},
		{"2^62 frame", binary.BigEndian.AppendUint64([]byte{flagLong}, 1<<62)},
		{"too many frames", AppendMsg(nil, []byte("1"), []byte("2"), []byte("3"), []byte("4"), []byte("5"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := handshakeWith(t, append(bytes.Clone(ok), tc.msg...), lim)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadMsg(); !errors.Is(err, ErrTooLarge) {
				t.Errorf("ReadMsg = %v, want ErrTooLarge", err)
			}
		})
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, network, address string }{
		{"tcp://*:10001", "tcp", ":10001"},
		{"tcp://127.0.0.1:0", "tcp", "127.0.0.1:0"},
		{"tcp://[::1]:5", "tcp", "[::1]:5"},
		{"tcp://localhost:10001", "tcp", "localhost:10001"},
		{"ipc:///tmp/x.sock", "unix", "/tmp/x.sock"},
		{"tcp://nohost", "", ""},
		{"tcp://host:", "", ""},
		{"tcp://", "", ""},
		{"tcp://host:99999", "", ""},
		{"tcp://host:http", "", ""},
		{"udp://x:1", "", ""},
		{"localhost:10001", "", ""},
		{"ipc://", "", ""},
	} {
		n, a, err := ParseEndpoint(tc.in)
		if n != tc.network || a != tc.address || (err == nil) != (tc.network != "") {
			t.Errorf("ParseEndpoint(%q) = %q, %q, %v; want %q, %q", tc.in, n, a, err, tc.network, tc.address)
		}
	}
}

// FuzzPeer: whatever a peer sends, the handshake and the reader return
// errors, never panic, and never allocate past the limits.
func FuzzPeer(f *testing.F) {
	ok := append(greeting(), ready("SUB")...)
	f.Add([]byte{})
	f.Add(greeting())
	f.Add(ok)
	f.Add(AppendMsg(bytes.Clone(ok), []byte("\x01the_")))
	f.Add(append(bytes.Clone(ok), AppendCommand(nil, "PING", []byte{0, 1})...))
	f.Add(binary.BigEndian.AppendUint64(append(greeting(), flagCommand|flagLong), 1<<62))
	f.Add(append(greeting(), appendFrame(nil, flagCommand, []byte("\x05READY\x0bSocket-Type\xff"))...))
	f.Add(bytes.Clone(zmtp2Greeting))
	lim := Limits{MaxFrame: 4096, MaxFrames: 8, HandshakeTimeout: 100 * time.Millisecond}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := handshakeWith(t, in, lim)
		if err != nil {
			return
		}
		defer c.Close()
		c.NetConn().SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			frames, command, err := c.ReadMsg()
			if err != nil {
				return
			}
			if command {
				ParseCommand(frames[0])
			}
			total := 0
			for _, fr := range frames {
				total += len(fr)
			}
			if len(frames) > lim.MaxFrames || total > lim.MaxFrame*lim.MaxFrames {
				t.Fatalf("read %d frames, %d bytes past the limits", len(frames), total)
			}
		}
	})
}

// TestCommandInsideMessage: a command frame after a frame with MORE is a
// protocol error that says so, not a command of odd length.
func TestCommandInsideMessage(t *testing.T) {
	in := append(greeting(), ready("SUB")...)
	in = appendFrame(in, flagMore, []byte("the_"))
	in = appendFrame(in, flagCommand, []byte("\x04PING\x00\x01"))
	c, err := handshakeWith(t, in, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _, err = c.ReadMsg()
	if !errors.Is(err, ErrBadFrame) || !strings.Contains(err.Error(), "a command frame inside a multipart message, after frame 1") {
		t.Errorf("ReadMsg: %v, want ErrBadFrame naming the command inside the message", err)
	}
}

// TestHandshakeIncompatible: a peer of a type ours cannot talk to is an
// *IncompatibleError that names both.
func TestHandshakeIncompatible(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if nc, err := l.Accept(); err == nil {
			defer nc.Close()
			Handshake(nc, zmq4.Pub, true, DefaultLimits)
		}
	}()
	defer func() { <-done }()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = Handshake(client, zmq4.Req, false, DefaultLimits)
	var ie *IncompatibleError
	if !errors.As(err, &ie) || ie.Peer != "PUB" || ie.Ours != "REQ" {
		t.Errorf("REQ meets PUB: %v, want an *IncompatibleError of PUB and REQ", err)
	}
}

// TestProperties: the properties one side adds to its READY reach the
// other as X- metadata, over NULL and CURVE.
func TestProperties(t *testing.T) {
	server, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	client, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	for name, sec := range map[string][2]func() Mechanism{
		"NULL":  {nil, nil},
		"CURVE": {CurveServer(server, nil), CurveClient(client, server.Public)},
	} {
		t.Run(name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			got := make(chan string, 1)
			go func() {
				nc, err := l.Accept()
				if err != nil {
					got <- err.Error()
					return
				}
				defer nc.Close()
				lim := DefaultLimits
				lim.Security, lim.Properties = sec[0], map[string]string{"Query": "tcp://*:10002"}
				c, err := Handshake(nc, zmq4.Pub, true, lim)
				if err != nil {
					got <- err.Error()
					return
				}
				got <- c.PeerProperty("Query") // the SUB names none
			}()
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			lim := DefaultLimits
			lim.Security = sec[1]
			c, err := Handshake(nc, zmq4.Sub, false, lim)
			if err != nil {
				t.Fatal(err)
			}
			if q := c.PeerProperty("Query"); q != "tcp://*:10002" {
				t.Errorf("X-Query %q, want tcp://*:10002", q)
			}
			if q := <-got; q != "" {
				t.Errorf("the PUB side read X-Query %q from a SUB that sent none", q)
			}
		})
	}
}

// TestMsgBuffered: MsgBuffered tells a whole message (or command) waiting
// in the read buffer from a cut one, across long and short frames.
func TestMsgBuffered(t *testing.T) {
	var in []byte
	in = AppendMsg(in, []byte("the_streets"), bytes.Repeat([]byte("x"), 300), []byte("z"))
	in = AppendCommand(in, "PING", []byte{0, 10})
	in = AppendMsg(in, []byte("short"))
	cut := AppendMsg(nil, []byte("cut"), bytes.Repeat([]byte("y"), 400))
	in = append(in, cut[:len(cut)-1]...)
	c := &Conn{r: bufio.NewReaderSize(bytes.NewReader(in), 4096), lim: DefaultLimits}
	if c.MsgBuffered() {
		t.Fatal("MsgBuffered before anything was read")
	}
	c.r.Peek(1) // fills the buffer with all of in
	for i, want := range []bool{true, true, true, false} {
		if got := c.MsgBuffered(); got != want {
			t.Fatalf("before message %d: MsgBuffered = %v, want %v", i, got, want)
		}
		if !want {
			break
		}
		if _, _, err := c.ReadMsg(); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}
