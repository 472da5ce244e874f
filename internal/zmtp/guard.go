package zmtp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
)

// guard is the net.Conn that zmq4.Open reads the handshake through. It
// follows the byte stream (64-byte greeting, then frame headers and bodies)
// and fails the read that would deliver a frame header claiming more than
// maxFrame bytes, before zmq4 allocates a body of that size.
type guard struct {
	net.Conn
	r        *bufio.Reader
	maxFrame int
	err      error

	greeting int    // greeting bytes still to pass
	sent     bool   // our greeting has been written
	signed   bool   // the greeting so far has ZMTP 2.0 and 3's signature
	hdr      []byte // frame header bytes seen so far
	body     uint64 // body bytes still to pass
}

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for _, b := range p[:n] {
		if g.err = g.step(b); g.err != nil {
			return 0, g.err
		}
	}
	return n, err
}

// Write sends what zmq4 writes. zmq4 writes its 64-byte greeting at once;
// the guard sends its 10-byte signature first and the rest only once the
// peer's signature has come, as libzmq does (RFC 23, "Version
// Negotiation"). A ZMTP 2.0 peer sends its version byte only after it has
// our signature, and JeroMQ 0.3 drops the connection, version unsent, when
// a whole 3.0 greeting arrives at once: this way the guard sees the version
// and can say why the peer is refused.
func (g *guard) Write(p []byte) (int, error) {
	if g.sent || len(p) <= sigLen {
		return g.Conn.Write(p)
	}
	g.sent = true
	n, err := g.Conn.Write(p[:sigLen])
	if err != nil {
		return n, err
	}
	if _, err := g.r.Peek(sigLen); err != nil {
		return n, err
	}
	m, err := g.Conn.Write(p[sigLen:])
	return n + m, err
}

// sigLen is the length of a greeting's signature.
const sigLen = 10

// greet checks byte i of the peer's greeting. From ZMTP 2.0 on (RFC 15)
// a greeting opens with a signature, 0xff, 8 bytes of padding and 0x7f
// (bit 0 set), then a version: 0x01 for ZMTP 2.0, the major version 3 for
// ZMTP 3.x (RFC 23). zmq4 cannot speak anything before 3.0 and would wait
// for the 64 bytes of a 3.x greeting that a 2.0 peer never sends: tell
// such a peer apart at once. Anything else without the signature is
// neither, and stays zmq4's to refuse.
func (g *guard) greet(i int, b byte) error {
	switch i {
	case 0:
		g.signed = b == 0xff
	case 9:
		g.signed = g.signed && b&1 == 1
	case 10:
		if g.signed && b < 3 {
			return &VersionError{Revision: b}
		}
	}
	return nil
}

// MinVersion is the oldest ZMTP the transport speaks: zmq4's greeting
// cannot offer an older one.
const MinVersion = "3.0"

// VersionError is Handshake's error for a peer that speaks a ZMTP older
// than MinVersion, such as JeroMQ 0.3 (ZMTP 2.0).
type VersionError struct {
	Revision byte // the version byte of the peer's greeting
}

// Version is the peer's ZMTP version, as its greeting's version byte
// gives it (RFC 15: 0x01 is ZMTP 2.0; 0x00, ZMTP 1.0 behind a 2.0
// signature).
func (e *VersionError) Version() string {
	switch e.Revision {
	case 0:
		return "1.0"
	case 1:
		return "2.0"
	}
	return fmt.Sprintf("2.x (version byte %d)", e.Revision)
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("the peer speaks ZMTP %s, older than the ZMTP %s trackfeed needs (upgrade it to libzmq 4.0 or JeroMQ 0.4 or later)", e.Version(), MinVersion)
}

// step advances the stream state by one byte.
func (g *guard) step(b byte) error {
	switch {
	case g.greeting > 0:
		i := 64 - g.greeting
		g.greeting--
		return g.greet(i, b)
	case g.body > 0:
		g.body--
		return nil
	}
	g.hdr = append(g.hdr, b)
	flags := g.hdr[0]
	if flags&^(flagMore|flagLong|flagCommand) != 0 {
		return fmt.Errorf("%w: flags %#02x during handshake", ErrBadFrame, flags)
	}
	var size uint64
	switch {
	case flags&flagLong == 0 && len(g.hdr) == 2:
		size = uint64(g.hdr[1])
	case flags&flagLong != 0 && len(g.hdr) == 9:
		size = binary.BigEndian.Uint64(g.hdr[1:])
	default:
		return nil
	}
	if size > uint64(g.maxFrame) {
		return fmt.Errorf("%w: handshake frame of %d bytes (limit %d)", ErrTooLarge, size, g.maxFrame)
	}
	g.hdr, g.body = g.hdr[:0], size
	return nil
}
