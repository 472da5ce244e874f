package zmtp

import (
	"io"
	"sync"
)

// wbuf is a connection's write buffer: bufio.Writer's behaviour (Write
// copies, a full buffer is flushed, a write larger than the buffer goes
// straight through, the first error sticks), but the buffer is taken from
// a pool on the first Write after a Flush and given back when a Flush
// empties it. A relay holds a connection per subscriber, and most of them
// are idle between two messages: they hold no buffer. Measured with 2,000
// subscribers under 4 relays, the buffers that bufio.Writer kept for each
// connection were most of a relay's resident memory per subscriber
// (BENCHMARKS.md, issue 13).
type wbuf struct {
	w    io.Writer
	pool *sync.Pool // of *[]byte of one size
	size int
	buf  []byte  // nil while empty
	bufp *[]byte // what the pool gave, to give back
	err  error
}

var (
	poolsMu sync.Mutex
	pools   = map[int]*sync.Pool{}
)

// bufPool is the pool of write buffers of size bytes.
func bufPool(size int) *sync.Pool {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p, ok := pools[size]
	if !ok {
		p = &sync.Pool{New: func() any {
			b := make([]byte, 0, size)
			return &b
		}}
		pools[size] = p
	}
	return p
}

func newWbuf(w io.Writer, size int) *wbuf {
	return &wbuf{w: w, pool: bufPool(size), size: size}
}

// Buffered is the number of bytes written and not yet flushed.
func (b *wbuf) Buffered() int { return len(b.buf) }

// Available is how many bytes Write takes without a flush.
func (b *wbuf) Available() int { return b.size - len(b.buf) }

// Write buffers p, flushing first if it does not fit.
func (b *wbuf) Write(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(b.buf)+len(p) > b.size {
		if err := b.Flush(); err != nil {
			return 0, err
		}
		if len(p) >= b.size {
			n, err := b.w.Write(p)
			if err == nil && n < len(p) {
				err = io.ErrShortWrite
			}
			b.err = err
			return n, err
		}
	}
	if b.buf == nil {
		b.bufp = b.pool.Get().(*[]byte)
		b.buf = (*b.bufp)[:0]
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered and, when that is all of it, gives the
// buffer back to the pool. A short write keeps the rest, and the error.
func (b *wbuf) Flush() error {
	if b.err != nil {
		return b.err
	}
	if len(b.buf) == 0 {
		return nil
	}
	n, err := b.w.Write(b.buf)
	if err == nil && n < len(b.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 && n < len(b.buf) {
			b.buf = b.buf[:copy(b.buf, b.buf[n:])]
		}
		b.err = err
		return err
	}
	*b.bufp = b.buf[:0]
	b.pool.Put(b.bufp)
	b.buf, b.bufp = nil, nil
	return nil
}
