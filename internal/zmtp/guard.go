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

// step advances the stream state by one byte.
func (g *guard) step(b byte) error {
	switch {
	case g.greeting > 0:
		g.greeting--
		return nil
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
