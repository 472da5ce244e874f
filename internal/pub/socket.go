package pub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/topics"
)

// Options configure a Socket. Zero values take the defaults.
type Options struct {
	// ServerOptions: MaxConns bounds subscribers (default 1024);
	// WriteTimeout disconnects one that takes longer to accept a write
	// (default 30s: a laptop suspended with its connection open is let go
	// instead of holding a full queue for ever); Linger is how long Close
	// waits to send what is queued (default 500ms); Limits bound what a
	// peer may send (default zmtp.DefaultLimits).
	zmtp.ServerOptions
	// HWM is each subscriber's queue, in messages (default 1000, as
	// libzmq's ZMQ_SNDHWM). A message for a subscriber whose queue is full
	// is dropped for that subscriber only.
	HWM int
	// MaxSubscriptionBytes bounds the sum of one peer's prefixes (default 64 KiB).
	MaxSubscriptionBytes int
	// OnSubscribe, if set, sees every change to the union of all
	// subscribers' prefixes: add when the first subscriber subscribes to a
	// prefix, !add when the last one cancels it or leaves. A relay forwards
	// these upstream. Calls come in the order of the changes, with the
	// socket's subscription lock held: OnSubscribe must not block, nor call
	// the Socket.
	OnSubscribe func(prefix string, add bool)
}

// Socket is a ZeroMQ PUB endpoint: libzmq's and pyzmq's SUB sockets, and
// trackfeed's subscriber, connect to it. It is built here rather than taken
// from zmq4.NewPub because that one writes to subscribers in turn with a
// blocking write: measured on this machine (v0.17.0, two SUBs, 64 KB
// messages at 100/s, one SUB never reading), the other SUB got nothing after
// message 83. Here each subscriber has its own goroutine and bounded queue,
// like libzmq's per-pipe high-water mark: a slow subscriber loses messages
// (counted), the others never wait for it.
type Socket struct {
	opts Options
	log  *slog.Logger
	srv  *zmtp.Server

	mu    sync.Mutex
	peers map[*peer]struct{}
	snap  atomic.Pointer[[]*peer] // copy of peers for Send, rebuilt on change

	lastSend atomic.Int64 // Unix ns of the last Send, to tell a slow feed from a fast one

	umu   sync.Mutex
	union map[string]int // prefix → subscribers that have it

	sent, dropped atomic.Uint64
}

// inlineGap is the time between two Sends past which Send writes to an
// idle subscriber itself instead of waking its writer goroutine. At 10
// msg/s a goroutine wake-up costs more than the write; at 10,000 msg/s the
// writer's batching (one flush for what queued meanwhile) is worth it.
const inlineGap = time.Millisecond

// maxInline bounds the messages Send writes itself, so that what the socket
// does not take always fits zmtp.Conn's buffer (64 KiB) without a wait.
const maxInline = 16 << 10

// Listen binds every endpoint (tcp://HOST:PORT or ipc://PATH) and starts
// accepting subscribers. If one endpoint fails, none stays bound. With no
// endpoint, the socket serves only the connections it makes (Connect).
func Listen(endpoints []string, opts Options) (*Socket, error) {
	if opts.HWM <= 0 {
		opts.HWM = 1000
	}
	if opts.MaxSubscriptionBytes <= 0 {
		opts.MaxSubscriptionBytes = 64 << 10
	}
	opts.ServerOptions = opts.ServerOptions.WithDefaults(zmtp.ServerOptions{
		MaxConns: 1024, WriteTimeout: 30 * time.Second, Linger: 500 * time.Millisecond, Limits: zmtp.DefaultLimits,
	})
	s := &Socket{opts: opts, log: opts.Logger, peers: make(map[*peer]struct{}), union: make(map[string]int)}
	s.snap.Store(new([]*peer))
	srv := (*zmtp.Server)(nil)
	if len(endpoints) == 0 {
		srv = zmtp.Unbound(zmq4.Pub, opts.ServerOptions)
	} else {
		var err error
		if srv, err = zmtp.Bind(endpoints, zmq4.Pub, opts.ServerOptions); err != nil {
			return nil, err
		}
	}
	s.srv = srv
	srv.Serve(zmtp.HandlerFunc(s.serve), func(nc net.Conn) {
		s.log.Warn("subscriber refused: too many connected", "remote", nc.RemoteAddr(), "max", opts.MaxConns)
	})
	return s, nil
}

// Endpoints are the bound endpoints, with ports the kernel chose filled in.
func (s *Socket) Endpoints() []string { return s.srv.Endpoints() }

// Connect dials endpoint (a relay's listening side, or the XSUB of
// libzmq's proxy) and serves that connection as a subscriber: what it
// subscribes to, it gets, on a queue of its own. The socket dials again
// whenever the connection ends, until Close. security is the
// connection's mechanism, as a client (nil: NULL).
func (s *Socket) Connect(endpoint string, security func() zmtp.Mechanism) {
	s.srv.Connect(endpoint, security, zmtp.LogEnded(s.log.With("connect", endpoint), "relay"))
}

// serve owns one subscriber from its handshake to its end.
func (s *Socket) serve(_ context.Context, c *zmtp.Conn) {
	nc := c.NetConn()
	p := &peer{
		s:    s,
		c:    c,
		q:    make(chan []byte, s.opts.HWM),
		ctrl: make(chan []byte, 4),
		kick: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	s.add(p)
	s.log.Debug("subscriber connected", "remote", nc.RemoteAddr())

	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		p.write()
	}()
	err := p.read()
	p.stop()
	writer.Wait()
	c.Close()
	s.remove(p)
	s.unite(p.subs.leave(), false)
	// A subscriber that leaves, by a close or a reset, is routine; a
	// protocol error or a stall is worth a warning.
	level := slog.LevelDebug
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) &&
		!errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		level = slog.LevelWarn
	}
	s.log.Log(context.Background(), level, "subscriber gone", "remote", nc.RemoteAddr(), "dropped", p.dropped.Load(), "reason", errString(err))
}

func errString(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

func (s *Socket) add(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peers[p] = struct{}{}
	s.rebuild()
}

func (s *Socket) remove(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.peers, p)
	s.rebuild()
}

func (s *Socket) rebuild() {
	snap := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		snap = append(snap, p)
	}
	s.snap.Store(&snap)
}

// unite adds prefixes, one subscriber's, to the union (or removes them)
// and tells OnSubscribe what that changed.
func (s *Socket) unite(prefixes []string, add bool) {
	if len(prefixes) == 0 {
		return
	}
	s.umu.Lock()
	defer s.umu.Unlock()
	for _, p := range prefixes {
		n := s.union[p]
		if add {
			s.union[p] = n + 1
		} else if n <= 1 {
			delete(s.union, p)
		} else {
			s.union[p] = n - 1
		}
		if (add && n == 0 || !add && n == 1) && s.opts.OnSubscribe != nil {
			s.opts.OnSubscribe(p, add)
		}
	}
}

// Subscriptions are the prefixes at least one subscriber has now, sorted.
func (s *Socket) Subscriptions() []string {
	s.umu.Lock()
	out := make([]string, 0, len(s.union))
	for p := range s.union {
		out = append(out, p)
	}
	s.umu.Unlock()
	slices.Sort(out)
	return out
}

// Send queues one message, already in wire form (zmtp.AppendMsg), for every
// subscriber whose subscriptions match topic. It never blocks. The socket
// keeps msg: do not modify it afterwards.
//
// When Sends are more than inlineGap apart, Send writes the message to each
// subscriber with nothing queued itself, as far as the socket takes it
// without waiting; the writer goroutine sends the rest.
func (s *Socket) Send(topic string, msg []byte) {
	now := time.Now()
	inline := now.UnixNano()-s.lastSend.Swap(now.UnixNano()) >= int64(inlineGap) && len(msg) <= maxInline
	for _, p := range *s.snap.Load() {
		if !p.subs.match(topic) {
			continue
		}
		if inline && p.writeInline(msg, now) {
			s.sent.Add(1)
			continue
		}
		p.pending.Add(1)
		select {
		case p.q <- msg:
			s.sent.Add(1)
		default:
			p.pending.Add(-1)
			p.dropped.Add(1)
			s.dropped.Add(1)
		}
	}
}

// Stats are counters since the socket was made.
type Stats struct {
	Subscribers int    // connected now, handshake done
	Queued      uint64 // messages queued for a subscriber
	Dropped     uint64 // messages dropped for a full queue
	Rejected    uint64 // connections refused past MaxSubscribers
}

// Stats returns the counters.
func (s *Socket) Stats() Stats {
	return Stats{
		Subscribers: len(*s.snap.Load()),
		Queued:      s.sent.Load(),
		Dropped:     s.dropped.Load(),
		Rejected:    s.srv.Rejected(),
	}
}

// Close stops accepting, gives every subscriber up to Linger to receive
// what is queued for it, and closes every connection. It waits for every
// goroutine of the socket and may be called more than once.
func (s *Socket) Close() error { return s.srv.Close() }

// peer is one subscriber connection: a reader goroutine (serve) for its
// subscriptions and heartbeats, a writer goroutine for its queue.
type peer struct {
	s    *Socket
	c    *zmtp.Conn
	q    chan []byte   // feed messages, bounded by HWM
	ctrl chan []byte   // PONG replies
	kick chan struct{} // wakes the writer to flush what writeInline left
	subs subscriptions

	// wmu is held by whoever writes to c: the writer goroutine during a
	// burst, or Send writing inline. pending counts messages put in q or
	// ctrl and not yet in c's buffer; Send writes inline only when it is 0
	// and c's buffer is empty, so nothing can overtake a queued message.
	wmu     sync.Mutex
	pending atomic.Int64

	dropped  atomic.Uint64
	deadline time.Time // the write deadline set last (under wmu)

	done     chan struct{}
	stopOnce sync.Once
}

func (p *peer) stop() { p.stopOnce.Do(func() { close(p.done) }) }

// writeInline writes m if nothing is queued and no write is under way, and
// reports whether it did. What the socket does not take at once goes into
// c's buffer for the writer goroutine to flush under its deadline.
func (p *peer) writeInline(m []byte, now time.Time) bool {
	if p.pending.Load() != 0 || !p.wmu.TryLock() {
		return false
	}
	defer p.wmu.Unlock()
	if p.pending.Load() != 0 || p.c.Buffered() != 0 || !p.s.srv.LingerUntil().IsZero() {
		return false
	}
	// The write deadline a burst left behind stays on the connection (see
	// flush) and would fail this write, which does not wait, once passed:
	// clear it; the writer sets a new one when it next flushes.
	if !p.deadline.IsZero() && !now.Before(p.deadline) {
		if p.c.NetConn().SetWriteDeadline(time.Time{}) != nil {
			return false
		}
		p.deadline = time.Time{}
	}
	n, err := p.c.TryWrite(m)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false // passed just now: the writer takes it
	}
	if err != nil {
		p.c.Close() // the reader sees it and ends the peer
		return true
	}
	if n < len(m) {
		p.c.Write(m[n:])
	}
	// Under CURVE, TryWrite takes m whole and buffers what the socket
	// did not take itself: the buffer, not n, says a flush is due.
	if p.c.Buffered() != 0 {
		select {
		case p.kick <- struct{}{}:
		default: // the writer has a kick waiting already
		}
	}
	return true
}

// write sends queued messages, coalescing whatever is queued into one
// flush. It ends when the peer stops (after sending what is queued, within
// Linger, if the socket is closing) or a write fails.
func (p *peer) write() {
	defer p.c.Close() // unblocks the reader when a write fails
	for {
		select {
		case m := <-p.q:
			if !p.burst(m) {
				return
			}
		case m := <-p.ctrl:
			if !p.burst(m) {
				return
			}
		case <-p.kick:
			if !p.burst(nil) {
				return
			}
		case <-p.done:
			return
		case <-p.s.srv.Done():
			p.linger()
			return
		}
	}
}

// burst writes m (a message taken from q or ctrl, or nil) and everything
// else already queued, then flushes.
func (p *peer) burst(m []byte) bool {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if m != nil {
		p.pending.Add(-1)
		if err := p.c.Write(m); err != nil {
			return false
		}
	}
	for more := true; more; {
		select {
		case m := <-p.q:
			p.pending.Add(-1)
			if p.c.Write(m) != nil {
				return false
			}
		case m := <-p.ctrl:
			p.pending.Add(-1)
			if p.c.Write(m) != nil {
				return false
			}
		default:
			more = false
		}
	}
	if err := p.flush(time.Now().Add(p.s.opts.WriteTimeout)); err != nil {
		if !errors.Is(err, net.ErrClosed) {
			p.s.log.Warn("subscriber too slow or gone; disconnecting", "remote", p.c.NetConn().RemoteAddr(), "err", err)
		}
		return false
	}
	return true
}

// flush sends what is buffered by deadline, or by Close's linger deadline
// if the socket is closing. Close sets the closing state, then the deadline
// on every connection; flush sets its deadline, then checks the state, so
// whichever comes last, a closing socket's deadline wins.
//
// The deadline is moved only when it has less than half its time left, not
// on every flush: at 10 msg/s to 10 subscribers the publisher's idle cost
// is mostly per-write overhead (BENCHMARKS.md), and a subscriber that
// accepts nothing is still cut off between WriteTimeout/2 and WriteTimeout.
func (p *peer) flush(deadline time.Time) error {
	if p.deadline.Sub(time.Now()) < p.s.opts.WriteTimeout/2 || deadline.Before(p.deadline) {
		if err := p.c.NetConn().SetWriteDeadline(deadline); err != nil {
			return err
		}
		p.deadline = deadline
	}
	return p.s.srv.FlushAsIs(p.c)
}

func (p *peer) linger() {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	for {
		select {
		case m := <-p.q:
			p.pending.Add(-1)
			if p.c.Write(m) != nil {
				return
			}
			continue
		default:
		}
		p.flush(p.s.srv.LingerUntil())
		return
	}
}

// read takes subscriptions and heartbeats from the peer until it leaves,
// breaks a limit, or the peer stops.
func (p *peer) read() error {
	for {
		frames, command, err := p.c.ReadMsg()
		if err != nil {
			return err
		}
		if command {
			if err := p.command(frames[0]); err != nil {
				return err
			}
			continue
		}
		// ZMTP 3.0 subscriptions: 1 or 0 then the prefix. Every frame of
		// a message counts, as with libzmq's PUB: an XSUB forwarding
		// several prefixes at once sends them as one multipart message.
		// Frames that are not subscriptions are ignored, as libzmq does.
		for _, f := range frames {
			if len(f) == 0 || f[0] > 1 {
				continue
			}
			if err := p.subscribe(string(f[1:]), f[0] == 1); err != nil {
				return err
			}
		}
	}
}

func (p *peer) command(frame []byte) error {
	name, data, err := zmtp.ParseCommand(frame)
	if err != nil {
		return err
	}
	switch name {
	case "PING":
		p.pending.Add(1)
		select {
		case p.ctrl <- zmtp.AppendPong(nil, data):
		default: // a peer that floods PINGs gets fewer PONGs
			p.pending.Add(-1)
		}
	case "SUBSCRIBE": // ZMTP 3.1
		return p.subscribe(string(data), true)
	case "CANCEL":
		p.subscribe(string(data), false)
	}
	return nil
}

// subscribe adds or removes one prefix, and tells the socket's union
// when the peer's distinct prefixes change.
func (p *peer) subscribe(prefix string, add bool) error {
	changed, err := p.subs.update(prefix, add, p.s.opts.MaxSubscriptionBytes)
	if changed {
		p.s.unite([]string{prefix}, add)
	}
	return err
}

// subscriptions is one peer's multiset of prefixes, with libzmq's semantics
// (subscribing twice needs two cancels). Its reader goroutine writes it,
// Send reads it.
type subscriptions struct {
	mu       sync.RWMutex
	prefixes topics.Set
	bytes    int // sum of distinct prefixes' lengths, plus one each
}

// update adds or removes prefix, and reports whether the distinct
// prefixes changed. A prefix that would take them over maxBytes is not
// added.
func (s *subscriptions) update(prefix string, add bool, maxBytes int) (changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case add && s.prefixes.Add(prefix):
		if s.bytes+len(prefix)+1 > maxBytes {
			s.prefixes.Remove(prefix)
			return false, fmt.Errorf("subscriptions over %d bytes", maxBytes)
		}
		s.bytes += len(prefix) + 1
		return true, nil
	case !add && s.prefixes.Remove(prefix):
		s.bytes -= len(prefix) + 1
		return true, nil
	}
	return false, nil
}

// leave empties the set and returns the distinct prefixes it had.
func (s *subscriptions) leave() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.prefixes.Prefixes()
	slices.Sort(out) // the same order of cancels on every run
	s.prefixes, s.bytes = topics.Set{}, 0
	return out
}

func (s *subscriptions) match(topic string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.prefixes.Match(topic)
}
