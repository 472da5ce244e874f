// Package zmtptest holds the raw ZMTP peers that the transport's tests and
// the sockets built on it share: a SUB that reads only when asked, the
// bytes of a greeting for tests that speak the protocol by hand, and CURVE
// key pairs.
package zmtptest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// KeyPair makes a new CURVE key pair, or fails the test.
func KeyPair(t testing.TB) curve.KeyPair {
	t.Helper()
	kp, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// Sub connects a SUB made by hand to endpoint, subscribes to prefix and
// returns the connection, which reads only when the test asks it to. It is
// closed when the test ends.
func Sub(t testing.TB, endpoint, prefix string) *zmtp.Conn {
	t.Helper()
	return SubWith(t, endpoint, prefix, zmtp.DefaultLimits)
}

// SubWith is Sub with the connection's limits and mechanism.
func SubWith(t testing.TB, endpoint, prefix string, lim zmtp.Limits) *zmtp.Conn {
	t.Helper()
	nc, err := zmtp.Dial(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zmtp.Handshake(nc, zmq4.Sub, false, lim)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	c.Write(zmtp.AppendMsg(nil, append([]byte{1}, prefix...)))
	if err := c.Flush(time.Now().Add(time.Second)); err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Greeting is a ZMTP 3.0 greeting of the NULL mechanism, as a client sends
// it (64 bytes).
func Greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 0
	copy(g[12:], "NULL")
	return g
}

// WaitFor polls cond every 5ms until it holds, or fails the test after d:
// for state that no event announces, such as a server's counters.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Taken returns a tcp:// endpoint on 127.0.0.1 whose port is taken (by a
// listener that accepts nothing) until the test ends.
func Taken(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "tcp://" + l.Addr().String()
}
