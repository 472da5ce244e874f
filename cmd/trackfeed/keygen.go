package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/trackfeed/trackfeed/curve"
)

var keygenCommand = command{
	name:     "keygen",
	synopsis: "NAME",
	summary:  "make a CURVE key pair: NAME.key (secret) and NAME.pub",
	about: `Keygen makes a CurveZMQ key pair, as libzmq's zmq_curve_keypair does, and
writes it in Z85, the form libzmq, pyzmq and the other ZeroMQ stacks read:
NAME.pub holds the public key, to give to the other side; NAME.key the
secret key, readable by this user only (mode 0600). Each file holds the
40-character key and a newline. It refuses to overwrite either file.

In pyzmq, a client uses them as:

  sock.curve_secretkey = open("NAME.key").read().strip().encode()
  sock.curve_publickey = open("NAME.pub").read().strip().encode()
  sock.curve_serverkey = open("server.pub").read().strip().encode()`,
	examples: `trackfeed keygen server
trackfeed keygen ~/.config/trackfeed/client`,
	new: func() commandRunner { return new(keygenCmd) },
}

type keygenCmd struct{}

func (*keygenCmd) flags(*pflag.FlagSet) {}

func (*keygenCmd) run(_ context.Context, st stdio, args []string) error {
	if len(args) != 1 {
		return usageErrorf("want one NAME: the key pair goes to NAME.key and NAME.pub (see 'trackfeed keygen --help')")
	}
	kp, err := curve.NewKeyPair()
	if err != nil {
		return fmt.Errorf("no random numbers for a key: %w", err)
	}
	name := args[0]
	// The secret first: a failure leaves no public key without its secret.
	if err := writeNew(name+".key", kp.Secret.String()+"\n", 0o600); err != nil {
		return err
	}
	if err := writeNew(name+".pub", kp.Public.String()+"\n", 0o644); err != nil {
		os.Remove(name + ".key")
		return err
	}
	fmt.Fprintf(st.stdout, "%s.pub\t%s\n", name, kp.Public)
	return nil
}

// writeNew writes a file that must not exist yet, with mode perm.
func writeNew(path, data string, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: keygen does not overwrite a key (remove it, or give another NAME)", path)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot write %s: folder %s does not exist (create it with mkdir -p, or give another NAME)", path, filepath.Dir(path))
	}
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot write %s: permission denied (give a NAME in a folder you can write)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
