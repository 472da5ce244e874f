package interop

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tap is a TCP proxy between ZeroMQ peers that reads the ZMTP stream going
// through it in both directions: the greetings, the commands (PING, PONG,
// SUBSCRIBE...) and the messages. It shows what goes over the wire without
// trusting either side, and can drop commands to show what happens when a
// peer does not send them.
type tap struct {
	watch            // guards conns and what they hold: lock mu to read them
	conns []*tapConn // in the order they were accepted

	ln     net.Listener
	target string // host:port the tap connects to
	drop   func(dir, command string) bool
	// stall, if set, says how long to stop in the middle of the first frame
	// of the given data message (counting from 0) going dir, as a network
	// that loses a segment does.
	stall func(dir string, message int) time.Duration
	done  chan struct{} // closed at shutdown

	wg     sync.WaitGroup
	openMu sync.Mutex
	open   map[net.Conn]struct{} // to close at shutdown; nil once shut down
	close  sync.Once
}

// tapConn is one proxied connection.
type tapConn struct {
	up   wireLog // from the connecting side to the binding side
	down wireLog // the other way
}

// wireLog is what one direction of a connection carried.
type wireLog struct {
	greeting  []byte         // the 64 bytes of the ZMTP greeting
	commands  map[string]int // commands seen, by name (including dropped ones)
	events    []tapEvent     // commands and messages, in order
	messages  [][][]byte     // messages, frame by frame
	dataBytes int            // bytes of message frames on the wire, headers included
}

// tapEvent is a command or message going by, for diagnosis.
type tapEvent struct {
	at   time.Time
	what string // the command's name, or the message's first frame
}

// version is the ZMTP version in the greeting, as "3.0" or "3.1".
func (w *wireLog) version() string {
	if len(w.greeting) < 12 {
		return "?"
	}
	return string(rune('0'+w.greeting[10])) + "." + string(rune('0'+w.greeting[11]))
}

// mechanism is the security mechanism in the greeting.
func (w *wireLog) mechanism() string {
	if len(w.greeting) < 32 {
		return "?"
	}
	return strings.TrimRight(string(w.greeting[12:32]), "\x00")
}

// newTap listens on a kernel-chosen loopback port and proxies every
// connection to target (a tcp:// endpoint); drop, if not nil, says which
// commands to leave out ("up" or "down", command name).
func newTap(t *testing.T, target string, drop func(dir, command string) bool) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln, target: strings.TrimPrefix(target, "tcp://"), drop: drop, open: map[net.Conn]struct{}{}, done: make(chan struct{})}
	tp.wg.Add(1)
	go tp.accept()
	t.Cleanup(tp.shutdown)
	return tp
}

// endpoint is where peers connect to go through the tap.
func (tp *tap) endpoint() string { return "tcp://" + tp.ln.Addr().String() }

func (tp *tap) shutdown() {
	tp.close.Do(func() {
		close(tp.done)
		tp.ln.Close()
		tp.openMu.Lock()
		for c := range tp.open {
			c.Close()
		}
		tp.open = nil
		tp.openMu.Unlock()
	})
	tp.wg.Wait()
}

// track registers c to be closed at shutdown; it reports false if the tap
// is shutting down.
func (tp *tap) track(c net.Conn) bool {
	tp.openMu.Lock()
	defer tp.openMu.Unlock()
	if tp.open == nil {
		return false
	}
	tp.open[c] = struct{}{}
	return true
}

func (tp *tap) accept() {
	defer tp.wg.Done()
	for {
		client, err := tp.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", tp.target)
		if err != nil {
			client.Close()
			continue
		}
		if !tp.track(client) || !tp.track(server) {
			client.Close()
			server.Close()
			return
		}
		tc := &tapConn{up: wireLog{commands: map[string]int{}}, down: wireLog{commands: map[string]int{}}}
		tp.update(func() { tp.conns = append(tp.conns, tc) })
		tp.wg.Add(2)
		go tp.pipe(server, client, "up", &tc.up)
		go tp.pipe(client, server, "down", &tc.down)
	}
}

// pipe copies src to dst frame by frame, recording them in log, until
// either side closes; then it closes both.
func (tp *tap) pipe(dst, src net.Conn, dir string, log *wireLog) {
	defer tp.wg.Done()
	err := tp.forward(dst, src, dir, log)
	src.Close()
	dst.Close()
	tp.update(func() { log.events = append(log.events, tapEvent{time.Now(), fmt.Sprintf("end: %v", err)}) })
}

func (tp *tap) forward(dst, src net.Conn, dir string, log *wireLog) error {
	r := bufio.NewReader(src)
	// The greeting: forward bytes as they come, since libzmq sends it in
	// parts and waits for the peer's in between.
	greeting := make([]byte, 0, 64)
	for len(greeting) < 64 {
		buf := make([]byte, 64-len(greeting))
		n, err := r.Read(buf)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		greeting = append(greeting, buf[:n]...)
	}
	tp.update(func() { log.greeting = greeting })

	var msg [][]byte
	var msgBytes, sent int
	for {
		hdr, body, err := readFrame(r)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		flags := hdr[0]
		command := flags&frameCommand != 0
		first := !command && len(msg) == 0 // a message's first frame
		if command {
			name := ""
			if len(body) > 0 && int(body[0]) < len(body) {
				name = string(body[1 : 1+int(body[0])])
			}
			tp.update(func() {
				log.commands[name]++
				log.events = append(log.events, tapEvent{time.Now(), name})
			})
			if tp.drop != nil && tp.drop(dir, name) {
				continue
			}
		} else {
			msg = append(msg, body)
			msgBytes += len(hdr) + len(body)
			if flags&frameMore == 0 { // the last frame
				m, n := msg, msgBytes
				tp.update(func() {
					log.events = append(log.events, tapEvent{time.Now(), "message " + string(m[0])})
					log.messages = append(log.messages, m)
					log.dataBytes += n
				})
				msg, msgBytes = nil, 0
			}
		}
		wire := append(hdr, body...)
		if tp.stall != nil && first {
			if d := tp.stall(dir, sent); d > 0 {
				half := len(hdr) + len(body)/2
				if _, err := dst.Write(wire[:half]); err != nil {
					return fmt.Errorf("write: %w", err)
				}
				wire = wire[half:]
				select {
				case <-time.After(d):
				case <-tp.done:
					return errors.New("tap shut down")
				}
			}
		}
		if !command && flags&frameMore == 0 {
			sent++
		}
		if _, err := dst.Write(wire); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}

// Frame flags (ZMTP 3, RFC 23).
const (
	frameMore    = 0x01
	frameLong    = 0x02
	frameCommand = 0x04
)

// readFrame reads one ZMTP 3 frame: its header (flags and size) and body.
func readFrame(r io.Reader) (hdr, body []byte, err error) {
	hdr = make([]byte, 2, 9)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, nil, err
	}
	size := uint64(hdr[1])
	if hdr[0]&frameLong != 0 { // 8-byte size
		hdr = hdr[:9]
		if _, err := io.ReadFull(r, hdr[2:]); err != nil {
			return nil, nil, err
		}
		size = binary.BigEndian.Uint64(hdr[1:])
	}
	if size > 1<<20 {
		return nil, nil, errors.New("tap: frame over 1 MiB")
	}
	body = make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, nil, err
	}
	return hdr, body, nil
}

// waitFor waits until cond, called with the tap locked, reports true; it
// fails the test with what the tap saw if ctx ends first.
func (tp *tap) waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	if err := tp.wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v; the tap saw:\n%s", what, err, tp.timeline())
	}
}

// timeline lists, for each connection, its last forty events both ways.
func (tp *tap) timeline() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	var b strings.Builder
	for i, c := range tp.conns {
		type ev struct {
			tapEvent
			dir string
		}
		var all []ev
		for _, e := range c.up.events {
			all = append(all, ev{e, "up"})
		}
		for _, e := range c.down.events {
			all = append(all, ev{e, "down"})
		}
		slices.SortStableFunc(all, func(a, b ev) int { return a.at.Compare(b.at) })
		fmt.Fprintf(&b, "connection %d:\n", i)
		if len(all) > 40 {
			fmt.Fprintf(&b, "\t(%d events before these)\n", len(all)-40)
			all = all[len(all)-40:]
		}
		for _, e := range all {
			fmt.Fprintf(&b, "\t%s %s: %s\n", e.at.Format("15:04:05.000"), e.dir, e.what)
		}
	}
	return b.String()
}
