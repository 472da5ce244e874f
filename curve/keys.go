package curve

import (
	"crypto/rand"
	"fmt"
	"strings"

	"golang.org/x/crypto/curve25519"
)

// Key is a Curve25519 public or secret key.
type Key [32]byte

// String is the key in Z85, as libzmq's zmq_curve_keypair writes it.
func (k Key) String() string {
	s, _ := Z85Encode(k[:]) // 32 is a multiple of 4
	return s
}

// ParseKey reads a key in Z85 (40 characters), as zmq_curve_keypair and
// pyzmq's zmq.curve_keypair write it; spaces around it are ignored.
func ParseKey(s string) (Key, error) {
	var k Key
	s = strings.TrimSpace(s)
	if len(s) != 40 {
		return k, fmt.Errorf("a CURVE key is 40 characters of Z85, not %d", len(s))
	}
	b, err := Z85Decode(s)
	if err != nil {
		return k, err
	}
	copy(k[:], b)
	return k, nil
}

// KeyPair is a permanent key pair.
type KeyPair struct {
	Public, Secret Key
}

// NewKeyPair makes a key pair from the system's random source.
func NewKeyPair() (KeyPair, error) {
	var kp KeyPair
	if _, err := rand.Read(kp.Secret[:]); err != nil {
		return kp, err
	}
	pub, err := curve25519.X25519(kp.Secret[:], curve25519.Basepoint)
	if err != nil {
		return kp, err
	}
	copy(kp.Public[:], pub)
	return kp, nil
}

// PublicOf derives the public key of secret, as zmq_curve_public does.
func PublicOf(secret Key) (Key, error) {
	var k Key
	pub, err := curve25519.X25519(secret[:], curve25519.Basepoint)
	if err != nil {
		return k, err
	}
	copy(k[:], pub)
	return k, nil
}
