package zmtp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
)

// ServerOptions are what every bound socket of trackfeed shares. Zero
// values take the defaults that the socket passes to Bind.
type ServerOptions struct {
	// MaxConns bounds connections, handshaking ones included. Connections
	// past it are closed at once.
	MaxConns int
	// WriteTimeout disconnects a peer that takes longer than this to accept
	// a write.
	WriteTimeout time.Duration
	// Linger is how long Close waits for what is being written.
	Linger time.Duration
	// Limits bound what a peer may send.
	Limits Limits
	// Logger receives connection events (default: discard).
	Logger *slog.Logger
}

// WithDefaults returns o with each zero field taken from def.
func (o ServerOptions) WithDefaults(def ServerOptions) ServerOptions {
	if o.MaxConns <= 0 {
		o.MaxConns = def.MaxConns
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = def.WriteTimeout
	}
	if o.Linger <= 0 {
		o.Linger = def.Linger
	}
	o.Limits = o.Limits.Or(def.Limits)
	if o.Logger == nil {
		o.Logger = def.Logger
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server is the bound side of a ZeroMQ socket: it listens on its endpoints,
// accepts a bounded number of connections, runs the handshake of each under
// a deadline and hands it to a handler on a goroutine of its own. Close
// stops accepting, gives every write the linger time and waits for every
// handler.
type Server struct {
	opts      ServerOptions
	typ       zmq4.SocketType
	handle    func(context.Context, *Conn)
	refused   func(net.Conn)
	listeners []net.Listener
	slots     chan struct{}

	ctx         context.Context // cancelled by Close
	cancel      context.CancelFunc
	lingerUntil atomic.Int64 // Unix ns: Close's deadline for every write
	wg          sync.WaitGroup
	rejected    atomic.Uint64

	mu     sync.Mutex
	conns  map[*Conn]struct{} // past the handshake
	closed bool
	old    map[string]bool // hosts told their ZMTP is too old
}

// oldPeer reports whether host is new among the peers whose ZMTP is too
// old, so that a peer that reconnects every 100 ms, as JeroMQ 0.3 does, is
// warned about once. The set forgets everything when it grows large.
func (s *Server) oldPeer(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.old[host] {
		return false
	}
	if s.old == nil || len(s.old) >= 1024 {
		s.old = map[string]bool{}
	}
	s.old[host] = true
	return true
}

// Handler serves one connection of a Server after its handshake. The
// connection is closed when Serve returns. ctx ends when the server's
// Close begins: Serve should then return soon, after at most the linger
// time spent writing.
type Handler interface {
	Serve(ctx context.Context, c *Conn)
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(context.Context, *Conn)

// Serve calls f(ctx, c).
func (f HandlerFunc) Serve(ctx context.Context, c *Conn) { f(ctx, c) }

// Bind binds every endpoint (tcp://HOST:PORT or ipc://PATH) for a socket
// of type typ; Serve starts accepting. If one endpoint fails, none stays
// bound; the error wraps the system's (errors.Is(err, syscall.EADDRINUSE)
// tells a taken port).
func Bind(endpoints []string, typ zmq4.SocketType, opts ServerOptions) (*Server, error) {
	if len(endpoints) == 0 {
		return nil, ErrNoEndpoint
	}
	return bind(endpoints, typ, opts)
}

// Unbound returns a server that listens nowhere: it serves only the
// connections it makes itself (Connect).
func Unbound(typ zmq4.SocketType, opts ServerOptions) *Server {
	s, _ := bind(nil, typ, opts)
	return s
}

// ErrNoEndpoint is returned by Bind when given no endpoint.
var ErrNoEndpoint = errors.New("no endpoint to bind")

func bind(endpoints []string, typ zmq4.SocketType, opts ServerOptions) (*Server, error) {
	opts = opts.WithDefaults(ServerOptions{MaxConns: 1024, WriteTimeout: 30 * time.Second, Linger: 500 * time.Millisecond, Limits: DefaultLimits})
	s := &Server{
		opts:  opts,
		typ:   typ,
		slots: make(chan struct{}, opts.MaxConns),
		conns: make(map[*Conn]struct{}),
	}
	for _, ep := range endpoints {
		l, err := Listen(ep)
		if err != nil {
			for _, l := range s.listeners {
				l.Close()
			}
			return nil, err
		}
		s.listeners = append(s.listeners, l)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Serve starts accepting connections for h, once the socket built on the
// server is ready for them. refused, if not nil, sees each connection
// turned away past MaxConns before it is closed. Call it once.
func (s *Server) Serve(h Handler, refused func(net.Conn)) {
	s.handle, s.refused = h.Serve, refused
	for _, l := range s.listeners {
		s.wg.Add(1)
		go s.accept(l)
	}
}

// Connect dials endpoint, and dials it again whenever the connection
// ends, until Close: each connection, past its handshake (as the client
// side), is served by the handler like an accepted one, and Close treats
// it the same way. security is the mechanism of the connection (nil:
// NULL): the server's Limits.Security is a server's, for the peers it
// accepts, and here it is the client. ended, if not nil, sees each failed
// attempt and each connection's end (see Redialer). Call it after Serve.
func (s *Server) Connect(endpoint string, security func() Mechanism, ended func(err error, connected bool)) {
	lim := s.opts.Limits
	lim.Security = security
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		Redialer{Endpoint: endpoint, Type: s.typ, Limits: lim, Ended: ended}.Run(s.ctx, func(_ context.Context, c *Conn) error {
			if !s.track(c, true) {
				return nil
			}
			defer s.track(c, false)
			s.handle(s.ctx, c)
			return nil
		})
	}()
}

// Endpoints are the bound endpoints, with ports the kernel chose filled in.
func (s *Server) Endpoints() []string {
	eps := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		eps[i] = Endpoint(l.Addr())
	}
	return eps
}

// Options are the server's options, defaults filled in.
func (s *Server) Options() ServerOptions { return s.opts }

// Done is closed when Close begins.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// Rejected counts the connections refused past MaxConns.
func (s *Server) Rejected() uint64 { return s.rejected.Load() }

// LingerUntil is the deadline Close gave every write, zero before Close.
func (s *Server) LingerUntil() time.Time {
	if ns := s.lingerUntil.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Flush sends what c has buffered within the WriteTimeout, or by Close's
// linger deadline once the server is closing. Close marks the server, then
// sets its deadline on every connection; Flush sets its own deadline, then
// looks for Close's, so whichever comes last, the linger deadline wins.
func (s *Server) Flush(c *Conn) error {
	if err := c.nc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil {
		return err
	}
	return s.FlushAsIs(c)
}

// FlushAsIs is Flush under the write deadline c has, or Close's linger
// deadline if the server is closing.
func (s *Server) FlushAsIs(c *Conn) error {
	if until := s.lingerUntil.Load(); until != 0 {
		if err := c.nc.SetWriteDeadline(time.Unix(0, until)); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

// Close stops accepting, gives a write in progress on every connection up
// to Linger, and waits for every handler to return. It may be called more
// than once.
func (s *Server) Close() error {
	s.lingerUntil.CompareAndSwap(0, time.Now().Add(s.opts.Linger).UnixNano())
	s.cancel()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.nc.SetWriteDeadline(time.Unix(0, s.lingerUntil.Load()))
	}
	s.mu.Unlock()
	for _, l := range s.listeners {
		l.Close()
	}
	s.wg.Wait()
	return nil
}

func (s *Server) accept(l net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if isTemporary(err) {
				// EMFILE and friends: wait a moment rather than spin.
				s.opts.Logger.Warn("accept failed; retrying", "endpoint", Endpoint(l.Addr()), "err", err)
				select {
				case <-time.After(100 * time.Millisecond):
				case <-s.ctx.Done():
					return
				}
				continue
			}
			s.opts.Logger.Error("accept stopped", "endpoint", Endpoint(l.Addr()), "err", err)
			return
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.rejected.Add(1)
			if s.refused != nil {
				s.refused(nc)
			}
			nc.Close()
			continue
		}
		s.wg.Add(1)
		go s.serve(nc)
	}
}

// serve runs one connection's handshake, then hands the connection to
// the handler on a goroutine of its own, which owns it from then on.
//
// Why a second goroutine: the handshake (zmq4's) grows its goroutine's
// stack to 16 KiB, and a stack shrinks only by half, and only while less
// than a quarter of it is in use, so the handler, which waits in a read
// for the connection's life, would keep 8 KiB. Started afresh, it keeps
// what its reads need: on a relay with 2,500 subscribers that was most of
// the memory each one cost (BENCHMARKS.md, issue 13).
func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	// End the handshake if the server closes during it. The handshake's
	// own deadline is set first: set by Handshake, it could undo a Close
	// that came just before.
	lim := s.opts.Limits
	if lim.HandshakeTimeout > 0 {
		nc.SetDeadline(time.Now().Add(lim.HandshakeTimeout))
		lim.HandshakeTimeout = 0
	}
	stop := context.AfterFunc(s.ctx, func() { nc.SetDeadline(time.Now()) })
	c, err := Handshake(nc, s.typ, true, lim)
	if stopped := !stop(); err != nil || stopped {
		var old *VersionError
		switch {
		case errors.As(err, &old) && s.oldPeer(remoteHost(nc)):
			s.opts.Logger.Warn("peer refused: its ZMTP is too old", "remote", nc.RemoteAddr(), "peer_zmtp", old.Version(), "min_zmtp", MinVersion, "err", err)
		case err != nil:
			s.opts.Logger.Debug("handshake failed", "remote", nc.RemoteAddr(), "err", err)
		}
		nc.Close()
		<-s.slots
		return
	}
	s.wg.Add(1)
	go s.run(c)
}

// run serves c, after its handshake, until the handler returns.
func (s *Server) run(c *Conn) {
	defer s.wg.Done()
	defer func() { <-s.slots }()
	defer c.Close()
	if !s.track(c, true) {
		return
	}
	defer s.track(c, false)
	s.handle(s.ctx, c)
}

// track adds c to the connections Close reaches (or removes it); it
// reports false if the server is closing.
func (s *Server) track(c *Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// isTemporary tells a resource error worth retrying (too many open files)
// from a closed listener.
func isTemporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// remoteHost is the host part of a connection's remote address.
func remoteHost(nc net.Conn) string {
	addr := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
