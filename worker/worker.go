package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/task"
)

// Config configures a worker.
type Config struct {
	Root string // the library, as this worker sees it
	Fan  string // the ventilator's fan endpoint, tcp://HOST:10004
	Sink string // the ventilator's sink endpoint, tcp://HOST:10005
	// Jobs is how many jobs it works on at once, each on a connection of
	// its own to the fan; 0 or less means runtime.GOMAXPROCS(0).
	Jobs int
	// CurveServer, if set, is the ventilator's CURVE public key: the
	// worker speaks CURVE to it, as the client of key pair CurveKeys
	// (nil: a new pair each run, for a ventilator that admits anyone).
	CurveServer *curve.Key
	CurveKeys   *curve.KeyPair
	// Logger receives connections and refused jobs (default: discard).
	Logger *slog.Logger
	// WrapFS, if set, wraps the file system of Root: benchmarks use it to
	// make every file cost what it costs on a far-away store.
	WrapFS func(fs.FS) fs.FS
}

// Reconnection backs off from retryMin to retryMax.
const (
	retryMin = 100 * time.Millisecond
	retryMax = time.Second
)

// Worker serves jobs; New opens its ROOT, Run connects and works.
type Worker struct {
	cfg  Config
	log  *slog.Logger
	root *os.Root
	fsys fs.FS
	sink sink
	dial *dialer

	mu   sync.Mutex
	done uint64
}

// New checks the configuration and opens Root.
func New(cfg Config) (*Worker, error) {
	for _, ep := range []string{cfg.Fan, cfg.Sink} {
		if _, _, err := zmtp.ParseEndpoint(ep); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("worker: library root: %w", err)
	}
	if cfg.Jobs <= 0 {
		cfg.Jobs = runtime.GOMAXPROCS(0)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Worker{cfg: cfg, log: cfg.Logger, root: root, fsys: root.FS(), dial: &dialer{log: cfg.Logger}}
	if cfg.CurveServer != nil {
		if w.dial.security, err = zmtp.CurveClientOf(cfg.CurveKeys, *cfg.CurveServer); err != nil {
			root.Close()
			return nil, fmt.Errorf("worker: %w", err)
		}
	}
	if cfg.WrapFS != nil {
		w.fsys = cfg.WrapFS(w.fsys)
	}
	w.sink.ready = make(chan struct{})
	return w, nil
}

// Done counts the jobs answered.
func (w *Worker) Done() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

// Run connects to the ventilator and works until ctx ends; it reconnects
// whenever a connection drops. It returns nil when ctx ends, after every
// goroutine it started has ended, and closes ROOT.
func (w *Worker) Run(ctx context.Context) error {
	defer w.root.Close()
	var wg sync.WaitGroup
	wg.Go(func() { w.sink.run(ctx, w.cfg.Sink, w.dial) })
	for range w.cfg.Jobs {
		wg.Go(func() { w.pull(ctx) })
	}
	wg.Wait()
	return nil
}

// dialer connects to the ventilator's sockets.
type dialer struct {
	log      *slog.Logger
	security func() zmtp.Mechanism // CURVE, or nil for NULL
	warned   atomic.Bool           // a failed CURVE handshake was logged
}

// dial connects to endpoint as a socket of type typ, retrying with a
// back-off until it succeeds or ctx ends. A CURVE handshake that fails (a
// key the ventilator does not admit, or not the ventilator's key) is
// logged as a warning, once until a connection succeeds.
func (d *dialer) dial(ctx context.Context, endpoint string, typ zmq4.SocketType, lim zmtp.Limits) (*task.Conn, error) {
	log := d.log
	lim.Security = d.security
	wait := retryMin
	for {
		nc, err := zmtp.Dial(ctx, endpoint)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { nc.Close() })
			var c *zmtp.Conn
			c, err = zmtp.Handshake(nc, typ, false, lim)
			stop()
			if err == nil && ctx.Err() == nil {
				d.warned.Store(false)
				return task.NewConn(c), nil
			}
			nc.Close()
			if err != nil && ctx.Err() == nil && d.security != nil && !d.warned.Swap(true) {
				log.Warn("CURVE handshake with the ventilator failed: is its public key right, and this worker's key admitted?", "endpoint", endpoint, "err", err)
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		log.Debug("cannot reach the ventilator; retrying", "endpoint", endpoint, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

// pull takes jobs from one fan connection and works on them one at a time.
func (w *Worker) pull(ctx context.Context) {
	var r library.FileReader
	for ctx.Err() == nil {
		c, err := w.dial.dial(ctx, w.cfg.Fan, zmq4.Pull, task.JobLimits)
		if err != nil {
			return
		}
		w.log.Debug("connected to the fan", "endpoint", w.cfg.Fan)
		stop := context.AfterFunc(ctx, func() { c.Close() })
		for {
			m, err := c.Recv()
			if err != nil {
				if ctx.Err() == nil {
					w.log.Info("fan connection lost; reconnecting", "endpoint", w.cfg.Fan, "err", err)
				}
				break
			}
			if len(m) != 4 || !task.Is(m[0], task.CmdJob) {
				w.log.Warn("not a job; dropping the connection", "endpoint", w.cfg.Fan, "frames", len(m))
				break
			}
			if _, err := task.ParseID(m[1]); err != nil {
				w.log.Warn("dropping the connection", "endpoint", w.cfg.Fan, "err", err)
				break
			}
			res := w.Do(string(m[2]), m[3], &r)
			body, err := json.Marshal(res)
			if err != nil {
				body, _ = json.Marshal(task.Result{Error: err.Error()})
			}
			if err := w.sink.send(ctx, []byte(task.CmdResult), m[1], body); err != nil {
				break
			}
			w.mu.Lock()
			w.done++
			w.mu.Unlock()
		}
		stop()
		c.Close()
	}
}

// Do works on one job of the given kind and body, reading with r, and
// returns its result.
func (w *Worker) Do(kind string, body []byte, r *library.FileReader) task.Result {
	j, err := task.ParseJob(kind, body)
	if err != nil {
		w.log.Warn("job refused", "err", err)
		return task.Result{Error: err.Error()}
	}
	if kind == task.KindRead {
		return task.Result{Files: w.read(j, r)}
	}
	var fsys fs.FS = listFS{w.fsys, w.root}
	if j.Root != "." {
		if fsys, err = fs.Sub(fsys, j.Root); err != nil {
			return task.Result{Error: err.Error()}
		}
	}
	var res task.Result
	switch kind {
	case task.KindList:
		res.Folders = make([]task.Folder, len(j.Paths))
		for i, p := range j.Paths {
			res.Folders[i] = listFolder(fsys, j.Root, p)
		}
	}
	return res
}

// listFolder lists the folder p of a task whose folder is root.
func listFolder(fsys fs.FS, root, p string) task.Folder {
	f := task.Folder{Path: p}
	l, err := library.ListDir(fsys, p)
	if err != nil {
		switch {
		case p == "." && errors.Is(err, fs.ErrNotExist):
			err = fmt.Errorf("folder %q: not found under the worker's ROOT (give a folder relative to it)", root)
		case p == ".":
			err = fmt.Errorf("folder %q: %w", root, err)
		}
		f.Error = err.Error()
		return f
	}
	f.Entries = make([]task.Entry, len(l.Entries))
	for i, e := range l.Entries {
		f.Entries[i] = task.Entry{Path: e.Path, Kind: e.Kind}
	}
	for _, s := range l.Skipped {
		f.Skipped = append(f.Skipped, task.SkipOf(s))
	}
	return f
}

// read reads the files of a read job. Each folder of them is opened once
// as an os.Root of its own, so that opening a file in it takes one system
// call, not one per element of its path (a third of a worker's time on a
// library of albums of ten files).
func (w *Worker) read(j task.Job, r *library.FileReader) []task.Record {
	out := make([]task.Record, 0, len(j.Files))
	for i := 0; i < len(j.Files); {
		dir := path.Dir(j.Files[i].Path)
		n := i + 1
		for n < len(j.Files) && path.Dir(j.Files[n].Path) == dir {
			n++
		}
		var fsys fs.FS
		sub, err := w.root.OpenRoot(path.Join(j.Root, dir))
		if err == nil {
			fsys = prefixFS{sub.FS(), dir}
			if w.cfg.WrapFS != nil {
				fsys = w.cfg.WrapFS(fsys)
			}
		}
		for _, f := range j.Files[i:n] {
			if f.Link {
				// A link may lead anywhere in ROOT, above its folder too.
				out = append(out, w.readLink(j.Root, f, r))
				continue
			}
			if err != nil {
				out = append(out, task.RecordOf(f.Path, library.FileResult{
					Skip: &library.Skip{Path: f.Path, Reason: library.ReasonUnreadable, Err: err}}))
				continue
			}
			out = append(out, task.RecordOf(f.Path, r.Read(fsys, f.Path, f.Link, f.Known())))
		}
		if sub != nil {
			sub.Close()
		}
		i = n
	}
	return out
}

// readLink reads a file that the listing found to be a symbolic link,
// through ROOT's file system.
func (w *Worker) readLink(root string, f task.File, r *library.FileReader) task.Record {
	fsys := w.fsys
	if root != "." {
		var err error
		if fsys, err = fs.Sub(fsys, root); err != nil {
			return task.RecordOf(f.Path, library.FileResult{
				Skip: &library.Skip{Path: f.Path, Reason: library.ReasonUnreadable, Err: err}})
		}
	}
	return task.RecordOf(f.Path, r.Read(fsys, f.Path, true, f.Known()))
}

// prefixFS is the folder dir of a library as a file system that takes the
// library's paths: dir/name opens name in fsys.
type prefixFS struct {
	fsys fs.FS
	dir  string
}

func (p prefixFS) name(op, name string) (string, error) {
	if p.dir == "." {
		return name, nil
	}
	rest, ok := strings.CutPrefix(name, p.dir+"/")
	if !ok {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return rest, nil
}

// fixErr names the library's path in a *fs.PathError, and the operation
// as os.DirFS does, so that a skip's error reads as a local scan's.
func (p prefixFS) fixErr(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok {
		pe.Path = name
		switch pe.Op {
		case "openat":
			pe.Op = "open"
		case "statat":
			pe.Op = "stat"
		}
	}
	return err
}

func (p prefixFS) Open(name string) (fs.File, error) {
	rest, err := p.name("open", name)
	if err != nil {
		return nil, err
	}
	f, err := p.fsys.Open(rest)
	return f, p.fixErr(err, name)
}

func (p prefixFS) Stat(name string) (fs.FileInfo, error) {
	rest, err := p.name("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(p.fsys, rest)
	return fi, p.fixErr(err, name)
}

// sink is the worker's PUB connection to the ventilator, shared by its
// job goroutines.
type sink struct {
	mu    sync.Mutex
	conn  *task.Conn    // nil until the ventilator has subscribed
	ready chan struct{} // closed while conn is set
	lost  chan struct{} // closed when conn has ended
}

// run keeps a connection to the sink, reconnecting when it drops.
func (s *sink) run(ctx context.Context, endpoint string, d *dialer) {
	log := d.log
	for ctx.Err() == nil {
		c, err := d.dial(ctx, endpoint, zmq4.Pub, task.JobLimits)
		if err != nil {
			return
		}
		stop := context.AfterFunc(ctx, func() { c.Close() })
		subscribed := false
		for {
			m, err := c.Recv()
			if err != nil {
				if ctx.Err() == nil {
					log.Info("sink connection lost; reconnecting", "endpoint", endpoint, "err", err)
				}
				break
			}
			// A subscription (0x01 and a prefix): the ventilator's is to
			// everything. Anything else a SUB may send is ignored.
			if !subscribed && len(m) == 1 && len(m[0]) >= 1 && m[0][0] == 1 {
				subscribed = true
				s.mu.Lock()
				s.conn, s.lost = c, make(chan struct{})
				close(s.ready)
				s.mu.Unlock()
			}
		}
		stop()
		c.Close()
		if subscribed {
			s.mu.Lock()
			close(s.lost)
			s.conn = nil
			s.ready = make(chan struct{})
			s.mu.Unlock()
		}
	}
}

// send sends a result once the ventilator has subscribed, waiting for it
// until ctx ends.
func (s *sink) send(ctx context.Context, frames ...[]byte) error {
	for {
		s.mu.Lock()
		c, ready, lost := s.conn, s.ready, s.lost
		s.mu.Unlock()
		if c != nil {
			if err := c.Send(frames...); err == nil {
				return nil
			}
			c.Close() // run reconnects; the result goes again on the next connection
			ready = lost
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ready:
		}
	}
}
