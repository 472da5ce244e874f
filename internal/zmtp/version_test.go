package zmtp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"
)

// records is a slog.Handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r.Clone())
	h.mu.Unlock()
	return nil
}

// warnings are the warning records, each as its message and attributes.
func (h *records) warnings() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level != slog.LevelWarn {
			continue
		}
		line := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "remote" {
				line += " " + a.String()
			}
			return true
		})
		out = append(out, line)
	}
	return out
}

// zmtp2Greeting is a ZMTP 2.0 peer's greeting as RFC 15 draws it: the
// signature (0xff, 8 bytes of padding, 0x7f), revision 0x01, the socket
// type (SUB is 2) and an empty identity as a final short frame. A 2.0
// peer that reads a newer greeting sends this and waits for the other
// side to speak 2.0 (as JeroMQ 0.3.6 and libzmq 3.2 do).
var zmtp2Greeting = []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x02, 0x00, 0x00}

// TestOldZMTPPeer: a ZMTP 2.0 peer is refused at once with one warning
// naming its version and ours; garbage, and a ZMTP 1.0 identity frame,
// which has no signature, are handshake failures like any other, with no
// warning.
func TestOldZMTPPeer(t *testing.T) {
	ours := greeting()
	for _, tc := range []struct {
		name  string
		in    []byte
		close bool // half-close after in, or leave the peer waiting
		warn  []string
	}{
		{"ZMTP 2.0", zmtp2Greeting, false, []string{"peer refused: its ZMTP is too old peer_zmtp=2.0 min_zmtp=3.0 err=handshake with "}},
		{"ZMTP 1.0 behind a 2.0 signature", append(zmtp2Greeting[:10:10], 0x00), false, []string{"peer refused: its ZMTP is too old peer_zmtp=1.0 min_zmtp=3.0 err=handshake with "}},
		{"ZMTP 1.0", []byte{0x01, 0x00}, true, nil},
		{"HTTP", []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), true, nil},
		{"0xff then garbage", append([]byte{0xff}, strings.Repeat("x", 70)...), true, nil},
		{"a ZMTP 3.0 greeting", ours, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &records{}
			srv, err := Bind([]string{"tcp://127.0.0.1:0"}, zmq4.Pub, ServerOptions{Logger: slog.New(log)})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.Serve(HandlerFunc(func(context.Context, *Conn) {}), nil)
			nc, err := net.Dial("tcp", strings.TrimPrefix(srv.Endpoints()[0], "tcp://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := nc.Write(tc.in); err != nil {
				t.Fatal(err)
			}
			if tc.close {
				nc.(*net.TCPConn).CloseWrite()
			}
			// The server closes the connection once it has refused the
			// peer, after its log line. The deadline is only a guard
			// against a hang: a server that does not tell the old peer
			// apart waits out its 5 s handshake timeout and logs nothing
			// at warning level, which fails below.
			nc.SetReadDeadline(time.Now().Add(20 * time.Second))
			io.Copy(io.Discard, nc)
			got := log.warnings()
			if len(got) != len(tc.warn) {
				t.Fatalf("warnings %q, want %d like %q", got, len(tc.warn), tc.warn)
			}
			for i, w := range tc.warn {
				if !strings.HasPrefix(got[i], w) || !strings.Contains(got[i], "older than the ZMTP 3.0 trackfeed needs (upgrade it to libzmq 4.0 or JeroMQ 0.4 or later)") {
					t.Errorf("warning %q, want %q... naming the minimum", got[i], w)
				}
			}
		})
	}
}

// TestOldZMTPPeerOnce: a ZMTP 2.0 peer that comes back, as JeroMQ 0.3
// does every 100 ms, is warned about once; a Server that forgot it would
// log a warning a connection.
func TestOldZMTPPeerOnce(t *testing.T) {
	log := &records{}
	srv, err := Bind([]string{"tcp://127.0.0.1:0"}, zmq4.Pub, ServerOptions{Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Serve(HandlerFunc(func(context.Context, *Conn) {}), nil)
	for range 3 {
		nc, err := net.Dial("tcp", strings.TrimPrefix(srv.Endpoints()[0], "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(zmtp2Greeting)
		nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		io.Copy(io.Discard, nc) // until the server has refused it
		nc.Close()
	}
	if got := log.warnings(); len(got) != 1 {
		t.Errorf("warnings %q, want one for three connections of one host", got)
	}
}

// TestOldZMTPServer: a client that reaches a ZMTP 2.0 peer gets a
// *VersionError at once, and LogEnded warns of it once.
func TestOldZMTPServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write(zmtp2Greeting)
		nc.SetReadDeadline(time.Now().Add(20 * time.Second))
		io.Copy(io.Discard, nc)
	}()
	defer func() { <-done }()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, err = Handshake(nc, zmq4.Sub, false, DefaultLimits)
	nc.Close()
	var old *VersionError
	if !errors.As(err, &old) || old.Version() != "2.0" {
		t.Fatalf("Handshake with a ZMTP 2.0 peer: %v, want a *VersionError of 2.0", err)
	}
	log := &records{}
	ended := LogEnded(slog.New(log), "upstream")
	ended(err, false)
	ended(err, false)
	if got := log.warnings(); len(got) != 1 || !strings.HasPrefix(got[0], "waiting for upstream: its ZMTP is too old peer_zmtp=2.0 min_zmtp=3.0") {
		t.Errorf("warnings %q, want one naming ZMTP 2.0 and 3.0", got)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
