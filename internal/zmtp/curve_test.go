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

// TestSealedFrames: under CURVE, messages of frames on both sides of the
// short and long header sizes (a box adds 33 bytes to a frame), and
// commands, arrive as they were written, in both directions.
func TestSealedFrames(t *testing.T) {
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
	client, err := Handshake(nc, zmq4.Sub, false, Limits{MaxFrame: 64 << 10, MaxFrames: 16, HandshakeTimeout: 10 * time.Second, Security: CurveClient(ckp, skp.Public)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	server := r.c
	defer server.Close()

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
