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
// message 83. Here each subscriber has its own bounded queue, like libzmq's
// per-pipe high-water mark, and a writer goroutine while that queue holds
// something: a slow subscriber loses messages (counted), the others never
// wait for it.
type Socket struct {
	opts Options
	log  *slog.Logger
	srv  *zmtp.Server

	mu    sync.Mutex
	peers map[*peer]struct{}
	snap  atomic.Pointer[[]*peer] // copy of peers for Send
	stale atomic.Bool             // peers changed since snap was made

	idleSince atomic.Int64 // Unix ns when the last Send returned

	umu   sync.Mutex
	union map[string]int // prefix → subscribers that have it

	sent, dropped atomic.Uint64
}

// inlineGap is how long the socket must have been idle (no Send under way)
// for Send to write to an idle subscriber itself instead of handing the
// message to a writer goroutine. At 10 msg/s a goroutine wake-up costs
// more than the write; when Sends follow each other closely, or a Send
// finds the next message already waiting when it returns (a relay that is
// behind its upstream), the writers' batching, one write for everything
// queued meanwhile, is worth it. The gap is measured from the end of the
// last Send, not its start: a Send that takes longer than the feed's
// interval (a relay writing to 2,500 subscribers, one write each) would
// otherwise always look idle, never batch, and fall further behind
// (BENCHMARKS.md, issue 13).
const inlineGap = time.Millisecond

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

// serve owns one subscriber from its handshake to its end: it reads the
// subscriber's subscriptions and heartbeats, and waits for the writer
// goroutine, if one is running, before it returns.
func (s *Socket) serve(ctx context.Context, c *zmtp.Conn) {
	nc := c.NetConn()
	p := &peer{s: s, c: c}
	s.add(p)
	s.log.Debug("subscriber connected", "remote", nc.RemoteAddr())

	// When the socket closes, a writer sends what is queued within Linger
	// and then closes the connection, which ends the read below.
	stopLinger := context.AfterFunc(ctx, p.linger)
	err := p.read()
	stopLinger()
	p.stop()
	c.Close() // a writer blocked on a stalled peer returns at once
	p.writers.Wait()
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
	s.stale.Store(true)
}

func (s *Socket) remove(p *peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.peers, p)
	s.stale.Store(true)
}

// subscribers is the snapshot of the peers that Send goes through, made
// again when they have changed since. Made here rather than on every
// change: 2,500 subscribers connecting at once made as many copies of a
// list that grew to 2,500.
func (s *Socket) subscribers() []*peer {
	if s.stale.Load() {
		s.mu.Lock()
		if s.stale.Swap(false) {
			snap := make([]*peer, 0, len(s.peers))
			for p := range s.peers {
				snap = append(snap, p)
			}
			s.snap.Store(&snap)
		}
		s.mu.Unlock()
	}
	return *s.snap.Load()
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
// When the socket has been idle for inlineGap, Send writes the message to
// each subscriber with nothing queued itself, as far as the socket takes it
// without waiting; a writer goroutine sends the rest.
func (s *Socket) Send(topic string, msg []byte) {
	now := time.Now()
	inline := now.UnixNano()-s.idleSince.Load() >= int64(inlineGap)
	for _, p := range s.subscribers() {
		if !p.subs.match(topic) {
			continue
		}
		if p.send(msg, inline, now) {
			s.sent.Add(1)
		} else {
			s.dropped.Add(1)
		}
	}
	s.idleSince.Store(time.Now().UnixNano())
}

// SendBatch is Send for several messages in a row, in order (topics[i] is
// msgs[i]'s topic), as a relay forwards what its upstream sent while it
// was busy: each subscriber with nothing queued gets the messages it
// wants in one write, as far as its socket takes them without waiting,
// and the rest goes to its queue; the others get them queued, up to the
// HWM. One write per subscriber per batch, where Send would make one per
// message or wake a writer goroutine per subscriber, is what lets a relay
// that fell behind catch up, as libzmq's proxy does by writing all that
// its pipes hold at once (BENCHMARKS.md, issue 13).
func (s *Socket) SendBatch(topics []string, msgs [][]byte) {
	if len(msgs) == 1 {
		s.Send(topics[0], msgs[0])
		return
	}
	now := time.Now()
	var sel [][]byte
	var buf []byte // the batch in one piece, for a subscriber's write
	for _, p := range s.subscribers() {
		sel = p.subs.filter(sel[:0], topics, msgs)
		if len(sel) == 0 {
			continue
		}
		queued, dropped := p.sendBatch(sel, &buf, now)
		s.sent.Add(queued)
		s.dropped.Add(dropped)
	}
	clear(sel)
	s.idleSince.Store(time.Now().UnixNano())
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
		Subscribers: len(s.subscribers()),
		Queued:      s.sent.Load(),
		Dropped:     s.dropped.Load(),
		Rejected:    s.srv.Rejected(),
	}
}

// Close stops accepting, gives every subscriber up to Linger to receive
// what is queued for it, and closes every connection. It waits for every
// goroutine of the socket and may be called more than once.
func (s *Socket) Close() error { return s.srv.Close() }

// maxCtrl bounds the PONGs waiting for a subscriber: one that floods PINGs
// gets fewer PONGs.
const maxCtrl = 4

// keepCap is the capacity of a queue that an idle subscriber keeps
// between bursts; a longer one is let go, so that ten thousand idle
// subscribers hold almost nothing.
const keepCap = 4

// peer is one subscriber connection: its reader (serve's goroutine) reads
// subscriptions and heartbeats; a writer goroutine runs while its queue
// holds something.
//
// The connection's write side belongs to the writer while writing is
// true, and otherwise to whoever holds mu, which only Send does, to write
// a message at once (TryWrite, which never waits). So nothing written
// inline can overtake a queued message, and Send never waits for a write.
type peer struct {
	s    *Socket
	c    *zmtp.Conn
	subs subscriptions

	mu       sync.Mutex
	q        [][]byte // feed messages waiting, at most HWM (and a message's unwritten rest)
	spare    [][]byte // the writer's last batch, emptied, for reuse
	ctrl     [][]byte // PONGs waiting, at most maxCtrl
	writing  bool     // a writer goroutine owns the connection's writes
	closing  bool     // the socket is closing: send what is queued, then close
	stopped  bool     // the peer is gone or failed: nothing more is queued
	deadline time.Time
	writers  sync.WaitGroup

	dropped atomic.Uint64
}

// send writes m at once if inline and nothing is queued, or else queues
// it; it reports false if m was dropped for a full queue.
func (p *peer) send(m []byte, inline bool, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return true // gone: its reader is on its way out
	}
	if inline && !p.writing && !p.closing {
		n, ok := p.tryWrite(m, now)
		if ok {
			if n == len(m) {
				return true
			}
			// The rest goes first, whatever the queue's bound: the peer
			// has part of the message already.
			p.q = append(p.q, m[n:])
			p.startWriter()
			return true
		}
	}
	if len(p.q) >= p.s.opts.HWM {
		p.dropped.Add(1)
		return false
	}
	p.q = append(p.q, m)
	p.startWriter()
	return true
}

// sendBatch writes sel at once in one write, as far as the socket takes
// it, if nothing is queued, and queues the rest (up to the HWM); it
// returns how many messages it wrote or queued, and how many it dropped.
// buf is scratch space for the write, reused by the caller.
func (p *peer) sendBatch(sel [][]byte, buf *[]byte, now time.Time) (queued, dropped uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return 0, 0
	}
	// With no writer, the queue is empty: the writer ends only on an
	// empty queue, and only send and sendBatch add to it, under mu.
	if !p.writing && !p.closing {
		b := (*buf)[:0]
		for _, m := range sel {
			b = append(b, m...)
		}
		*buf = b
		if n, ok := p.tryWrite(b, now); ok {
			i := 0
			for i < len(sel) && n >= len(sel[i]) {
				n -= len(sel[i])
				i++
			}
			queued = uint64(i)
			if i < len(sel) && n > 0 {
				// The rest of a message the peer has in part goes
				// first, whatever the queue's bound.
				p.q = append(p.q, sel[i][n:])
				queued++
				i++
			}
			sel = sel[i:]
		}
	}
	for _, m := range sel {
		if len(p.q) >= p.s.opts.HWM {
			p.dropped.Add(1)
			dropped++
			continue
		}
		p.q = append(p.q, m)
		queued++
	}
	if len(p.q) > 0 {
		p.startWriter()
	}
	return queued, dropped
}

// tryWrite writes what of m the socket takes now, under mu with no writer
// running. It reports false if m is to be queued instead.
func (p *peer) tryWrite(m []byte, now time.Time) (int, bool) {
	// The write deadline a writer left behind stays on the connection (see
	// flush) and would fail this write, which does not wait, once passed:
	// clear it; the writer sets a new one when it next runs.
	if !p.deadline.IsZero() && !now.Before(p.deadline) {
		if p.c.NetConn().SetWriteDeadline(time.Time{}) != nil {
			return 0, false
		}
		p.deadline = time.Time{}
	}
	n, err := p.c.TryWrite(m)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, false // passed just now: the writer takes it
	case err != nil:
		p.stopped = true
		p.c.Close() // the reader sees it and ends the peer
		return len(m), true
	}
	// Under CURVE, TryWrite takes m whole and buffers what the socket did
	// not take itself: an empty entry in the queue has the writer flush it
	// (a writer runs only while its queue holds something).
	if n == len(m) && p.c.Buffered() != 0 {
		p.q = append(p.q, nil)
		p.startWriter()
	}
	return n, true
}

// startWriter starts the writer goroutine unless one is running. Under mu.
func (p *peer) startWriter() {
	if p.writing || p.stopped {
		return
	}
	p.writing = true
	p.writers.Add(1)
	go p.write()
}

// stop ends the peer: nothing more is queued or written.
func (p *peer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
}

// linger runs when the socket closes: a writer sends what is queued,
// within Linger, then closes the connection.
func (p *peer) linger() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closing = true
	p.startWriter()
}

// write sends what is queued, everything queued at each turn in one
// flush, until the queue is empty; then it gives the connection's writes
// back to Send and ends. It also ends when the peer stops or a write
// fails, and, once the socket is closing, closes the connection when the
// queue is empty.
func (p *peer) write() {
	defer p.writers.Done()
	for {
		p.mu.Lock()
		batch, ctrl, closing := p.q, p.ctrl, p.closing
		p.q, p.spare, p.ctrl = p.spare, nil, nil
		if p.stopped || len(batch) == 0 && len(ctrl) == 0 {
			p.writing = false
			// Keep the two queues for the next burst if they are short.
			p.q, p.spare = keep(p.q), keep(batch)
			if p.stopped {
				p.q, p.spare = nil, nil
			}
			p.mu.Unlock()
			if closing {
				p.c.Close()
			}
			return
		}
		p.mu.Unlock()

		err := p.burst(ctrl, batch)
		clear(batch) // the messages are the socket's, not the queue's
		p.mu.Lock()
		p.spare = batch[:0]
		if err != nil {
			p.stopped, p.writing = true, false
		}
		p.mu.Unlock()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.s.log.Warn("subscriber too slow or gone; disconnecting", "remote", p.c.NetConn().RemoteAddr(), "err", err)
			}
			p.c.Close() // the reader sees it and ends the peer
			return
		}
	}
}

// keep is q emptied, or nil if it is long enough that an idle peer
// should not hold it.
func keep(q [][]byte) [][]byte {
	if cap(q) > keepCap {
		return nil
	}
	return q[:0]
}

// burst writes batch and ctrl and flushes, under the write deadline. The
// PONGs go last: the batch may begin with the rest of a message that Send
// wrote in part, and ends where a message does.
func (p *peer) burst(ctrl, batch [][]byte) error {
	// The deadline goes on before the writes: a message larger than the
	// connection's buffer is written through at once.
	if err := p.setDeadline(time.Now().Add(p.s.opts.WriteTimeout)); err != nil {
		return err
	}
	for _, m := range batch {
		if err := p.c.Write(m); err != nil {
			return err
		}
	}
	for _, m := range ctrl {
		if err := p.c.Write(m); err != nil {
			return err
		}
	}
	return p.s.srv.FlushAsIs(p.c)
}

// setDeadline moves the write deadline to deadline, but only when it has
// less than half its time left: at 10 msg/s to 10 subscribers the
// publisher's idle cost is mostly per-write overhead (BENCHMARKS.md), and
// a subscriber that accepts nothing is still cut off between
// WriteTimeout/2 and WriteTimeout. Close's linger deadline, set on the
// connection by the server, wins over it (zmtp.Server.FlushAsIs). Only
// the writer calls it, and tryWrite, which runs when no writer does.
func (p *peer) setDeadline(deadline time.Time) error {
	if p.deadline.Sub(time.Now()) < p.s.opts.WriteTimeout/2 || deadline.Before(p.deadline) {
		if err := p.c.NetConn().SetWriteDeadline(deadline); err != nil {
			return err
		}
		p.deadline = deadline
	}
	return nil
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
		p.mu.Lock()
		if len(p.ctrl) < maxCtrl { // a peer that floods PINGs gets fewer PONGs
			p.ctrl = append(p.ctrl, zmtp.AppendPong(nil, data))
			p.startWriter()
		}
		p.mu.Unlock()
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

// filter appends to dst the msgs whose topics match.
func (s *subscriptions) filter(dst [][]byte, topics []string, msgs [][]byte) [][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, t := range topics {
		if s.prefixes.Match(t) {
			dst = append(dst, msgs[i])
		}
	}
	return dst
}

func (s *subscriptions) match(topic string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.prefixes.Match(topic)
}
