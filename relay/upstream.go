package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/trackfeed/trackfeed/internal/zmtp"
)

// upstream serves one connection to a publisher, a relay or a proxy,
// dialed or accepted: the relay's subscriptions go up (subscribeUp, on a
// goroutine of its own), messages come down (receive, on the caller's).
// It returns when the connection ends or ctx does.
func (r *Relay) upstream(ctx context.Context, c *zmtp.Conn) error {
	r.upstreams.Add(1)
	defer r.upstreams.Add(-1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	cmds := make(chan []byte, 4) // PINGs and PONGs for the writer
	var werr error
	var wg sync.WaitGroup
	wg.Go(func() {
		werr = r.subscribeUp(ctx, c, cmds)
		cancel() // a failed write ends the reader too
	})
	err := r.receive(ctx, c, cmds)
	cancel()
	wg.Wait()
	if werr != nil {
		return werr
	}
	return err
}

// subscribeUp keeps the upstream's subscriptions equal to the relay's
// wants: on a new connection it sends every prefix, then each change, as
// ZMTP 3.0 subscription messages (0x01 or 0x00 and the prefix), which
// every PUB, XPUB and proxy takes. Changes made and undone between two
// writes are never sent. It also writes the reader's commands.
func (r *Relay) subscribeUp(ctx context.Context, c *zmtp.Conn, cmds <-chan []byte) error {
	sent := make(map[string]bool)
	var out []byte
	for {
		r.mu.Lock()
		out = out[:0]
		for p := range r.want {
			if !sent[p] {
				sent[p] = true
				out = appendSubscription(out, 1, p)
			}
		}
		for p := range sent {
			if _, ok := r.want[p]; !ok {
				delete(sent, p)
				out = appendSubscription(out, 0, p)
			}
		}
		changed := r.changed
		r.mu.Unlock()
		for {
			if len(out) > 0 {
				if err := c.Write(out); err != nil {
					return err
				}
				if err := c.Flush(time.Now().Add(r.cfg.WriteTimeout)); err != nil {
					return fmt.Errorf("send subscriptions upstream: %w", err)
				}
			}
			out = out[:0]
			select {
			case <-ctx.Done():
				return nil
			case <-changed:
			case cmd := <-cmds:
				out = append(out, cmd...)
				continue
			}
			break
		}
	}
}

func appendSubscription(dst []byte, op byte, prefix string) []byte {
	f := make([]byte, 0, 1+len(prefix))
	f = append(append(f, op), prefix...)
	return zmtp.AppendMsg(dst, f)
}

// receive forwards what the upstream sends and answers its PINGs; it
// PINGs an upstream that is quiet for a heartbeat and gives it up after
// three (zmtp.Heartbeat).
func (r *Relay) receive(ctx context.Context, c *zmtp.Conn, cmds chan<- []byte) error {
	hb := zmtp.Heartbeat{Interval: r.cfg.Heartbeat}
	ping := func(cmd []byte) error {
		if !r.command(ctx, cmds, cmd) {
			return ctx.Err()
		}
		return nil
	}
	// What the upstream sent while the relay was busy goes down as one
	// batch: a message is held only while the next one has been read
	// already (MsgBuffered), so holding it costs no wait.
	var b batch
	defer b.flush(r)
	for {
		if len(b.msgs) > 0 && (len(b.msgs) >= maxBatch || !c.MsgBuffered()) {
			b.flush(r)
		}
		frames, command, err := hb.ReadMsg(c, ping)
		switch {
		case errors.Is(err, zmtp.ErrTooLarge):
			r.log.Warn("upstream sent a message over the size limit; skipped", "err", err)
			continue
		case errors.Is(err, zmtp.ErrSilent):
			return fmt.Errorf("upstream %w", err)
		case errors.Is(err, io.EOF):
			return errors.New("upstream closed the connection")
		case err != nil:
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !command {
			b.add(r, frames)
			continue
		}
		name, data, err := zmtp.ParseCommand(frames[0])
		if err != nil {
			return err
		}
		switch name {
		case "PING":
			if !r.command(ctx, cmds, zmtp.AppendPong(nil, data)) {
				return nil
			}
		case "ERROR":
			return fmt.Errorf("upstream sent ERROR %q", data)
		}
	}
}

// command hands cmd to the writer; it reports false if ctx ended first.
func (r *Relay) command(ctx context.Context, cmds chan<- []byte, cmd []byte) bool {
	select {
	case cmds <- cmd:
		return true
	case <-ctx.Done():
		return false
	}
}

// maxBatch bounds the messages forwarded in one batch.
const maxBatch = 256

// batch is messages read from upstream and not yet forwarded.
type batch struct {
	topics []string
	msgs   [][]byte
}

// add copies one message, byte for byte, into the batch, and remembers
// it for the query socket.
func (b *batch) add(r *Relay, frames [][]byte) {
	n := 0
	for _, f := range frames {
		n += 9 + len(f) // the longest frame header
	}
	msg := zmtp.AppendMsg(make([]byte, 0, n), frames...)
	// Noted first, so that a query made once a subscriber has the
	// message finds it.
	r.last.note(frames, msg)
	r.forwarded.Add(1)
	b.topics = append(b.topics, string(frames[0]))
	b.msgs = append(b.msgs, msg)
}

// flush sends the batch on to the subscribers whose prefixes match.
func (b *batch) flush(r *Relay) {
	if len(b.msgs) == 0 {
		return
	}
	r.down.SendBatch(b.topics, b.msgs)
	clear(b.topics)
	clear(b.msgs)
	b.topics, b.msgs = b.topics[:0], b.msgs[:0]
}
