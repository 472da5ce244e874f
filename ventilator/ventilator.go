package ventilator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/task"
)

// Default endpoints, following the feed's 10001 and the query socket's 10002.
var (
	DefaultControl = "tcp://*:" + strconv.Itoa(task.ControlPort)
	DefaultFan     = "tcp://*:" + strconv.Itoa(task.FanPort)
	DefaultSink    = "tcp://*:" + strconv.Itoa(task.SinkPort)
)

// DefaultJobTimeout is how long a worker may hold a job before it goes to
// another.
const DefaultJobTimeout = 30 * time.Second

// Config configures a Ventilator. Empty endpoint lists take the defaults.
type Config struct {
	Control []string // where clients connect (ROUTER)
	Fan     []string // where workers take jobs (PUSH)
	Sink    []string // where workers send results (SUB)
	// JobTimeout is how long a job may go without a result before it is
	// handed to another worker (default DefaultJobTimeout).
	JobTimeout time.Duration
	// Curve, if set, is the ventilator's CURVE key pair: its three
	// sockets then speak CURVE only, and clients and workers must hold its
	// public key. CurveAdmit, if set, decides which of their keys get in
	// (an error says why not); without it any peer with the public key
	// does, as libzmq's default is. Each refused key is logged once and
	// counted in Stats.
	Curve      *curve.KeyPair
	CurveAdmit func(peer curve.Key) error
	// Logger receives connections, refusals and reassigned jobs (default:
	// discard).
	Logger *slog.Logger
}

// Ventilator is the broker. New binds its sockets; Run serves them.
type Ventilator struct {
	cfg                    Config
	log                    *slog.Logger
	control, fan, sink     *zmtp.Server
	fanEndpoints           string     // as told to clients that wait
	gate                   *zmtp.Gate // CURVE's allowlist; nil without CURVE
	mu                     sync.Mutex
	clients                map[*client]struct{}
	ready                  []*taskState // tasks with queued jobs, served in turn
	peers                  []*peer
	inflight               map[uint64]*job
	expired                map[uint64]*peer // jobs given to another after their deadline
	nextID                 uint64
	queued                 int
	reassigned, duplicates uint64
}

// BindError is a socket that could not be bound.
type BindError struct {
	Socket string // control, fan or sink
	Err    error
}

func (e *BindError) Error() string { return fmt.Sprintf("%s socket: %v", e.Socket, e.Err) }
func (e *BindError) Unwrap() error { return e.Err }

// New binds the three sockets, or none.
func New(cfg Config) (*Ventilator, error) {
	if len(cfg.Control) == 0 {
		cfg.Control = []string{DefaultControl}
	}
	if len(cfg.Fan) == 0 {
		cfg.Fan = []string{DefaultFan}
	}
	if len(cfg.Sink) == 0 {
		cfg.Sink = []string{DefaultSink}
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Ventilator{
		cfg:      cfg,
		log:      cfg.Logger,
		clients:  make(map[*client]struct{}),
		inflight: make(map[uint64]*job),
		expired:  make(map[uint64]*peer),
	}
	opts := zmtp.ServerOptions{WriteTimeout: task.WriteTimeout, Logger: cfg.Logger}
	var security func() zmtp.Mechanism
	if cfg.Curve != nil {
		v.gate = zmtp.NewGate(cfg.CurveAdmit, cfg.Logger)
		security = v.gate.Server(*cfg.Curve)
	}
	var servers []*zmtp.Server
	for _, s := range []struct {
		name string
		eps  []string
		typ  zmq4.SocketType
		lim  zmtp.Limits
		dst  **zmtp.Server
	}{
		{"control", cfg.Control, zmq4.Router, task.ControlLimits, &v.control},
		{"fan", cfg.Fan, zmq4.Push, task.JobLimits, &v.fan},
		{"sink", cfg.Sink, zmq4.Sub, task.SinkLimits, &v.sink},
	} {
		o := opts
		o.Limits = s.lim
		o.Limits.Security = security
		srv, err := zmtp.Bind(s.eps, s.typ, o)
		if err != nil {
			for _, srv := range servers {
				srv.Close()
			}
			return nil, &BindError{Socket: s.name, Err: err}
		}
		servers = append(servers, srv)
		*s.dst = srv
	}
	v.fanEndpoints = strings.Join(v.endpoints(cfg.Fan, v.fan), ",")
	return v, nil
}

// endpoints are the bound endpoints as configured, with the ports the
// kernel chose: "tcp://*:10004" stays so, not "tcp://127.0.0.1:10004".
func (v *Ventilator) endpoints(configured []string, s *zmtp.Server) []string {
	bound := s.Endpoints()
	out := make([]string, len(bound))
	for i, b := range bound {
		out[i] = b
		c := configured[i]
		if strings.HasPrefix(c, "tcp://") {
			_, port, err1 := net.SplitHostPort(strings.TrimPrefix(b, "tcp://"))
			host, _, err2 := net.SplitHostPort(strings.TrimPrefix(c, "tcp://"))
			if err1 == nil && err2 == nil {
				out[i] = "tcp://" + net.JoinHostPort(host, port)
			}
		}
	}
	return out
}

// Endpoints are the bound endpoints of each socket, with the ports the
// kernel chose and 127.0.0.1 for a wildcard host: where a client or worker
// on this machine connects.
func (v *Ventilator) Endpoints() (control, fan, sink []string) {
	return v.control.Endpoints(), v.fan.Endpoints(), v.sink.Endpoints()
}

// Stats is a snapshot of the ventilator's state.
type Stats struct {
	Clients    int    // control connections
	Workers    int    // fan connections
	Queued     int    // jobs waiting for a worker
	InFlight   int    // jobs with a worker
	Reassigned uint64 // jobs handed to another worker after a deadline or a worker's leaving
	Duplicates uint64 // results dropped: late, unknown or for a task gone
	// CurveRefused counts CURVE handshakes refused: a key not admitted.
	CurveRefused uint64
}

// Stats returns the current counts.
func (v *Ventilator) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return Stats{Clients: len(v.clients), Workers: len(v.peers), Queued: v.queued, InFlight: len(v.inflight),
		Reassigned: v.reassigned, Duplicates: v.duplicates, CurveRefused: v.gate.Refused()}
}

// Run serves until ctx ends, then closes the sockets and returns nil once
// every connection's goroutines have ended.
func (v *Ventilator) Run(ctx context.Context) error {
	v.control.Serve(zmtp.HandlerFunc(v.serveClient), nil)
	v.fan.Serve(zmtp.HandlerFunc(v.servePeer), nil)
	v.sink.Serve(zmtp.HandlerFunc(v.serveSink), nil)
	var wg sync.WaitGroup
	wg.Go(func() { v.deadlines(ctx) })
	<-ctx.Done()
	var errs []error
	for _, s := range []*zmtp.Server{v.control, v.fan, v.sink} {
		errs = append(errs, s.Close())
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close releases the sockets of a Ventilator whose Run was never called.
func (v *Ventilator) Close() error {
	return errors.Join(v.control.Close(), v.fan.Close(), v.sink.Close())
}

// job is one client job, queued or with a worker.
type job struct {
	id       uint64 // the ventilator's; a new one each time the job is handed out
	task     *taskState
	clientID []byte
	kind     []byte
	body     []byte
	peer     *peer
	deadline time.Time
}

// taskState is a client's task: its queued jobs.
type taskState struct {
	id      []byte
	client  *client
	queue   []*job
	gone    bool // cancelled, or its client left
	waiting bool // the client was told no worker is connected
	inReady bool
}

// client is a control connection.
type client struct {
	conn        *task.Conn
	out         chan [][]byte // messages for the client, written by its writer
	tasks       map[string]*taskState
	outstanding int // jobs not yet answered
	gone        bool
}

// jobMsg is a job as its writer sends it: a copy, since the job may be
// handed to another worker meanwhile.
type jobMsg struct {
	id         uint64
	kind, body []byte
}

// peer is a fan connection: a worker's PULL.
type peer struct {
	remote   string
	jobs     chan jobMsg // what its writer sends; never more than task.Credit
	inflight int
	gone     bool
}

// tell queues a message for c; a client that does not read what it is
// owed (more than its jobs' results) is disconnected. v.mu is held.
func (v *Ventilator) tell(c *client, frames ...[]byte) {
	if c.gone {
		return
	}
	select {
	case c.out <- frames:
	default:
		v.log.Warn("client not reading its results; disconnecting", "remote", c.conn.Zmtp().NetConn().RemoteAddr().String())
		c.conn.Close()
	}
}

// dispatch hands queued jobs to peers with credit, taking the tasks in
// turn. v.mu is held.
func (v *Ventilator) dispatch() {
	for len(v.ready) > 0 {
		var p *peer
		for _, q := range v.peers {
			if q.inflight < task.Credit && (p == nil || q.inflight < p.inflight) {
				p = q
			}
		}
		if p == nil {
			return
		}
		t := v.ready[0]
		v.ready = v.ready[1:]
		j := t.queue[0]
		t.queue[0] = nil
		t.queue = t.queue[1:]
		v.queued--
		if len(t.queue) > 0 {
			v.ready = append(v.ready, t)
		} else {
			t.inReady = false
			t.queue = nil
		}
		v.nextID++
		j.id, j.peer, j.deadline = v.nextID, p, time.Now().Add(v.cfg.JobTimeout)
		v.inflight[j.id] = j
		p.inflight++
		p.jobs <- jobMsg{j.id, j.kind, j.body} // room is there: p.inflight counts what the channel holds
		v.log.Debug("job handed out", "job", j.id, "kind", string(j.kind), "worker", p.remote)
	}
}

// enqueue puts j on its task's queue, at the front if it goes back there.
// v.mu is held.
func (v *Ventilator) enqueue(j *job, front bool) {
	t := j.task
	if front {
		t.queue = append([]*job{j}, t.queue...)
	} else {
		t.queue = append(t.queue, j)
	}
	v.queued++
	if !t.inReady {
		t.inReady = true
		v.ready = append(v.ready, t)
	}
	if len(v.peers) == 0 && !t.waiting {
		t.waiting = true
		v.tell(t.client, []byte(task.CmdWaiting), t.id, []byte(v.fanEndpoints))
	}
}

// drop removes task t and its queued jobs. v.mu is held.
func (v *Ventilator) drop(t *taskState) {
	t.gone = true
	t.client.outstanding -= len(t.queue)
	v.queued -= len(t.queue)
	t.queue = nil
	if t.inReady {
		t.inReady = false
		for i, r := range v.ready {
			if r == t {
				v.ready = append(v.ready[:i], v.ready[i+1:]...)
				break
			}
		}
	}
	delete(t.client.tasks, string(t.id))
}

// deadlines hands to another worker every job past its deadline.
func (v *Ventilator) deadlines(ctx context.Context) {
	tick := time.NewTicker(max(v.cfg.JobTimeout/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			v.mu.Lock()
			for id, j := range v.inflight {
				if now.After(j.deadline) {
					delete(v.inflight, id)
					// The worker keeps the credit until it answers or leaves,
					// so a stuck worker is given nothing more.
					v.expired[id] = j.peer
					v.reassigned++
					v.log.Info("job timed out; handing it to another worker", "job", id, "kind", string(j.kind))
					if j.task.gone {
						j.task.client.outstanding--
					} else {
						j.peer = nil
						v.enqueue(j, true)
					}
				}
			}
			v.dispatch()
			v.mu.Unlock()
		}
	}
}

// serveClient serves one control connection.
func (v *Ventilator) serveClient(ctx context.Context, zc *zmtp.Conn) {
	c := &client{conn: task.NewConn(zc), out: make(chan [][]byte, task.MaxOutstanding+64), tasks: make(map[string]*taskState)}
	remote := zc.NetConn().RemoteAddr().String()
	v.log.Debug("client connected", "remote", remote)
	v.mu.Lock()
	v.clients[c] = struct{}{}
	v.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { zc.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		for m := range c.out {
			if err := c.conn.Send(m...); err != nil {
				zc.Close()
				for range c.out {
				}
				return
			}
		}
	})
	for {
		m, err := c.conn.Recv()
		if err != nil {
			v.log.Debug("client gone", "remote", remote, "err", err)
			break
		}
		v.fromClient(c, m)
	}
	v.mu.Lock()
	for _, t := range c.tasks {
		v.drop(t)
	}
	c.gone = true
	delete(v.clients, c)
	close(c.out)
	v.mu.Unlock()
	wg.Wait()
}

// fromClient handles one message from a client.
func (v *Ventilator) fromClient(c *client, m [][]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	refuse := func(taskID []byte, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		v.log.Warn("client message refused", "remote", c.conn.Zmtp().NetConn().RemoteAddr().String(), "err", msg)
		v.tell(c, []byte(task.CmdError), taskID, []byte(msg))
	}
	switch {
	case len(m) > 0 && len(m[0]) == 0:
		// A REQ's envelope: answer in one, and say what to use.
		v.tell(c, []byte{}, []byte(task.CmdError), []byte{}, []byte("the control socket streams results: connect a DEALER, not a REQ"))
	case len(m) == 5 && task.Is(m[0], task.CmdJob):
		taskID, jobID, kind, body := m[1], m[2], m[3], m[4]
		if len(taskID) == 0 || len(taskID) > task.MaxTaskID {
			refuse(nil, "job: task name of %d bytes, want 1 to %d", len(taskID), task.MaxTaskID)
			return
		}
		if _, err := task.ParseID(jobID); err != nil {
			refuse(taskID, "job: %v", err)
			return
		}
		if _, err := task.ParseJob(string(kind), body); err != nil {
			refuse(taskID, "job %s: %v", jobID, err)
			return
		}
		if c.outstanding >= task.MaxOutstanding {
			refuse(taskID, "job %s: %d jobs unanswered already; wait for results before sending more", jobID, c.outstanding)
			return
		}
		t := c.tasks[string(taskID)]
		if t == nil {
			t = &taskState{id: taskID, client: c}
			c.tasks[string(taskID)] = t
		}
		c.outstanding++
		v.enqueue(&job{task: t, clientID: jobID, kind: kind, body: body}, false)
		v.dispatch()
	case len(m) == 2 && task.Is(m[0], task.CmdCancel):
		if t := c.tasks[string(m[1])]; t != nil {
			v.drop(t)
		}
	default:
		var first string
		if len(m) > 0 {
			first = string(m[0][:min(len(m[0]), 20)])
		}
		refuse(nil, "message %q of %d frames: want job TASK JOB KIND BODY or cancel TASK", first, len(m))
	}
}

// servePeer serves one fan connection: a worker's PULL.
func (v *Ventilator) servePeer(ctx context.Context, zc *zmtp.Conn) {
	remote := zc.NetConn().RemoteAddr().String()
	p := &peer{remote: remote, jobs: make(chan jobMsg, task.Credit)}
	conn := task.NewConn(zc)
	v.log.Info("worker connected", "remote", remote)
	v.mu.Lock()
	v.peers = append(v.peers, p)
	for c := range v.clients {
		for _, t := range c.tasks {
			t.waiting = false
		}
	}
	v.dispatch()
	v.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { zc.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		for j := range p.jobs {
			if err := conn.Send([]byte(task.CmdJob), task.FormatID(j.id), j.kind, j.body); err != nil {
				zc.Close()
				for range p.jobs {
				}
				return
			}
		}
	})
	for {
		// A PULL sends nothing but commands; Recv answers PINGs.
		if _, err := conn.Recv(); err != nil {
			break
		}
	}
	zc.Close()
	v.mu.Lock()
	p.gone = true
	for i, q := range v.peers {
		if q == p {
			v.peers = append(v.peers[:i], v.peers[i+1:]...)
			break
		}
	}
	n := 0
	for id, j := range v.inflight {
		if j.peer == p {
			delete(v.inflight, id)
			n++
			v.reassigned++
			if j.task.gone {
				j.task.client.outstanding--
			} else {
				j.peer = nil
				v.enqueue(j, true)
			}
		}
	}
	for id, q := range v.expired {
		if q == p {
			delete(v.expired, id)
		}
	}
	close(p.jobs)
	v.dispatch()
	v.mu.Unlock()
	wg.Wait()
	v.log.Info("worker gone", "remote", remote, "jobs_reassigned", n)
}

// serveSink serves one sink connection: a worker's PUB.
func (v *Ventilator) serveSink(ctx context.Context, zc *zmtp.Conn) {
	conn := task.NewConn(zc)
	remote := zc.NetConn().RemoteAddr().String()
	stop := context.AfterFunc(ctx, func() { zc.Close() })
	defer stop()
	if err := conn.Send([]byte{1}); err != nil { // subscribe to everything
		return
	}
	for {
		m, err := conn.Recv()
		if err != nil {
			return
		}
		if len(m) != 3 || !task.Is(m[0], task.CmdResult) {
			v.log.Warn("sink: not a result; dropping the worker's connection", "remote", remote, "frames", len(m))
			return
		}
		id, err := task.ParseID(m[1])
		if err != nil {
			v.log.Warn("sink: dropping the worker's connection", "remote", remote, "err", err)
			return
		}
		if !json.Valid(m[2]) || len(m[2]) == 0 || m[2][0] != '{' {
			v.log.Warn("sink: result is not a JSON object; dropped", "remote", remote, "job", id)
			continue
		}
		v.result(id, m[2])
	}
}

// result passes the result of job id to its client.
func (v *Ventilator) result(id uint64, body []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	j := v.inflight[id]
	if j == nil {
		if p, ok := v.expired[id]; ok {
			delete(v.expired, id)
			p.inflight--
			v.dispatch()
		}
		v.duplicates++
		v.log.Debug("result for a job not in flight; dropped", "job", id)
		return
	}
	delete(v.inflight, id)
	j.peer.inflight--
	j.task.client.outstanding--
	if !j.task.gone {
		v.tell(j.task.client, []byte(task.CmdResult), j.task.id, j.clientID, body)
	} else {
		v.duplicates++
	}
	v.dispatch()
}
