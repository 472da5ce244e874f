// Package curve is ZeroMQ's CURVE security mechanism (ZMTP-CURVE, RFC 25,
// and CurveZMQ, RFC 26) on golang.org/x/crypto's NaCl boxes: Curve25519
// keys, an authenticated handshake in which the server decides which
// client keys it admits, and every message boxed with the transient keys
// the handshake agreed on.
//
// The handshake (HELLO, WELCOME, INITIATE, READY) is a zmq4.Security, so
// zmq4 runs it as it runs NULL's; what it leaves is a Session that seals
// and opens the MESSAGE commands of the data phase, which is
// internal/zmtp's. Keys are read and written in Z85 (RFC 32), as libzmq
// and pyzmq write them.
package curve
