package zmtp

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
)

// curvePair is a PUB (server) and a SUB (client) connected over loopback
// TCP under CURVE.
func curvePair(t *testing.T) (server, client *Conn) {
	t.Helper()
	skp, _ := curve.NewKeyPair()
	ckp, _ := curve.NewKeyPair()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type result struct {
		c   *Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			done <- result{nil, err}
			return
		}
		c, err := Handshake(nc, zmq4.Pub, true, Limits{MaxFrame: 64 << 10, MaxFrames: 16, HandshakeTimeout: 10 * time.Second, Security: CurveServer(skp, nil)})
		done <- result{c, err}
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client, err = Handshake(nc, zmq4.Sub, false, Limits{MaxFrame: 64 << 10, MaxFrames: 16, HandshakeTimeout: 10 * time.Second, Security: CurveClient(ckp, skp.Public)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c, client
}

// TestSealedFrames: under CURVE, messages of frames on both sides of the
// short and long header sizes (a box adds 33 bytes to a frame), and
// commands, arrive as they were written, in both directions.
func TestSealedFrames(t *testing.T) {
	server, client := curvePair(t)
	var msgs [][][]byte
	for _, n := range []int{0, 1, 221, 222, 223, 300, 5000} {
		msgs = append(msgs, [][]byte{[]byte("topic"), bytes.Repeat([]byte{byte(n)}, n), nil})
	}
	for _, dir := range []struct {
		name     string
		from, to *Conn
	}{{"server to client", server, client}, {"client to server", client, server}} {
		t.Run(dir.name, func(t *testing.T) {
			var wire []byte
			for _, m := range msgs {
				wire = AppendMsg(wire, m...)
			}
			wire = AppendCommand(wire, "PING", []byte{0, 1, 'x'})
			if err := dir.from.Write(wire); err != nil {
				t.Fatal(err)
			}
			if err := dir.from.Flush(time.Now().Add(10 * time.Second)); err != nil {
				t.Fatal(err)
			}
			dir.to.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
			for i, want := range msgs {
				got, command, err := dir.to.ReadMsg()
				if err != nil || command || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("message %d: %d frames, command %v, %v", i, len(got), command, err)
				}
			}
			got, command, err := dir.to.ReadMsg()
			if err != nil || !command || len(got) != 1 || string(got[0]) != "\x04PING\x00\x01x" {
				t.Fatalf("the PING: %q, command %v, %v", got, command, err)
			}
		})
	}
}

// TestSealedTryWrite: under CURVE, TryWrite takes a message whole, the
// socket taking what it can and the buffer the rest, and the peer reads
// every message in order whatever was cut where; sealedSize is the size
// the boxes have.
func TestSealedTryWrite(t *testing.T) {
	server, client := curvePair(t)
	if got, want := server.sealedSize(AppendMsg(nil, []byte("topic"), bytes.Repeat([]byte("x"), 300), nil)), 2+33+5+9+33+300+2+33; got != want {
		t.Errorf("sealedSize = %d, want %d", got, want)
	}
	// Small socket buffers, and messages until one TryWrite is cut
	// short and leaves boxes in the buffer; then three more through
	// Write, behind them. Nobody reads until then.
	server.NetConn().(*net.TCPConn).SetWriteBuffer(4096)
	client.NetConn().(*net.TCPConn).SetReadBuffer(4096)
	msg := func(i int) []byte { return AppendMsg(nil, []byte(fmt.Sprint(i)), bytes.Repeat([]byte("y"), 400)) }
	count := 0
	for ; server.Buffered() == 0; count++ {
		if count == 100_000 {
			t.Fatal("no TryWrite was cut short in 100,000 messages: the socket buffers never filled")
		}
		m := msg(count)
		n, err := server.TryWrite(m)
		if err != nil || n != len(m) {
			t.Fatalf("TryWrite of message %d: %d of %d bytes, %v: want it taken whole", count, n, len(m), err)
		}
	}
	for range 3 {
		if err := server.Write(msg(count)); err != nil {
			t.Fatal(err)
		}
		count++
	}
	done := make(chan error, 1)
	go func() { done <- server.Flush(time.Now().Add(20 * time.Second)) }()
	client.NetConn().SetReadDeadline(time.Now().Add(20 * time.Second))
	for i := range count {
		got, _, err := client.ReadMsg()
		if err != nil || len(got) != 2 || string(got[0]) != fmt.Sprint(i) || len(got[1]) != 400 {
			t.Fatalf("message %d: %d frames, %v", i, len(got), err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
