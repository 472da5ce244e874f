package curve

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// The vectors of testdata/vectors.json are two CURVE exchanges with libzmq,
// recorded byte for byte by TestCaptureVectors (see testdata/README.md):
// our client against a libzmq server, and a libzmq client against our
// server. Each side's permanent keys are fixed, and so is our side's
// random source, so our side of each exchange is a function of what
// libzmq sent: TestVectors replays libzmq's bytes, with no libzmq, and
// checks that our side answers with the very bytes libzmq accepted.

var capture = flag.Bool("capture", false, "capture testdata/vectors.json again from libzmq (needs /usr/bin/python3 with pyzmq)")

const vectorsFile = "testdata/vectors.json"

// vectors is testdata/vectors.json.
type vectors struct {
	Note         string
	Libzmq       string // the version that made the libzmq side
	Pyzmq        string
	ServerSecret string // Z85: the server's permanent secret key
	ClientSecret string // Z85: the client's
	OurClient    exchange
	OurServer    exchange
}

// exchange is one connection: what each side wrote, cut into the
// greeting and the frames that followed.
type exchange struct {
	Seed     string   // our side's random source: ChaCha8 keyed by SHA-256(Seed)
	Sent     []string // the message our side sent in the data phase, frame by frame
	Received []string // the message it received
	Ours     []part
	Libzmq   []part
}

// part is one piece of a byte stream: "greeting", a command's name, or
// "MESSAGE" for a data frame holding a CURVE MESSAGE.
type part struct {
	What string
	Hex  string
}

func (v *vectors) keys() (server, client KeyPair, err error) {
	for _, kp := range []struct {
		secret string
		pair   *KeyPair
	}{{v.ServerSecret, &server}, {v.ClientSecret, &client}} {
		if kp.pair.Secret, err = ParseKey(kp.secret); err == nil {
			kp.pair.Public, err = PublicOf(kp.pair.Secret)
		}
		if err != nil {
			return server, client, fmt.Errorf("%s: a key: %w", vectorsFile, err)
		}
	}
	return server, client, nil
}

// seeded is the deterministic random source of a seed.
func seeded(seed string) io.Reader { return rand.NewChaCha8(sha256.Sum256([]byte(seed))) }

func readVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatalf("%v (capture it with: go test ./curve -run TestCaptureVectors -capture)", err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", vectorsFile, err)
	}
	return &v
}

// stream joins parts back into the byte stream they were cut from.
func stream(t testing.TB, parts []part) []byte {
	t.Helper()
	var out []byte
	for _, p := range parts {
		b, err := hex.DecodeString(p.Hex)
		if err != nil {
			t.Fatalf("%s: %s: %v", vectorsFile, p.What, err)
		}
		out = append(out, b...)
	}
	return out
}

// cut cuts a ZMTP 3 byte stream into its greeting and frames; a cut-short
// end is a part "rest".
func cut(b []byte) []part {
	var parts []part
	add := func(what string, n int) {
		parts = append(parts, part{What: what, Hex: hex.EncodeToString(b[:n])})
		b = b[n:]
	}
	if len(b) >= 64 {
		add("greeting", 64)
	}
	for len(b) >= 2 {
		size, hdr := uint64(b[1]), 2
		if b[0]&0x02 != 0 {
			if len(b) < 9 {
				break
			}
			size, hdr = binary.BigEndian.Uint64(b[1:9]), 9
		}
		if uint64(len(b)-hdr) < size {
			break
		}
		body := b[hdr : hdr+int(size)]
		what := "data"
		switch {
		case b[0]&0x04 != 0 && len(body) > 0 && int(body[0]) < len(body):
			what = string(body[1 : 1+body[0]])
		case bytes.HasPrefix(body, []byte(messageName)):
			what = "MESSAGE"
		}
		add(what, hdr+int(size))
	}
	if len(b) > 0 {
		add("rest", len(b))
	}
	return parts
}

// runner runs one side of exchange x on nc, with random source rnd, and
// returns its mechanism and the message it received.
type runner func(nc net.Conn, v *vectors, x *exchange, rnd io.Reader) (*Security, []string, error)

// runClient is our client's side of an exchange on nc: the handshake, the
// message x.Sent, and the reply it returns.
func runClient(nc net.Conn, v *vectors, x *exchange, rnd io.Reader) (*Security, []string, error) {
	skp, ckp, err := v.keys()
	if err != nil {
		return nil, nil, err
	}
	sec := Client(ckp, skp.Public)
	sec.rand = rnd
	zc, err := zmq4.Open(nc, sec, zmq4.Req, nil, false, nil)
	if err != nil {
		return sec, nil, err
	}
	got, err := exchangeMsgs(zc, &sec.Session, x.Sent, false)
	return sec, got, err
}

// runServer is our server's side of an exchange on nc: the handshake, the
// request it returns, and the reply x.Sent.
func runServer(nc net.Conn, v *vectors, x *exchange, rnd io.Reader) (*Security, []string, error) {
	skp, ckp, err := v.keys()
	if err != nil {
		return nil, nil, err
	}
	sec := Server(skp, func(k Key) error {
		if k != ckp.Public {
			return errors.New("not the client of the vectors")
		}
		return nil
	})
	sec.rand = rnd
	zc, err := zmq4.Open(nc, sec, zmq4.Rep, nil, true, nil)
	if err != nil {
		return sec, nil, err
	}
	got, err := exchangeMsgs(zc, &sec.Session, x.Sent, true)
	return sec, got, err
}

// exchangeMsgs sends send, each frame boxed, and receives a message; a
// server receives first.
func exchangeMsgs(zc *zmq4.Conn, s *Session, send []string, server bool) ([]string, error) {
	var got []string
	recvMsg := func() error {
		for more := true; more; {
			msg, err := zc.RecvMsg()
			if err != nil {
				return err
			}
			if len(msg.Frames) != 1 {
				return fmt.Errorf("a message of %d frames where a MESSAGE box must be", len(msg.Frames))
			}
			var frame []byte
			if frame, more, _, err = s.Open(msg.Frames[0]); err != nil {
				return err
			}
			got = append(got, string(frame))
		}
		return nil
	}
	if server {
		if err := recvMsg(); err != nil {
			return got, err
		}
	}
	for i, f := range send {
		if err := zc.SendMsg(zmq4.NewMsg(s.Seal(nil, []byte(f), i < len(send)-1, false))); err != nil {
			return got, err
		}
	}
	if !server {
		if err := recvMsg(); err != nil {
			return got, err
		}
	}
	return got, nil
}

// replayConn is a net.Conn that reads a recorded stream and keeps what is
// written to it.
type replayConn struct {
	r       *bytes.Reader
	written bytes.Buffer
}

func newReplay(b []byte) *replayConn { return &replayConn{r: bytes.NewReader(b)} }

func (c *replayConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *replayConn) Write(p []byte) (int, error)      { return c.written.Write(p) }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *replayConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// sameParts reports where two streams first differ, by part.
func sameParts(t *testing.T, who string, got []byte, want []part) {
	t.Helper()
	g := cut(got)
	for i, w := range want {
		if i >= len(g) {
			t.Errorf("%s: wrote %d parts, the vectors hold %d: %s is missing", who, len(g), len(want), w.What)
			return
		}
		if g[i] != w {
			t.Errorf("%s: part %d (%s) differs from what libzmq accepted:\n got %s %s\nwant %s %s", who, i, w.What, g[i].What, g[i].Hex, w.What, w.Hex)
			return
		}
	}
	if len(g) > len(want) {
		t.Errorf("%s: wrote %d parts, the vectors hold %d; the first extra is %s", who, len(g), len(want), g[len(want)].What)
	}
}

// TestVectors replays libzmq's side of each captured exchange against our
// code: the handshake completes (libzmq's WELCOME and READY, or HELLO and
// INITIATE and vouch, open with our keys), libzmq's MESSAGE boxes open to
// the known plaintext, and every byte our side writes (greeting, HELLO or
// WELCOME, INITIATE or READY, and the MESSAGE boxes) is the byte libzmq
// accepted when the vectors were captured.
func TestVectors(t *testing.T) {
	v := readVectors(t)
	for _, tc := range []struct {
		name string
		x    *exchange
		run  runner
	}{
		{"our client, libzmq server", &v.OurClient, runClient},
		{"libzmq client, our server", &v.OurServer, runServer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := newReplay(stream(t, tc.x.Libzmq))
			_, got, err := tc.run(nc, v, tc.x, seeded(tc.x.Seed))
			if err != nil {
				t.Fatalf("replaying libzmq %s: %v", v.Libzmq, err)
			}
			if !slices.Equal(got, tc.x.Received) {
				t.Errorf("libzmq's message opened to %q, want %q", got, tc.x.Received)
			}
			sameParts(t, "our side", nc.written.Bytes(), tc.x.Ours)
		})
	}
}

// TestVectorsRefused: each of libzmq's handshake commands and MESSAGE
// boxes, with one bit flipped inside its box, fails the exchange; libzmq's
// two MESSAGE boxes in the other order are refused; and a libzmq client's
// recorded greeting, HELLO and INITIATE, replayed against a server on a new
// connection, are refused for the cookie.
func TestVectorsRefused(t *testing.T) {
	v := readVectors(t)
	for _, tc := range []struct {
		name      string
		x         *exchange
		run       runner
		handshake error // what a damaged handshake command must be, if not just any error
	}{
		{"libzmq server", &v.OurClient, runClient, nil},
		{"libzmq client", &v.OurServer, runServer, ErrRefused},
	} {
		var messages []int
		for i, p := range tc.x.Libzmq {
			if p.What == "greeting" || p.What == "rest" {
				continue
			}
			if p.What == "MESSAGE" {
				messages = append(messages, i)
			}
			t.Run(fmt.Sprintf("%s %s %d flipped", tc.name, p.What, i), func(t *testing.T) {
				parts := slices.Clone(tc.x.Libzmq)
				b, _ := hex.DecodeString(p.Hex)
				b[len(b)-1] ^= 0x10 // the last byte: inside every box
				parts[i].Hex = hex.EncodeToString(b)
				_, _, err := tc.run(newReplay(stream(t, parts)), v, tc.x, seeded(tc.x.Seed))
				want := tc.handshake
				if p.What == "MESSAGE" {
					want = ErrBadMessage
				}
				if err == nil || (want != nil && !errors.Is(err, want)) {
					t.Errorf("%s with a flipped bit: %v, want it refused", p.What, err)
				}
			})
		}
		if len(messages) < 2 {
			t.Fatalf("%s: %d MESSAGE boxes from libzmq; the vectors need two", tc.name, len(messages))
		}
		t.Run(tc.name+" MESSAGE boxes out of order", func(t *testing.T) {
			// The handshake alone, then libzmq's boxes opened later one first.
			var hs []part
			for _, p := range tc.x.Libzmq {
				if p.What != "MESSAGE" {
					hs = append(hs, p)
				}
			}
			sec, _, err := tc.run(newReplay(stream(t, hs)), v, tc.x, seeded(tc.x.Seed))
			if err == nil || sec == nil {
				t.Fatalf("an exchange cut after the handshake: %v", err)
			}
			first, second := stream(t, tc.x.Libzmq[messages[0]:messages[0]+1]), stream(t, tc.x.Libzmq[messages[1]:messages[1]+1])
			if _, _, _, err := sec.Session.Open(second[2:]); err != nil {
				t.Fatalf("libzmq's second box: %v", err)
			}
			if _, _, _, err := sec.Session.Open(first[2:]); !errors.Is(err, ErrBadMessage) || !strings.Contains(err.Error(), "out of order") {
				t.Errorf("libzmq's first box after its second: %v, want ErrBadMessage for the order", err)
			}
		})
	}
	t.Run("libzmq client replayed", func(t *testing.T) {
		_, _, err := runServer(newReplay(stream(t, v.OurServer.Libzmq)), v, &v.OurServer, seeded("another connection"))
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "cookie") {
			t.Errorf("libzmq's HELLO and INITIATE on a new connection: %v, want ErrRefused for the cookie", err)
		}
	})
}

// tap is a net.Conn that records both directions.
type tap struct {
	net.Conn
	mu            sync.Mutex
	read, written bytes.Buffer
}

func (c *tap) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tap) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.written.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// pyPeer is capture.py running.
type pyPeer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startPy(t *testing.T, args ...string) *pyPeer {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", append([]string{"testdata/capture.py"}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("capture needs /usr/bin/python3 with pyzmq: %v", err)
	}
	p := &pyPeer{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() { p.stdin.Close(); p.cmd.Wait() })
	return p
}

func (p *pyPeer) next(t *testing.T, v any) {
	t.Helper()
	if !p.out.Scan() {
		t.Fatalf("capture.py printed nothing: %v", p.out.Err())
	}
	if err := json.Unmarshal(p.out.Bytes(), v); err != nil {
		t.Fatalf("capture.py printed %q: %v", p.out.Text(), err)
	}
}

type pyOut struct {
	Endpoint, Libzmq, Pyzmq string
	Reply                   []string
}

// TestCaptureVectors, with -capture, runs our side of each exchange
// against libzmq (pyzmq through testdata/capture.py) over loopback TCP and
// writes what each side sent to testdata/vectors.json.
func TestCaptureVectors(t *testing.T) {
	if !*capture {
		t.Skip("captures testdata/vectors.json from libzmq with -capture")
	}
	secret := func(name string) string {
		return Key(sha256.Sum256([]byte("trackfeed curve vectors: " + name + "'s permanent secret key"))).String()
	}
	v := &vectors{
		Note:         "Captured from libzmq by TestCaptureVectors in vectors_test.go; see README.md. Do not edit.",
		ServerSecret: secret("server"),
		ClientSecret: secret("client"),
		OurClient:    exchange{Seed: "trackfeed curve vectors: our client", Sent: []string{"", "world"}, Received: []string{"", "Hello world"}},
		OurServer:    exchange{Seed: "trackfeed curve vectors: our server", Sent: []string{"", "Hello libzmq"}, Received: []string{"", "libzmq"}},
	}
	skp, ckp, err := v.keys()
	if err != nil {
		t.Fatal(err)
	}

	// Our client, a libzmq server.
	server := startPy(t, "server", v.ServerSecret)
	var info pyOut
	server.next(t, &info)
	v.Libzmq, v.Pyzmq = info.Libzmq, info.Pyzmq
	nc, err := net.DialTimeout("tcp", strings.TrimPrefix(info.Endpoint, "tcp://"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	tp := &tap{Conn: nc}
	_, got, err := runClient(tp, v, &v.OurClient, seeded(v.OurClient.Seed))
	nc.Close()
	if err != nil || !slices.Equal(got, v.OurClient.Received) {
		t.Fatalf("our client against libzmq: %q, %v", got, err)
	}
	v.OurClient.Ours, v.OurClient.Libzmq = cut(tp.written.Bytes()), cut(tp.read.Bytes())

	// A libzmq client, our server.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client := startPy(t, "client", "tcp://"+l.Addr().String(), skp.Public.String(), ckp.Public.String(), v.ClientSecret, "libzmq")
	nc, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	tp = &tap{Conn: nc}
	_, got, err = runServer(tp, v, &v.OurServer, seeded(v.OurServer.Seed))
	if err != nil || !slices.Equal(got, v.OurServer.Received) {
		t.Fatalf("our server against libzmq: %q, %v", got, err)
	}
	client.next(t, &info)
	nc.Close()
	if len(info.Reply) != 1 || info.Reply[0] != "Hello libzmq" {
		t.Fatalf("libzmq's client got %q, want [Hello libzmq]", info.Reply)
	}
	v.OurServer.Ours, v.OurServer.Libzmq = cut(tp.written.Bytes()), cut(tp.read.Bytes())

	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s from libzmq %s", vectorsFile, v.Libzmq)
}
