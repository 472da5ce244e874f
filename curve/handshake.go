package curve

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"syscall"

	"github.com/go-zeromq/zmq4"
	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"
)

// Sizes of the handshake's commands' bodies (after the command name).
const (
	helloSize   = 2 + 72 + 32 + 8 + 80 // version, padding, C', short nonce, box of 64 zeros
	welcomeSize = 16 + 144             // long nonce, box of S' and the cookie
	cookieSize  = 16 + 80              // long nonce, secretbox of C' and s'
	vouchSize   = 16 + 80              // long nonce, box of C' and S
	initiateMin = cookieSize + 8 + 16 + 32 + vouchSize
	readyMin    = 8 + 16
)

// RefusedError is a client's handshake error when the server refused it,
// with the server's reason (an ERROR command).
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return fmt.Sprintf("curve: the server refused: %q", e.Reason) }

// ErrRefused is the error of a server's handshake that turned a client
// away: a key not admitted, or a box that does not open.
var ErrRefused = errors.New("curve: client refused")

// Security is the CURVE mechanism of one connection, for zmq4.Open: make
// one with Client or Server for each connection. After the handshake its
// Session seals and opens the connection's messages.
type Security struct {
	server    bool
	perm      KeyPair
	serverKey Key             // a client's: the server's permanent public key
	admit     func(Key) error // a server's: nil admits every client
	Session   Session         // valid once Handshake has returned nil
	rand      io.Reader       // crypto/rand; tests may fix it
}

// Client is the mechanism of a client with key pair kp (any pair, if the
// server admits every key) that trusts the server whose permanent public
// key is server.
func Client(kp KeyPair, server Key) *Security {
	return &Security{perm: kp, serverKey: server, rand: rand.Reader}
}

// Server is the mechanism of a server with key pair kp. admit, if not nil,
// decides whether a client's permanent public key may connect: an error is
// the reason it may not (sent to the client in an ERROR command).
func Server(kp KeyPair, admit func(client Key) error) *Security {
	return &Security{server: true, perm: kp, admit: admit, rand: rand.Reader}
}

// Type is CURVE.
func (s *Security) Type() zmq4.SecurityType { return zmq4.CurveSecurity }

// Encrypt writes data as it is. zmq4 passes every frame through it, the
// handshake's commands too, which CURVE sends in the clear (their boxes
// are inside); and it writes a frame's length before calling it, so it
// could not box a message anyway. The data phase is internal/zmtp's, which
// boxes each frame with Session.Seal.
func (s *Security) Encrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }

// Decrypt writes data as it is (see Encrypt).
func (s *Security) Decrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }

// Handshake runs the CURVE handshake on conn, whose greeting is done.
func (s *Security) Handshake(conn *zmq4.Conn, server bool) error {
	if server != s.server {
		return fmt.Errorf("curve: a %s mechanism used on the %s side", side(s.server), side(server))
	}
	if s.server {
		return s.serverHandshake(conn)
	}
	return s.clientHandshake(conn)
}

func side(server bool) string {
	if server {
		return "server"
	}
	return "client"
}

func nonce(prefix string, short []byte) *[24]byte {
	var n [24]byte
	copy(n[:], prefix)
	copy(n[len(prefix):], short)
	return &n
}

func shortNonce(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func (s *Security) random(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(s.rand, b)
	return b, err
}

// recv reads the next command, which must be named want; an ERROR command
// is returned as the error it carries.
func recv(conn *zmq4.Conn, want string) ([]byte, error) {
	cmd, err := conn.RecvCmd()
	if err != nil {
		return nil, err
	}
	switch cmd.Name {
	case want:
		return cmd.Body, nil
	case zmq4.CmdError:
		reason := cmd.Body
		if len(reason) > 0 && int(reason[0]) <= len(reason)-1 {
			reason = reason[1 : 1+int(reason[0])]
		}
		return nil, &RefusedError{Reason: string(reason)}
	}
	return nil, fmt.Errorf("curve: got %s, want %s", cmd.Name, want)
}

func (s *Security) clientHandshake(conn *zmq4.Conn) error {
	tpub, tsec, err := box.GenerateKey(s.rand)
	if err != nil {
		return err
	}
	// HELLO: our transient key, and a box only the server's secret key opens.
	hello := make([]byte, 0, helloSize)
	hello = append(hello, 1, 0)
	hello = append(hello, make([]byte, 72)...)
	hello = append(hello, tpub[:]...)
	hello = append(hello, shortNonce(1)...)
	serverKey := [32]byte(s.serverKey)
	hello = box.Seal(hello, make([]byte, 64), nonce("CurveZMQHELLO---", shortNonce(1)), &serverKey, tsec)
	if err := conn.SendCmd(zmq4.CmdHello, hello); err != nil {
		return err
	}

	welcome, err := recv(conn, zmq4.CmdWelcome)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		// A CURVE server that cannot open our HELLO says nothing and hangs
		// up (RFC 26; libzmq does the same), so the bare EOF would leave
		// the user guessing.
		return fmt.Errorf("curve: the server hung up on our HELLO: the server key we hold is not its public key (%w)", err)
	}
	if err != nil {
		return err
	}
	if len(welcome) != welcomeSize {
		return fmt.Errorf("curve: WELCOME of %d bytes, want %d", len(welcome), welcomeSize)
	}
	plain, ok := box.Open(nil, welcome[16:], nonce("WELCOME-", welcome[:16]), &serverKey, tsec)
	if !ok {
		return errors.New("curve: the WELCOME box does not open: not the server whose key we hold")
	}
	var serverT [32]byte
	copy(serverT[:], plain[:32])
	cookie := plain[32:]

	// INITIATE: the cookie back, our permanent key, a vouch that ties it
	// to our transient key and this server, and our metadata.
	vouchNonce, err := s.random(16)
	if err != nil {
		return err
	}
	permSecret := [32]byte(s.perm.Secret)
	vouch := append(vouchNonce, box.Seal(nil, append(tpub[:], s.serverKey[:]...), nonce("VOUCH---", vouchNonce), &serverT, &permSecret)...)
	meta, err := marshalMeta(conn.Meta)
	if err != nil {
		return err
	}
	var plainInit []byte
	plainInit = append(plainInit, s.perm.Public[:]...)
	plainInit = append(plainInit, vouch...)
	plainInit = append(plainInit, meta...)
	s.Session = Session{client: true, send: 2}
	box.Precompute(&s.Session.shared, &serverT, tsec)
	initiate := append([]byte{}, cookie...)
	initiate = append(initiate, shortNonce(2)...)
	initiate = box.SealAfterPrecomputation(initiate, plainInit, nonce("CurveZMQINITIATE", shortNonce(2)), &s.Session.shared)
	if err := conn.SendCmd(zmq4.CmdInitiate, initiate); err != nil {
		return err
	}
	s.Session.send = 3

	ready, err := recv(conn, zmq4.CmdReady)
	if err != nil {
		return err
	}
	if len(ready) < readyMin {
		return fmt.Errorf("curve: READY of %d bytes", len(ready))
	}
	n := binary.BigEndian.Uint64(ready[:8])
	peerMeta, ok := box.OpenAfterPrecomputation(nil, ready[8:], nonce("CurveZMQREADY---", ready[:8]), &s.Session.shared)
	if !ok {
		return errors.New("curve: the READY box does not open")
	}
	s.Session.recv = n
	s.Session.Peer = s.serverKey
	return conn.Peer.Meta.UnmarshalZMTP(peerMeta)
}

// marshalMeta is md in ZMTP's metadata form, its properties in the order
// of their names. zmq4's Metadata.MarshalZMTP follows the map's order,
// which changes from run to run; boxed, that would make two handshakes
// with the same keys and random source differ, and the vectors captured
// against libzmq (testdata/) could not be replayed byte for byte.
func marshalMeta(md zmq4.Metadata) ([]byte, error) {
	var out []byte
	for _, k := range slices.Sorted(maps.Keys(md)) {
		b, err := zmq4.Metadata{k: md[k]}.MarshalZMTP()
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// sendError tells the client why it is refused, then returns the error.
func sendError(conn *zmq4.Conn, reason string) error {
	if len(reason) > 255 {
		reason = reason[:255]
	}
	conn.SendCmd(zmq4.CmdError, append([]byte{byte(len(reason))}, reason...))
	return fmt.Errorf("%w: %s", ErrRefused, reason)
}

// crunching bounds the server handshakes doing their Curve25519
// arithmetic at once, about 0.7 ms of CPU a handshake. A thousand clients
// arriving together are a thousand goroutines that want it all at once:
// runnable together, they fill the scheduler's run queues, and a feed
// writer woken to send the next message waits behind hundreds of them
// (p99 of the already connected subscribers 87 ms in BENCHMARKS.md's
// handshake storm, 1,000 clients on 2 cores). Waiting here they are
// parked, and the feed waits for a few steps at most. A slot is never held
// across network I/O, so a slow client cannot keep one.
var crunching = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

// crunch runs f in a crunching slot.
func crunch(f func() error) error {
	crunching <- struct{}{}
	defer func() { <-crunching }()
	return f()
}

func (s *Security) serverHandshake(conn *zmq4.Conn) error {
	hello, err := recv(conn, zmq4.CmdHello)
	if err != nil {
		return err
	}
	if len(hello) != helloSize || hello[0] != 1 {
		return fmt.Errorf("%w: a HELLO of %d bytes, version %d", ErrRefused, len(hello), hello[0])
	}
	var clientT, cookieKey [32]byte
	copy(clientT[:], hello[74:106])
	helloNonce := hello[106:114]
	permSecret := [32]byte(s.perm.Secret)
	var welcome []byte
	err = crunch(func() error {
		zeros, ok := box.Open(nil, hello[114:], nonce("CurveZMQHELLO---", helloNonce), &clientT, &permSecret)
		if !ok || subtle.ConstantTimeCompare(zeros, make([]byte, 64)) != 1 {
			return fmt.Errorf("%w: the HELLO box does not open (the client holds another server key)", ErrRefused)
		}

		// WELCOME: our transient key, and a cookie that only we can open
		// and that holds what we must remember until INITIATE.
		tpub, tsec, err := box.GenerateKey(s.rand)
		if err != nil {
			return err
		}
		if _, err := io.ReadFull(s.rand, cookieKey[:]); err != nil {
			return err
		}
		cookieNonce, err := s.random(16)
		if err != nil {
			return err
		}
		cookie := secretbox.Seal(cookieNonce, append(clientT[:], tsec[:]...), nonce("COOKIE--", cookieNonce), &cookieKey)
		welcomeNonce, err := s.random(16)
		if err != nil {
			return err
		}
		welcome = box.Seal(welcomeNonce, append(tpub[:], cookie...), nonce("WELCOME-", welcomeNonce), &clientT, &permSecret)
		return nil
	})
	if err != nil {
		return err
	}
	if err := conn.SendCmd(zmq4.CmdWelcome, welcome); err != nil {
		return err
	}

	initiate, err := recv(conn, zmq4.CmdInitiate)
	if err != nil {
		return err
	}
	if len(initiate) < initiateMin {
		return fmt.Errorf("%w: an INITIATE of %d bytes", ErrRefused, len(initiate))
	}
	var plain []byte
	var client [32]byte
	err = crunch(func() error {
		kept, ok := secretbox.Open(nil, initiate[16:cookieSize], nonce("COOKIE--", initiate[:16]), &cookieKey)
		if !ok || subtle.ConstantTimeCompare(kept[:32], clientT[:]) != 1 {
			return fmt.Errorf("%w: the INITIATE's cookie is not the one we sent", ErrRefused)
		}
		var serverTSec [32]byte
		copy(serverTSec[:], kept[32:])
		s.Session = Session{send: 1}
		box.Precompute(&s.Session.shared, &clientT, &serverTSec)
		n := binary.BigEndian.Uint64(initiate[cookieSize : cookieSize+8])
		if n <= binary.BigEndian.Uint64(helloNonce) {
			return fmt.Errorf("%w: INITIATE's nonce does not follow HELLO's", ErrRefused)
		}
		plain, ok = box.OpenAfterPrecomputation(nil, initiate[cookieSize+8:], nonce("CurveZMQINITIATE", initiate[cookieSize:cookieSize+8]), &s.Session.shared)
		if !ok {
			return fmt.Errorf("%w: the INITIATE box does not open", ErrRefused)
		}
		copy(client[:], plain[:32])
		vouch := plain[32 : 32+vouchSize]
		vouched, ok := box.Open(nil, vouch[16:], nonce("VOUCH---", vouch[:16]), &client, &serverTSec)
		if !ok || subtle.ConstantTimeCompare(vouched[:32], clientT[:]) != 1 || subtle.ConstantTimeCompare(vouched[32:], s.perm.Public[:]) != 1 {
			return fmt.Errorf("%w: the vouch does not hold (a replayed or forged INITIATE)", ErrRefused)
		}
		s.Session.recv = n
		return nil
	})
	if err != nil {
		return err
	}
	s.Session.Peer = Key(client)
	if s.admit != nil {
		if err := s.admit(Key(client)); err != nil {
			return sendError(conn, err.Error())
		}
	}
	if err := conn.Peer.Meta.UnmarshalZMTP(plain[32+vouchSize:]); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrRefused, err)
	}

	meta, err := marshalMeta(conn.Meta)
	if err != nil {
		return err
	}
	ready := shortNonce(1)
	ready = box.SealAfterPrecomputation(ready, meta, nonce("CurveZMQREADY---", shortNonce(1)), &s.Session.shared)
	s.Session.send = 2
	return conn.SendCmd(zmq4.CmdReady, ready)
}
