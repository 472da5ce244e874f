package zmtp

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/trackfeed/trackfeed/curve"
)

// CurveServer is Limits.Security for a CURVE server of key pair kp: each
// connection gets a mechanism of its own. admit, if not nil, decides which
// client keys get in (see curve.Server).
func CurveServer(kp curve.KeyPair, admit func(curve.Key) error) func() Mechanism {
	return func() Mechanism {
		s := curve.Server(kp, admit)
		return Mechanism{Security: s, Sealer: func() Sealer { return &s.Session }}
	}
}

// CurveClient is Limits.Security for a CURVE client of key pair kp that
// trusts the server of public key server.
func CurveClient(kp curve.KeyPair, server curve.Key) func() Mechanism {
	return func() Mechanism {
		s := curve.Client(kp, server)
		return Mechanism{Security: s, Sealer: func() Sealer { return &s.Session }}
	}
}

// CurveClientOf is CurveClient with the key pair kp, or a new pair if kp
// is nil (for a server that admits anyone).
func CurveClientOf(kp *curve.KeyPair, server curve.Key) (func() Mechanism, error) {
	if kp == nil {
		pair, err := curve.NewKeyPair()
		if err != nil {
			return nil, fmt.Errorf("a CURVE key pair: %w", err)
		}
		kp = &pair
	}
	return CurveClient(*kp, server), nil
}

// Gate is a CURVE server's door: its allowlist decides which client keys
// get in, and each key it refuses is logged once and counted. The zero
// Gate admits every client.
type Gate struct {
	admit   func(curve.Key) error
	log     *slog.Logger
	seen    sync.Map // curve.Key: refused and logged already
	refused atomic.Uint64
}

// NewGate returns the Gate of allowlist admit (nil admits anyone), which
// logs the keys it refuses to log ("CURVE client refused", with the key
// and why).
func NewGate(admit func(curve.Key) error, log *slog.Logger) *Gate {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gate{admit: admit, log: log}
}

// Admit is curve.Server's admit: nil lets client in.
func (g *Gate) Admit(client curve.Key) error {
	if g == nil || g.admit == nil {
		return nil
	}
	err := g.admit(client)
	if err != nil {
		if _, seen := g.seen.LoadOrStore(client, true); !seen {
			g.log.Warn("CURVE client refused", "key", client.String(), "why", err)
		}
		g.refused.Add(1)
	}
	return err
}

// Refused counts the handshakes refused for a key not admitted.
func (g *Gate) Refused() uint64 {
	if g == nil {
		return 0
	}
	return g.refused.Load()
}

// Server is Limits.Security for a CURVE server of key pair kp that admits
// the clients g admits.
func (g *Gate) Server(kp curve.KeyPair) func() Mechanism {
	return CurveServer(kp, g.Admit)
}
