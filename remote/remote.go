package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/curve"
	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/task"
)

// DefaultTimeout is how long Scan waits for a result before it gives up.
const DefaultTimeout = 30 * time.Second

// Window is the most jobs Scan has unanswered at once.
const Window = 256

// DefaultBatch is how many files a read job names.
const DefaultBatch = 64

// Options tune a remote scan. The zero value is ready to use.
type Options struct {
	// Library's Cache, OnTrack and Logger are used as library.Scan uses
	// them; Workers is not (the workers decide).
	Library library.Options
	// Timeout is how long Scan waits without a result (for the
	// ventilator to answer, or a worker to join) before it gives up;
	// default DefaultTimeout.
	Timeout time.Duration
	// Batch is how many files a read job names, 1 to task.MaxFiles;
	// default DefaultBatch.
	Batch int
	// OnWaiting, if set, is called when the ventilator says no worker is
	// connected, with its fan endpoints.
	OnWaiting func(fan string)
	// CurveServer, if set, is the ventilator's CURVE public key: Scan
	// speaks CURVE to it, as the client of key pair CurveKeys (nil: a new
	// pair, for a ventilator that admits anyone).
	CurveServer *curve.Key
	CurveKeys   *curve.KeyPair
}

// NoWorkersError is the error of a scan that gave up waiting for a worker.
type NoWorkersError struct {
	Fan    string // where workers connect, as the ventilator said
	Waited time.Duration
}

func (e *NoWorkersError) Error() string {
	return fmt.Sprintf("no worker joined the ventilator in %v (its fan is %s)", e.Waited, e.Fan)
}

// NoAnswerError is the error of a scan that lost the ventilator, or never
// reached it.
type NoAnswerError struct {
	Endpoint string
	Err      error
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("ventilator %s: %v", e.Endpoint, e.Err)
}
func (e *NoAnswerError) Unwrap() error { return e.Err }

// RefusedError is an error message from the ventilator or a worker.
type RefusedError struct{ Message string }

func (e *RefusedError) Error() string { return e.Message }

// Scan asks the ventilator at endpoint (its control socket) for the
// library under folder, a path relative to the workers' ROOT ("" or "."
// for all of it), and returns it as library.Scan would return a scan of
// that folder. If ctx ends first it returns ctx's error, keeping in the
// cache what was read.
func Scan(ctx context.Context, endpoint, folder string, opts Options) (*library.Library, error) {
	if folder == "" {
		folder = "."
	}
	folder = path.Clean(folder)
	if err := task.CheckPath(folder); err != nil {
		return nil, fmt.Errorf("remote: folder: %w", err)
	}
	if _, _, err := zmtp.ParseEndpoint(endpoint); err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Batch <= 0 || opts.Batch > task.MaxFiles {
		opts.Batch = DefaultBatch
	}
	limits := task.ClientLimits
	if opts.CurveServer != nil {
		sec, err := zmtp.CurveClientOf(opts.CurveKeys, *opts.CurveServer)
		if err != nil {
			return nil, fmt.Errorf("remote: %w", err)
		}
		limits.Security = sec
	}
	id := make([]byte, 8)
	rand.Read(id)
	s := &scan{
		endpoint: endpoint,
		folder:   folder,
		opts:     opts,
		limits:   limits,
		taskID:   []byte(hex.EncodeToString(id)),
		asm:      library.NewAssembly(opts.Library),
		sent:     make(map[uint64]sentJob),
		dirs:     []string{"."},
	}
	lib, err := s.run(ctx)
	if err != nil {
		s.asm.Library(false)
		return nil, err
	}
	return lib, nil
}

// scan is one remote scan's state.
type scan struct {
	endpoint, folder string
	opts             Options
	limits           zmtp.Limits // the control connection's, CURVE's too
	taskID           []byte
	asm              *library.Assembly
	conn             *task.Conn

	dirs    []string    // folders to list
	files   []task.File // files to read
	sent    map[uint64]sentJob
	nextJob uint64
	waiting string // the fan, while the ventilator says no worker is there
	since   time.Time
}

// sentJob is a job waiting for its result.
type sentJob struct {
	kind  string
	dirs  []string
	files []task.File
}

// folderBatch is the most folders a list job names: a few thousand
// folders of albums cost a few hundred messages, not thousands.
const folderBatch = 16

func (s *scan) run(ctx context.Context) (*library.Library, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	msgs := make(chan [][]byte)
	recvErr := make(chan error, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	// On return: stop the reader, close the connection, wait for the reader.
	defer wg.Wait()
	defer conn.Close()
	defer close(done)
	wg.Go(func() {
		for {
			m, err := conn.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-done:
				return
			}
		}
	})
	timer := time.NewTimer(s.opts.Timeout)
	defer timer.Stop()
	s.since = time.Now()
	for {
		if err := s.send(); err != nil {
			return nil, s.lost(ctx, err)
		}
		if len(s.sent) == 0 {
			_ = conn.Send([]byte(task.CmdCancel), s.taskID) // frees the task at the ventilator
			return s.asm.Library(true), nil
		}
		select {
		case m := <-msgs:
			if err := s.receive(m); err != nil {
				return nil, err
			}
			if s.waiting == "" {
				timer.Reset(s.opts.Timeout)
				s.since = time.Now()
			}
		case err := <-recvErr:
			return nil, s.lost(ctx, err)
		case <-timer.C:
			if s.waiting != "" {
				return nil, &NoWorkersError{Fan: s.waiting, Waited: time.Since(s.since).Round(time.Second)}
			}
			return nil, &NoAnswerError{Endpoint: s.endpoint, Err: fmt.Errorf("no result in %v", s.opts.Timeout)}
		}
	}
}

// lost turns a failed connection into the error Scan returns.
func (s *scan) lost(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		err = errors.New("connection closed mid-task (was the ventilator restarted? run the scan again)")
	}
	return &NoAnswerError{Endpoint: s.endpoint, Err: err}
}

// connect dials the ventilator, retrying a refused connection until the
// timeout.
func (s *scan) connect(ctx context.Context) (*task.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	wait := 50 * time.Millisecond
	var last error // the last failure that was not the timeout
	for {
		nc, err := zmtp.Dial(ctx, s.endpoint)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { nc.Close() })
			c, herr := zmtp.Handshake(nc, zmq4.Dealer, false, s.limits)
			stop()
			if herr == nil && ctx.Err() == nil {
				return task.NewConn(c), nil
			}
			nc.Close()
			if refused := (*curve.RefusedError)(nil); errors.As(herr, &refused) {
				// The ventilator does not admit our key: a retry would
				// be refused the same.
				return nil, &NoAnswerError{Endpoint: s.endpoint, Err: herr}
			}
			err = herr
			if err == nil {
				err = ctx.Err()
			}
		}
		if ctx.Err() == nil {
			last = err
		} else {
			if parent := context.Cause(ctx); errors.Is(parent, context.Canceled) {
				return nil, parent
			}
			if last == nil {
				last = err
			}
			return nil, &NoAnswerError{Endpoint: s.endpoint, Err: fmt.Errorf("%w (for %v)", unwrapDial(last), s.opts.Timeout)}
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// unwrapDial says "connection refused", not the address again.
func unwrapDial(err error) error {
	if sys := (*os.SyscallError)(nil); errors.As(err, &sys) {
		return sys.Err
	}
	return err
}

// send sends jobs while the window has room: folders first, so that the
// frontier grows, a quarter of those waiting at a time (up to 16), then
// files, a batch at a time (a smaller one once no folder is left to list).
func (s *scan) send() error {
	for len(s.sent) < Window {
		var (
			kind string
			j    = task.Job{Root: s.folder}
			sj   sentJob
		)
		switch {
		case len(s.dirs) > 0:
			n := min(max(len(s.dirs)/4, 1), folderBatch)
			kind, j.Paths = task.KindList, s.dirs[:n:n]
			s.dirs = s.dirs[n:]
			sj = sentJob{kind: kind, dirs: j.Paths}
		case len(s.files) >= s.opts.Batch || (len(s.files) > 0 && !s.listing()):
			n := min(len(s.files), s.opts.Batch)
			kind, j.Files = task.KindRead, s.files[:n:n]
			s.files = s.files[n:]
			sj = sentJob{kind: kind, files: j.Files}
		default:
			return nil
		}
		body, err := json.Marshal(j)
		if err != nil {
			return err
		}
		id := s.nextJob
		s.nextJob++
		s.sent[id] = sj
		if err := s.conn.Send([]byte(task.CmdJob), s.taskID, task.FormatID(id), []byte(kind), body); err != nil {
			return err
		}
	}
	return nil
}

// listing reports whether a list job is out.
func (s *scan) listing() bool {
	for _, j := range s.sent {
		if j.kind == task.KindList {
			return true
		}
	}
	return false
}

// receive handles one message from the ventilator.
func (s *scan) receive(m [][]byte) error {
	if len(m) < 2 || string(m[1]) != string(s.taskID) {
		return nil // not ours; the ventilator sends only ours
	}
	switch {
	case task.Is(m[0], task.CmdWaiting) && len(m) == 3:
		if s.waiting == "" {
			s.waiting = string(m[2])
			if s.opts.OnWaiting != nil {
				s.opts.OnWaiting(s.waiting)
			}
		}
		return nil
	case task.Is(m[0], task.CmdError) && len(m) == 3:
		return &RefusedError{Message: "ventilator: " + string(m[2])}
	case task.Is(m[0], task.CmdResult) && len(m) == 4:
	default:
		return nil
	}
	s.waiting = ""
	id, err := task.ParseID(m[2])
	if err != nil {
		return nil
	}
	sj, ok := s.sent[id]
	if !ok {
		return nil // answered already
	}
	delete(s.sent, id)
	var res task.Result
	if err := json.Unmarshal(m[3], &res); err != nil {
		res = task.Result{Error: fmt.Sprintf("a worker's result cannot be read: %v", err)}
	}
	if sj.kind == task.KindList {
		return s.listedAll(sj.dirs, res)
	}
	s.read(sj.files, res)
	return nil
}

// listedAll adds the listings of a list job's folders to the frontier; a
// folder the result leaves out is skipped as unreadable.
func (s *scan) listedAll(dirs []string, res task.Result) error {
	byPath := make(map[string]task.Folder, len(res.Folders))
	for _, f := range res.Folders {
		byPath[f.Path] = f
	}
	for _, d := range dirs {
		f, ok := byPath[d]
		switch {
		case res.Error != "":
			f.Error = res.Error
		case !ok:
			f.Error = "the worker's result left it out"
		}
		delete(byPath, d) // once only
		if err := s.listed(d, f); err != nil {
			return err
		}
	}
	return nil
}

// listed adds a folder's listing to the frontier.
func (s *scan) listed(dir string, res task.Folder) error {
	if res.Error != "" {
		if dir == "." {
			return &RefusedError{Message: "worker: " + res.Error}
		}
		s.asm.AddSkip(library.Skip{Path: dir, Reason: library.ReasonUnreadable, Err: errors.New(res.Error)})
		return nil
	}
	for _, sk := range res.Skipped {
		s.asm.AddSkip(sk.Library())
	}
	for _, e := range res.Entries {
		switch e.Kind {
		case library.KindFolder:
			s.dirs = append(s.dirs, e.Path)
		case library.KindFile, library.KindLink:
			f := task.File{Path: e.Path, Link: e.Kind == library.KindLink}
			if st, ok := s.asm.Known(e.Path); ok {
				f.Size, f.MTime = &st.Size, &st.ModTime
			}
			s.files = append(s.files, f)
		}
	}
	return nil
}

// read adds what a worker read of files.
func (s *scan) read(files []task.File, res task.Result) {
	byPath := make(map[string]task.Record, len(res.Files))
	for _, r := range res.Files {
		byPath[r.Path] = r
	}
	for _, f := range files {
		r, ok := byPath[f.Path]
		var err error
		var fr library.FileResult
		switch {
		case res.Error != "":
			err = errors.New(res.Error)
		case !ok:
			err = errors.New("the worker's result left it out")
		default:
			fr, err = r.FileResult()
		}
		if err != nil {
			s.asm.AddSkip(library.Skip{Path: f.Path, Reason: library.ReasonUnreadable, Err: err})
			continue
		}
		s.asm.Add(f.Path, fr)
	}
}
