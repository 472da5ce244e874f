package task

import (
	"bytes"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// WriteTimeout is how long a peer may take to accept a message before its
// connection is given up.
const WriteTimeout = 10 * time.Second

// Conn is a ZMTP connection of the task system after its handshake: one
// goroutine receives, any number send. Recv answers PINGs by itself.
type Conn struct {
	c   *zmtp.Conn
	mu  sync.Mutex // held for a whole message written and flushed
	buf []byte
}

// NewConn wraps c, past its handshake.
func NewConn(c *zmtp.Conn) *Conn { return &Conn{c: c} }

// Zmtp is the connection underneath.
func (c *Conn) Zmtp() *zmtp.Conn { return c.c }

// Close closes the connection; a Recv in progress returns.
func (c *Conn) Close() error { return c.c.Close() }

// Send sends one message of frames, failing if the peer takes longer
// than WriteTimeout to take it.
func (c *Conn) Send(frames ...[]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = zmtp.AppendMsg(c.buf[:0], frames...)
	return c.write()
}

// write sends c.buf; c.mu is held.
func (c *Conn) write() error {
	if err := c.c.Write(c.buf); err != nil {
		return err
	}
	if cap(c.buf) > 1<<20 {
		c.buf = nil // a large result is not kept
	}
	return c.c.Flush(time.Now().Add(WriteTimeout))
}

// Recv returns the next message, its frames copied. Commands are not
// messages: a PING is answered with a PONG, the others are dropped.
func (c *Conn) Recv() ([][]byte, error) {
	for {
		frames, command, err := c.c.ReadMsg()
		if err != nil {
			return nil, err
		}
		if !command {
			out := make([][]byte, len(frames))
			for i, f := range frames {
				out[i] = bytes.Clone(f)
				if out[i] == nil {
					out[i] = []byte{}
				}
			}
			return out, nil
		}
		if name, data, err := zmtp.ParseCommand(frames[0]); err == nil && name == "PING" {
			c.mu.Lock()
			c.buf = zmtp.AppendPong(c.buf[:0], data)
			err = c.write()
			c.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
	}
}

// Is reports whether frame is the text s.
func Is(frame []byte, s string) bool { return string(frame) == s }
