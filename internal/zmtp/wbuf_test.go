package zmtp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// shortWriter takes at most n bytes in all, then fails.
type shortWriter struct {
	bytes.Buffer
	n int
}

var errFull = errors.New("full")

func (w *shortWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k, _ := w.Buffer.Write(p[:w.n])
		w.n = 0
		return k, errFull
	}
	w.n -= len(p)
	return w.Buffer.Write(p)
}

// TestWbuf: what is written arrives in order, through the buffer or past
// it; a buffer that a Flush empties is given back (an idle connection
// holds none); the first error sticks, as with bufio.Writer.
func TestWbuf(t *testing.T) {
	var out bytes.Buffer
	b := newWbuf(&out, 16)
	var want []byte
	for _, s := range []string{"abc", "defghijk", "lmnopqrstuvwxyz0123456789", "!", "0123456789abcde"} {
		if _, err := b.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
		want = append(want, s...)
	}
	if b.Buffered() == 0 || b.buf == nil {
		t.Fatal("nothing buffered after a short write")
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if b.Buffered() != 0 || b.buf != nil || b.bufp != nil {
		t.Errorf("after Flush the buffer is still held (%d bytes, cap %d)", b.Buffered(), cap(b.buf))
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("wrote %q, want %q", out.Bytes(), want)
	}

	w := &shortWriter{n: 5}
	b = newWbuf(w, 16)
	b.Write([]byte("0123456789"))
	if err := b.Flush(); !errors.Is(err, errFull) {
		t.Fatalf("Flush of a short write = %v, want %v", err, errFull)
	}
	if b.Buffered() != 5 {
		t.Errorf("after a short write %d bytes buffered, want the 5 not taken", b.Buffered())
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, errFull) {
		t.Errorf("Write after an error = %v, want it again", err)
	}
	if got := w.String(); got != "01234" {
		t.Errorf("wrote %q", got)
	}
	if _, err := newWbuf(io.Discard, 4).Write(make([]byte, 100)); err != nil {
		t.Errorf("a write past the buffer: %v", err)
	}
}
