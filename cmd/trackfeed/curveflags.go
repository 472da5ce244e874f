package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/curve"
)

// readKey reads a CURVE key: the 40 Z85 characters themselves, or a file
// that holds them (trackfeed keygen's NAME.key and NAME.pub, or a key
// saved from pyzmq).
func readKey(s string) (curve.Key, error) {
	if k, err := curve.ParseKey(s); err == nil {
		return k, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return curve.Key{}, fmt.Errorf("%s: %v (give a key file, such as trackfeed keygen writes, or the key's 40 characters)", s, unwrapPath(err))
	}
	k, err := curve.ParseKey(string(b))
	if err != nil {
		return curve.Key{}, fmt.Errorf("%s: %v", s, err)
	}
	return k, nil
}

// readKeyPair reads a secret key (see readKey) and derives its public key.
// Its errors never quote the key: only the file that holds it.
func readKeyPair(s string) (*curve.KeyPair, error) {
	secret, err := readKey(s)
	if err != nil {
		_, ferr := os.Stat(s)
		switch {
		case ferr == nil:
			return nil, fmt.Errorf("%s: not a CURVE secret key (want the 40 characters of Z85 that trackfeed keygen writes)", s)
		case len(strings.TrimSpace(s)) == 40:
			return nil, errors.New("not a key, nor a key file (give the file trackfeed keygen wrote, NAME.key)")
		}
		return nil, err
	}
	public, err := curve.PublicOf(secret)
	if err != nil {
		return nil, err
	}
	return &curve.KeyPair{Public: public, Secret: secret}, nil
}

// isSecret reports whether f takes a secret key, which its errors must
// not quote.
func isSecret(f *pflag.Flag) bool {
	_, ok := f.Value.(serverKeyFlag)
	return ok
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// serverKeyFlag is --curve-secret: a server's secret key, its public key
// derived from it.
type serverKeyFlag struct{ kp **curve.KeyPair }

func (f serverKeyFlag) Set(s string) error {
	kp, err := readKeyPair(s)
	*f.kp = kp
	return err
}
func (f serverKeyFlag) String() string { return "" }
func (f serverKeyFlag) Type() string   { return "file" }

// publicKeyFlag is --curve-server: the server's public key.
type publicKeyFlag struct{ k **curve.Key }

func (f publicKeyFlag) Set(s string) error {
	k, err := readKey(s)
	if err != nil {
		return err
	}
	*f.k = &k
	return nil
}
func (f publicKeyFlag) String() string { return "" }
func (f publicKeyFlag) Type() string   { return "key" }

// clientKeysFlag is --curve-key NAME: a client's key pair, NAME.key and
// NAME.pub as trackfeed keygen writes them.
type clientKeysFlag struct{ kp **curve.KeyPair }

func (f clientKeysFlag) Set(name string) error {
	kp, err := readKeyPair(name + ".key")
	*f.kp = kp
	return err
}
func (f clientKeysFlag) String() string { return "" }
func (f clientKeysFlag) Type() string   { return "name" }

// curveClient are a client's CURVE flags: the publisher's public key,
// and the client's key pair.
type curveClient struct {
	server *curve.Key
	keys   *curve.KeyPair
}

func (c *curveClient) define(fs *pflag.FlagSet) {
	c.defineServer(fs, "curve-server", "speak CURVE to a publisher of public `KEY` (its 40 Z85\ncharacters, or a file such as keygen's NAME.pub)")
	c.defineKeys(fs, "with --curve-server, be the client of key pair `NAME`\n(NAME.key and NAME.pub, from trackfeed keygen); default:\na new pair each run, for a publisher that admits anyone")
}

// defineServer adds --flag, the public key of the server that the
// command is a CURVE client of.
func (c *curveClient) defineServer(fs *pflag.FlagSet, flag, usage string) {
	fs.Var(publicKeyFlag{&c.server}, flag, usage)
}

// defineKeys adds --curve-key, the client's key pair.
func (c *curveClient) defineKeys(fs *pflag.FlagSet, usage string) {
	fs.Var(clientKeysFlag{&c.keys}, "curve-key", usage)
}

// checkCurveServer refuses an allowlist (--clients) without the secret
// key (--secret) of the server it admits clients to.
func checkCurveServer(kp *curve.KeyPair, admit func(curve.Key) error, secret, clients string) error {
	if admit != nil && kp == nil {
		return usageErrorf("--%s admits clients to a CURVE server: give its secret key with --%s", clients, secret)
	}
	return nil
}

// allowlist admits the client keys of a file (one key a line) or a folder
// (its *.pub files), read again when it changes.
type allowlist struct {
	path string

	mu      sync.Mutex
	checked time.Time
	stamp   string // what the files' names, sizes and times were
	keys    map[curve.Key]bool
	err     error
}

// admit is publisher.Config.CurveAdmit.
func (a *allowlist) admit(k curve.Key) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.checked) > time.Second {
		a.checked = time.Now()
		a.reload()
	}
	switch {
	case a.err != nil:
		return fmt.Errorf("the allowlist %s cannot be read: %v", a.path, a.err)
	case !a.keys[k]:
		return fmt.Errorf("key %s is not in the allowlist", k)
	}
	return nil
}

// reload reads the allowlist again if its files changed; a.mu is held.
func (a *allowlist) reload() {
	files := []string{a.path}
	if fi, err := os.Stat(a.path); err == nil && fi.IsDir() {
		files, _ = filepath.Glob(filepath.Join(a.path, "*.pub"))
	}
	var stamp strings.Builder
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			fmt.Fprintf(&stamp, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if stamp.String() == a.stamp && a.keys != nil {
		return
	}
	keys := map[curve.Key]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			a.err = err
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, err := curve.ParseKey(line)
			if err != nil {
				a.err = fmt.Errorf("%s: %v", f, err)
				return
			}
			keys[k] = true
		}
	}
	a.stamp, a.keys, a.err = stamp.String(), keys, nil
}

// allowlistFlag is --curve-clients.
type allowlistFlag struct{ admit *func(curve.Key) error }

func (f allowlistFlag) Set(path string) error {
	a := &allowlist{path: path}
	a.reload()
	if a.err != nil {
		return fmt.Errorf("%s: %v", path, unwrapPath(a.err))
	}
	*f.admit = a.admit
	return nil
}
func (f allowlistFlag) String() string { return "" }
func (f allowlistFlag) Type() string   { return "path" }
