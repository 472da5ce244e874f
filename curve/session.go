package curve

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/box"
)

// Session seals and opens the MESSAGE commands of one connection's data
// phase, with the key its handshake agreed on. It is not safe for
// concurrent use: one goroutine seals, one opens.
type Session struct {
	// Peer is the peer's permanent public key: on a server, the client's
	// (who it is); on a client, the server's.
	Peer Key

	shared [32]byte
	client bool
	send   uint64 // the next short nonce to send
	recv   uint64 // the last short nonce received
	plain  []byte // Seal's scratch: the flags byte and the frame
}

// MESSAGE flags, the first byte of the boxed payload (RFC 26).
const (
	flagMore    = 0x01
	flagCommand = 0x02
)

const messageName = "\x07MESSAGE"

// ErrBadMessage is Open's error for a MESSAGE that does not open: damaged,
// forged, replayed or out of order.
var ErrBadMessage = errors.New("curve: a MESSAGE that does not open")

// Overhead is the number of bytes Seal adds to a frame: the command's
// name, the nonce, the box's authenticator and the flags byte.
func (s *Session) Overhead() int { return len(messageName) + 8 + box.Overhead + 1 }

// Seal appends to dst the MESSAGE (its name, nonce and box) that carries
// one frame of a message: more says another frame follows, command that
// the frame is a command (ZMTP 3.1: PING, SUBSCRIBE...). libzmq sends
// each MESSAGE as a data frame of its own, with no MORE flag on the frame
// (the flag is inside the box), not as a command frame: so must we.
func (s *Session) Seal(dst, frame []byte, more, command bool) []byte {
	prefix := "CurveZMQMESSAGES"
	if s.client {
		prefix = "CurveZMQMESSAGEC"
	}
	short := shortNonce(s.send)
	s.send++
	flags := byte(0)
	if more {
		flags |= flagMore
	}
	if command {
		flags |= flagCommand
	}
	s.plain = append(append(s.plain[:0], flags), frame...)
	dst = append(dst, messageName...)
	dst = append(dst, short...)
	return box.SealAfterPrecomputation(dst, s.plain, nonce(prefix, short), &s.shared)
}

// Open opens a MESSAGE (a data frame's body, its name included) and
// returns the frame it carries, whether another frame follows, and
// whether it is a command. Its nonce must be larger than the last one
// opened.
func (s *Session) Open(msg []byte) (frame []byte, more, command bool, err error) {
	if len(msg) < len(messageName)+8+box.Overhead+1 || string(msg[:len(messageName)]) != messageName {
		return nil, false, false, fmt.Errorf("%w: %d bytes, or not a MESSAGE", ErrBadMessage, len(msg))
	}
	body := msg[len(messageName):]
	n := binary.BigEndian.Uint64(body[:8])
	if n <= s.recv {
		return nil, false, false, fmt.Errorf("%w: nonce %d after %d (replayed or out of order)", ErrBadMessage, n, s.recv)
	}
	prefix := "CurveZMQMESSAGEC"
	if s.client {
		prefix = "CurveZMQMESSAGES"
	}
	plain, ok := box.OpenAfterPrecomputation(nil, body[8:], nonce(prefix, body[:8]), &s.shared)
	if !ok {
		return nil, false, false, fmt.Errorf("%w: its box does not open (damaged or forged)", ErrBadMessage)
	}
	s.recv = n
	return plain[1:], plain[0]&flagMore != 0, plain[0]&flagCommand != 0, nil
}
