// Package zmtp is trackfeed's ZeroMQ transport: endpoints, the ZMTP 3
// handshake (done by github.com/go-zeromq/zmq4) and the framing of the data
// phase (done here, with limits).
//
// Why not zmq4's sockets: as of v0.17.0 its PUB writes to every subscriber
// from one goroutine with a blocking write, so one stalled peer freezes the
// feed for all; its frame reader allocates whatever size a peer claims (a
// 73-byte greeting plus frame header asking for 2^62 bytes panics the
// process); it has no handshake timeout; and its SUB hands PING commands to
// the application instead of answering them, so a libzmq PUB with heartbeats
// drops it. zmq4.Open does the handshake well for honest peers, so this
// package runs it under a deadline, over a connection that enforces the
// frame-size limit before zmq4 sees a header, and with any panic contained.
// After the handshake, Conn reads and writes frames itself, through buffers,
// so a burst of messages costs one system call instead of one per frame.
package zmtp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
)

// Frame flag bits (ZMTP 3, RFC 23).
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

// Limits bounds what a peer can make this side do.
type Limits struct {
	// MaxFrame is the largest frame accepted from the peer, in bytes.
	MaxFrame int
	// MaxFrames is the largest number of frames in one message.
	MaxFrames int
	// HandshakeTimeout bounds the greeting and READY exchange.
	HandshakeTimeout time.Duration
	// SkipOversized makes ReadMsg skip what is over the limits instead of
	// failing (see ReadMsg). A publisher's own feed is trusted this far; a
	// peer of a publisher is not.
	SkipOversized bool
	// Security, if set, makes the mechanism of each connection (CURVE);
	// nil is NULL.
	Security func() Mechanism
	// Properties are metadata our side adds to its READY command, each
	// sent as "X-" and its name (ZMTP's application metadata): a
	// publisher names its query socket there ("Query").
	Properties map[string]string
}

// Mechanism is a security mechanism other than NULL: zmq4 runs its
// handshake, and the Sealer it leaves boxes every frame of the data phase.
type Mechanism struct {
	Security zmq4.Security
	Sealer   func() Sealer // valid once the handshake is done
}

// Sealer boxes and opens the data phase's frames one by one, as CURVE's
// MESSAGE does: each boxed frame travels as a data frame of its own, its
// more and command flags inside the box.
type Sealer interface {
	Seal(dst, frame []byte, more, command bool) []byte
	Open(msg []byte) (frame []byte, more, command bool, err error)
	// Overhead is the number of bytes Seal adds to a frame.
	Overhead() int
}

// Sizes reports whether l sets any size or time limit: a Limits that
// sets none takes the defaults of whoever uses it, its Security kept.
func (l Limits) Sizes() bool {
	return l.MaxFrame != 0 || l.MaxFrames != 0 || l.HandshakeTimeout != 0 || l.SkipOversized
}

// Or is l, or def with l's Security where l sets no size (Sizes).
func (l Limits) Or(def Limits) Limits {
	if l.Sizes() {
		return l
	}
	def.Security = l.Security
	return def
}

// DefaultLimits suit trackfeed's small messages.
var DefaultLimits = Limits{MaxFrame: 64 << 10, MaxFrames: 16, HandshakeTimeout: 5 * time.Second}

// ErrTooLarge reports a frame or message over the Limits.
var ErrTooLarge = errors.New("zmtp: frame or message over the size limit")

// ErrBadFrame reports a frame header with reserved bits set.
var ErrBadFrame = errors.New("zmtp: malformed frame header")

// Conn is one ZMTP 3 connection after the handshake. Reads and writes may
// happen on two goroutines; each side is not safe for concurrent use.
type Conn struct {
	nc       net.Conn
	r        *bufio.Reader
	w        *wbuf      // taken from a pool while it holds bytes
	raw      *rawWriter // w's destination where there is one (Linux), else nil
	lim      Limits
	peerType string
	peerMeta zmq4.Metadata // the peer's READY properties

	buf     []byte    // reused body storage of the last message read
	frames  [][]byte  // reused frame slices of the last message read
	rs      readState // where ReadMsg stopped
	scratch []byte    // where dropped frame bodies are read

	seal    Sealer   // nil under NULL
	sframes [][]byte // a sealed message's frames opened so far
	sealBuf []byte   // Write's scratch for sealed frames
	tryBuf  []byte   // TryWrite's sealed frames
}

// PeerType is the socket type the peer announced in its READY command.
func (c *Conn) PeerType() string { return c.peerType }

// PeerProperty is the application metadata property name ("Query", sent
// as "X-Query") of the peer's READY command, "" if it sent none.
func (c *Conn) PeerProperty(name string) string { return c.peerMeta["X-"+name] }

// withProperties is a mechanism whose READY carries properties too: the
// mechanisms send zmq4.Conn's Meta, which zmq4.Open fills before the
// handshake and gives no other way to add to.
type withProperties struct {
	zmq4.Security
	props map[string]string
}

func (w withProperties) Handshake(conn *zmq4.Conn, server bool) error {
	for k, v := range w.props {
		conn.Meta[k] = v
	}
	return w.Security.Handshake(conn, server)
}

// NetConn is the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// IncompatibleError is Handshake's error when the peer is a socket of a
// type that cannot talk to ours, such as a PUB that a REQ reached.
type IncompatibleError struct {
	Peer, Ours string // socket types: "PUB", "REQ"
}

func (e *IncompatibleError) Error() string {
	return fmt.Sprintf("the peer is a %s socket, which a %s cannot talk to", e.Peer, e.Ours)
}

// incompatible reads zmq4's error for a peer of the wrong type.
var incompatible = regexp.MustCompile(`peer="([A-Z]+)" not compatible with`)

// Handshake runs the ZMTP 3.0 greeting and NULL-mechanism READY exchange on
// nc as a socket of type typ, then returns a Conn for the data phase. It
// fails if the peer takes longer than lim.HandshakeTimeout, sends a frame
// over lim.MaxFrame, is of an incompatible type, or sends something zmq4
// cannot parse (a panic inside zmq4 is turned into an error).
func Handshake(nc net.Conn, typ zmq4.SocketType, server bool, lim Limits) (c *Conn, err error) {
	if lim.HandshakeTimeout > 0 {
		if err := nc.SetDeadline(time.Now().Add(lim.HandshakeTimeout)); err != nil {
			return nil, err
		}
	}
	var mech Mechanism
	if lim.Security != nil {
		mech = lim.Security()
	}
	rsize, wsize := bufferSizes(typ)
	g := &guard{Conn: nc, r: bufio.NewReaderSize(nc, rsize), maxFrame: lim.MaxFrame, greeting: 64}
	var zc *zmq4.Conn
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("zmtp: handshake: peer sent what zmq4 cannot parse (%v)", p)
			}
		}()
		var sec zmq4.Security = null.Security()
		if mech.Security != nil {
			sec = mech.Security
		}
		if len(lim.Properties) > 0 {
			sec = withProperties{sec, lim.Properties}
		}
		zc, err = zmq4.Open(g, sec, typ, zmq4.SocketIdentity(nil), server, nil)
	}()
	if err != nil {
		if g.err != nil {
			err = g.err
		} else if m := incompatible.FindStringSubmatch(err.Error()); m != nil {
			err = &IncompatibleError{Peer: m[1], Ours: string(typ)}
		}
		return nil, fmt.Errorf("handshake with %s: %w", nc.RemoteAddr(), err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	c = &Conn{
		nc:       nc,
		r:        g.r,
		raw:      newRawWriter(nc),
		lim:      lim,
		peerType: zc.Peer.Meta["Socket-Type"],
		peerMeta: zc.Peer.Meta,
	}
	if c.raw != nil {
		c.w = newWbuf(c.raw, wsize)
	} else {
		c.w = newWbuf(nc, wsize)
	}
	if mech.Sealer != nil {
		c.seal = mech.Sealer()
	}
	return c, nil
}

// bufferSizes are the read and write buffers of a connection of a socket
// of type typ: 64 KiB in the direction the feed flows, so that a burst
// costs one system call, and less the other way, where only
// subscriptions and heartbeats go. A relay holds one connection per
// subscriber: the read buffer is held for the connection's life, 512
// bytes of it rather than 4 KiB since they are all that a subscription
// needs, and the write buffer only while it holds something (wbuf).
func bufferSizes(typ zmq4.SocketType) (read, write int) {
	switch typ {
	case zmq4.Pub, zmq4.XPub:
		return 512, 64 << 10
	case zmq4.Sub, zmq4.XSub:
		return 64 << 10, 4 << 10
	}
	return 64 << 10, 64 << 10
}

// ReadMsg reads the next message or command. The frames alias a buffer
// that the next ReadMsg reuses: copy what you keep.
//
// ReadMsg can be resumed: if it fails with a timeout (a read deadline on
// NetConn), the next call goes on where it stopped, even in the middle of
// a frame, so a read deadline can serve as a heartbeat timer.
//
// With Limits.SkipOversized, frames past MaxFrames are read and dropped
// (the message keeps its first MaxFrames frames), and a message with a
// frame over MaxFrame is read to its end, dropped, and reported as
// ErrTooLarge; the connection stays usable. Otherwise either is an
// ErrTooLarge that leaves the stream where it was: close the connection.
func (c *Conn) ReadMsg() (frames [][]byte, command bool, err error) {
	if c.seal != nil {
		return c.readSealed()
	}
	return c.readMsg()
}

// readSealed reads the boxed frames of one message (or one command) and
// returns them opened. Every frame must open: one that does not, a frame
// sent in the clear included, is an error, and the connection's reads are
// over.
func (c *Conn) readSealed() ([][]byte, bool, error) {
	for {
		frames, command, err := c.readMsg()
		if err != nil {
			return nil, false, err
		}
		if command || len(frames) != 1 {
			return nil, false, fmt.Errorf("%w: a frame in the clear where a MESSAGE box must be", ErrBadFrame)
		}
		frame, more, isCommand, err := c.seal.Open(frames[0])
		if err != nil {
			return nil, false, err
		}
		c.sframes = append(c.sframes, frame)
		if isCommand || !more {
			out := c.sframes
			c.sframes = c.sframes[len(c.sframes):]
			return out, isCommand, nil
		}
		if len(c.sframes) >= c.lim.MaxFrames {
			return nil, false, fmt.Errorf("%w: more than %d frames", ErrTooLarge, c.lim.MaxFrames)
		}
	}
}

func (c *Conn) readMsg() (frames [][]byte, command bool, err error) {
	st := &c.rs
	if !st.active {
		*st = readState{active: true, ends: st.ends[:0]}
		c.buf = c.buf[:0]
	}
	for {
		if !st.inBody {
			if err := c.readHeader(); err != nil {
				return nil, false, err
			}
		}
		for st.left > 0 {
			var p []byte
			if st.drop {
				p = c.scratch[:min(uint64(len(c.scratch)), st.left)]
			} else {
				p = c.buf[len(c.buf)-int(st.left):]
			}
			n, err := c.r.Read(p)
			st.left -= uint64(n)
			if err != nil {
				return nil, false, err
			}
		}
		st.inBody = false
		if !st.drop {
			st.ends = append(st.ends, len(c.buf))
		}
		if st.flags&flagCommand != 0 || st.flags&flagMore == 0 {
			break
		}
	}
	st.active = false
	if st.tooLarge {
		return nil, false, fmt.Errorf("%w: frame over %d bytes (message skipped)", ErrTooLarge, c.lim.MaxFrame)
	}
	frames = c.frames[:0]
	off := 0
	for _, end := range st.ends {
		frames = append(frames, c.buf[off:end:end])
		off = end
	}
	c.frames = frames
	return frames, st.flags&flagCommand != 0, nil
}

// readState is where ReadMsg stopped.
type readState struct {
	active   bool    // a message has begun
	hdr      [9]byte // the frame header being read
	hdrN     int     // bytes of hdr read
	inBody   bool    // the header is read, left bytes of body to go
	flags    byte
	left     uint64
	drop     bool  // the body is read into scratch and dropped
	tooLarge bool  // a frame of this message was over MaxFrame
	ends     []int // end offsets in buf of the frames kept
}

// readHeader reads (or goes on reading) a frame header and makes room for
// its body.
func (c *Conn) readHeader() error {
	st := &c.rs
	for need := 2; st.hdrN < need; {
		n, err := c.r.Read(st.hdr[st.hdrN:need])
		st.hdrN += n
		if st.hdrN > 0 {
			if f := st.hdr[0]; f&^(flagMore|flagLong|flagCommand) != 0 {
				return fmt.Errorf("%w: flags %#02x", ErrBadFrame, f)
			} else if f&flagLong != 0 {
				need = 9
			}
		}
		if err != nil {
			return err
		}
	}
	st.flags = st.hdr[0]
	if st.flags&flagCommand != 0 && len(st.ends) > 0 {
		return fmt.Errorf("%w: a command frame inside a multipart message, after frame %d", ErrBadFrame, len(st.ends))
	}
	size := uint64(st.hdr[1])
	if st.flags&flagLong != 0 {
		size = binary.BigEndian.Uint64(st.hdr[1:9])
	}
	st.hdrN, st.inBody, st.left, st.drop = 0, true, size, false
	frames := len(st.ends)
	switch {
	case size > uint64(c.lim.MaxFrame) || frames >= c.lim.MaxFrames:
		if !c.lim.SkipOversized {
			return fmt.Errorf("%w: frame %d of %d bytes (limits: %d frames of %d bytes)", ErrTooLarge, frames+1, size, c.lim.MaxFrames, c.lim.MaxFrame)
		}
		st.drop = true
		st.tooLarge = st.tooLarge || size > uint64(c.lim.MaxFrame)
		if c.scratch == nil {
			c.scratch = make([]byte, 32<<10)
		}
	case st.tooLarge:
		st.drop = true // the message is dropped anyway
	default:
		c.buf = grow(c.buf, int(size))
	}
	return nil
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*cap(b)+n)
	copy(nb, b)
	return nb
}

// Write queues raw wire bytes (from AppendMsg or AppendCommand). Under a
// mechanism that seals, each frame is boxed on its way.
func (c *Conn) Write(b []byte) error {
	if c.seal != nil {
		return c.writeSealed(b)
	}
	_, err := c.w.Write(b)
	return err
}

// writeSealed boxes each frame of b, whole frames as AppendMsg and
// AppendCommand write them, into a data frame of its own.
func (c *Conn) writeSealed(b []byte) error { return c.sealFrames(b, false) }

// sealFrames boxes each frame of b into a frame of its own, and writes
// each to c's buffer, or, with try, appends it to tryBuf.
func (c *Conn) sealFrames(b []byte, try bool) error {
	for len(b) > 0 {
		flags := b[0]
		var size uint64
		hdr := 2
		switch {
		case flags&flagLong != 0 && len(b) >= 9:
			size, hdr = binary.BigEndian.Uint64(b[1:9]), 9
		case flags&flagLong == 0 && len(b) >= 2:
			size = uint64(b[1])
		default:
			return errors.New("zmtp: Write of a cut frame header")
		}
		if uint64(len(b)-hdr) < size {
			return errors.New("zmtp: Write of a cut frame")
		}
		body := b[hdr : hdr+int(size)]
		// Room for the longest header first, filled once the box's size
		// is known: one buffer, reused, written once, for every frame.
		c.sealBuf = append(c.sealBuf[:0], make([]byte, 9)...)
		c.sealBuf = c.seal.Seal(c.sealBuf, body, flags&flagMore != 0, flags&flagCommand != 0)
		n, from := len(c.sealBuf)-9, 7
		c.sealBuf[7], c.sealBuf[8] = 0, byte(n)
		if n > 255 {
			from = 0
			c.sealBuf[0] = flagLong
			binary.BigEndian.PutUint64(c.sealBuf[1:9], uint64(n))
		}
		if try {
			c.tryBuf = append(c.tryBuf, c.sealBuf[from:]...)
		} else if _, err := c.w.Write(c.sealBuf[from:]); err != nil {
			return err
		}
		b = b[hdr+int(size):]
	}
	return nil
}

// sealedSize is the size of b's frames once boxed, each with its header,
// or -1 if b is not whole frames.
func (c *Conn) sealedSize(b []byte) int {
	total := 0
	for len(b) > 0 {
		size, hdr := 0, 2
		switch {
		case b[0]&flagLong != 0 && len(b) >= 9:
			if v := binary.BigEndian.Uint64(b[1:9]); v < uint64(len(b)) {
				size, hdr = int(v), 9
			} else {
				return -1
			}
		case b[0]&flagLong == 0 && len(b) >= 2:
			size = int(b[1])
		default:
			return -1
		}
		if len(b)-hdr < size {
			return -1
		}
		boxed := size + c.seal.Overhead()
		total += boxed + 2
		if boxed > 255 {
			total += 7
		}
		b = b[hdr+size:]
	}
	return total
}

// Flush sends what Write queued, failing if it takes past deadline (zero:
// no deadline).
func (c *Conn) Flush(deadline time.Time) error {
	if c.w.Buffered() == 0 {
		return nil
	}
	if err := c.nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	return c.w.Flush()
}

// FlushAsIs is Flush under whatever write deadline the connection has.
func (c *Conn) FlushAsIs() error { return c.w.Flush() }

// TryWrite sends raw wire bytes at once, bypassing Write's buffer, which
// must be empty: it writes what the socket takes without waiting and
// returns how much that was, so the caller can queue the rest. Where the
// platform has no non-blocking path (not Linux) it takes nothing.
//
// Under a seal, whose boxes cannot be cut where the socket stopped taking
// them and the rest queued as b's bytes, TryWrite takes b whole or not at
// all: it boxes every frame, writes what the socket takes, and keeps the
// rest of the boxes in Write's buffer. Buffered is then not zero, and the
// caller must see that the connection is flushed. It takes nothing if the
// boxes would not fit in the buffer.
func (c *Conn) TryWrite(b []byte) (int, error) {
	if c.raw == nil {
		return 0, nil
	}
	if c.w.Buffered() != 0 {
		return 0, errors.New("zmtp: TryWrite with buffered bytes")
	}
	if c.seal == nil {
		return c.raw.TryWrite(b)
	}
	size := c.sealedSize(b)
	if size < 0 || size > c.w.Available() {
		return 0, nil
	}
	c.tryBuf = c.tryBuf[:0]
	if err := c.sealFrames(b, true); err != nil {
		return 0, err
	}
	n, err := c.raw.TryWrite(c.tryBuf)
	if err != nil {
		return 0, err
	}
	c.w.Write(c.tryBuf[n:]) // it fits: no system call
	return len(b), nil
}

// MsgBuffered reports whether a whole message (or command) has been read
// from the connection already and waits in the read buffer, so that
// ReadMsg returns it without a system call or a wait. Under a mechanism
// that seals, it reports false.
func (c *Conn) MsgBuffered() bool {
	if c.seal != nil || c.rs.active {
		return false
	}
	b, _ := c.r.Peek(c.r.Buffered())
	for {
		if len(b) < 2 {
			return false
		}
		flags, size, hdr := b[0], uint64(b[1]), 2
		if flags&flagLong != 0 {
			if len(b) < 9 {
				return false
			}
			size, hdr = binary.BigEndian.Uint64(b[1:9]), 9
		}
		if uint64(len(b)-hdr) < size {
			return false
		}
		b = b[hdr+int(size):]
		if flags&flagMore == 0 || flags&flagCommand != 0 {
			return true
		}
	}
}

// Buffered is the number of bytes Write queued and Flush has not sent.
func (c *Conn) Buffered() int { return c.w.Buffered() }

// AppendMsg appends the wire form of a message of the given frames to dst.
func AppendMsg(dst []byte, frames ...[]byte) []byte {
	for i, f := range frames {
		var flags byte
		if i < len(frames)-1 {
			flags |= flagMore
		}
		dst = appendFrame(dst, flags, f)
	}
	return dst
}

// SplitMsg parses a message in wire form, as AppendMsg writes it, back
// into its frames, which alias msg. It stops at the first frame that is
// cut short.
func SplitMsg(msg []byte) [][]byte {
	var frames [][]byte
	for len(msg) >= 2 {
		n, hdr := uint64(msg[1]), 2
		if msg[0]&flagLong != 0 {
			if len(msg) < 9 {
				break
			}
			n, hdr = binary.BigEndian.Uint64(msg[1:9]), 9
		}
		if uint64(len(msg)-hdr) < n {
			break
		}
		frames = append(frames, msg[hdr:hdr+int(n)])
		msg = msg[hdr+int(n):]
	}
	return frames
}

// AppendMore appends frames that all have the MORE flag, so that the
// frames appended next (with AppendMsg) continue the same message: a REP
// socket's reply envelope goes before its reply this way.
func AppendMore(dst []byte, frames ...[]byte) []byte {
	for _, f := range frames {
		dst = appendFrame(dst, flagMore, f)
	}
	return dst
}

// AppendCommand appends the wire form of the command name with data.
func AppendCommand(dst []byte, name string, data []byte) []byte {
	body := make([]byte, 0, 1+len(name)+len(data))
	body = append(body, byte(len(name)))
	body = append(body, name...)
	body = append(body, data...)
	return appendFrame(dst, flagCommand, body)
}

func appendFrame(dst []byte, flags byte, body []byte) []byte {
	if len(body) > 255 {
		dst = append(dst, flags|flagLong)
		dst = binary.BigEndian.AppendUint64(dst, uint64(len(body)))
	} else {
		dst = append(dst, flags, byte(len(body)))
	}
	return append(dst, body...)
}

// AppendPong appends the PONG that answers a PING whose data (after the
// command name) is ping: a 2-byte TTL, then up to 16 bytes of context that
// the PONG echoes (RFC 37).
func AppendPong(dst, ping []byte) []byte {
	ctx := []byte{}
	if len(ping) > 2 {
		ctx = ping[2:min(len(ping), 18)]
	}
	return AppendCommand(dst, "PONG", ctx)
}

// ParseCommand splits a command frame into its name and data.
func ParseCommand(frame []byte) (name string, data []byte, err error) {
	switch {
	case len(frame) == 0:
		return "", nil, fmt.Errorf("%w: an empty command frame (it has no name)", ErrBadFrame)
	case int(frame[0]) > len(frame)-1:
		return "", nil, fmt.Errorf("%w: a command frame of %d bytes cannot hold the %d-byte name its first byte announces", ErrBadFrame, len(frame), frame[0])
	}
	n := int(frame[0])
	return string(frame[1 : 1+n]), frame[1+n:], nil
}
