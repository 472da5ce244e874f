package zmtp

import "github.com/trackfeed/trackfeed/curve"

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
