package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/curve"
)

// TestKeygen: the pair is a real pair, in Z85, the secret readable by its
// owner only, and nothing is overwritten. (test/interop checks that pyzmq
// takes such keys.)
func TestKeygen(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	name := filepath.Join(t.TempDir(), "server")
	r := runArgs(t, ctx, nil, "keygen", name)
	if r.err != nil {
		t.Fatalf("keygen: %v\n%s", r.err, r.stderr)
	}
	read := func(path string) (curve.Key, os.FileMode) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		k, err := curve.ParseKey(string(b))
		if err != nil || !strings.HasSuffix(string(b), "\n") || len(b) != 41 {
			t.Fatalf("%s holds %q: %v", path, b, err)
		}
		return k, fi.Mode().Perm()
	}
	secret, smode := read(name + ".key")
	public, _ := read(name + ".pub")
	if pub, err := curve.PublicOf(secret); err != nil || pub != public {
		t.Errorf("NAME.pub is not the public key of NAME.key")
	}
	if smode != 0o600 {
		t.Errorf("NAME.key has mode %v, want 0600", smode)
	}
	if want := name + ".pub\t" + public.String() + "\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	r = runArgs(t, ctx, nil, "keygen", name)
	if want := "trackfeed: keygen: " + name + ".key already exists: keygen does not overwrite a key (remove it, or give another NAME)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("again: exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
	if again, _ := read(name + ".key"); again != secret {
		t.Error("the second run changed the secret key")
	}
}

// TestKeygenNoFolder: a NAME in a folder that does not exist says which
// folder, and writes nothing.
func TestKeygenNoFolder(t *testing.T) {
	ctx := testContext(t, 10*time.Second)
	dir := filepath.Join(t.TempDir(), "missing")
	name := filepath.Join(dir, "client")
	r := runArgs(t, ctx, nil, "keygen", name)
	want := "trackfeed: keygen: cannot write " + name + ".key: folder " + dir + " does not exist (create it with mkdir -p, or give another NAME)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
	}
}
