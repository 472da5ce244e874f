package ventilator_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/task"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sampleMusic() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "sample-music")
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects a socket of type typ made by hand to endpoint.
func dial(t *testing.T, endpoint string, typ zmq4.SocketType) *task.Conn {
	t.Helper()
	nc, err := zmtp.Dial(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := zmtp.Handshake(nc, typ, false, zmtp.Limits{MaxFrame: 16 << 20, MaxFrames: 8, HandshakeTimeout: 5 * time.Second})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	conn := task.NewConn(c)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// recv reads a message under a deadline.
func recv(t *testing.T, c *task.Conn) [][]byte {
	t.Helper()
	c.Zmtp().NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := c.Recv()
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return m
}

// checkLocal scans root/folder through the ventilator and checks that the
// library is a local scan's, every file once.
func checkLocal(t *testing.T, ctx context.Context, v *ventilatortest.Ventilator, root, folder string) {
	t.Helper()
	got, err := remote.Scan(ctx, v.Control, folder, remote.Options{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	want, err := library.Scan(context.Background(), os.DirFS(filepath.Join(root, folder)), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tracks) != len(want.Tracks) || len(got.Skipped) != len(want.Skipped) {
		t.Fatalf("remote scan of %s: %d tracks, %d skipped; local: %d, %d", folder, len(got.Tracks), len(got.Skipped), len(want.Tracks), len(want.Skipped))
	}
	for i := range want.Tracks {
		w := want.Tracks[i]
		w.Cover = library.Cover{} // a remote scan has none: the pictures stay with the files
		if got.Tracks[i] != w {
			t.Fatalf("track %d: remote %+v, local %+v", i, got.Tracks[i], w)
		}
	}
}

func TestWorkerKilledHoldingJobs(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{})
	hung := ventilatortest.HungWorker(t, v)
	v.WaitWorkers(t, 1)

	done := make(chan error, 1)
	go func() {
		_, err := remote.Scan(ctx, v.Control, "", remote.Options{})
		done <- err
	}()
	// It holds the first job (the root's listing): it dies with it, as a
	// process killed with SIGKILL does, its connection closed by the kernel.
	if m := recv(t, hung); len(m) != 4 || string(m[0]) != "job" {
		t.Fatalf("hung worker got %q", m)
	}
	hung.Close()
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 2})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v.Stats().Reassigned == 0 {
		t.Error("no job was reassigned")
	}
	checkLocal(t, ctx, v, sampleMusic(), "")
}

func TestSilentWorkerPastDeadline(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{JobTimeout: 200 * time.Millisecond})
	hung := ventilatortest.HungWorker(t, v)
	v.WaitWorkers(t, 1)
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 1})
	v.WaitWorkers(t, 2)
	checkLocal(t, ctx, v, sampleMusic(), "")
	_ = hung
}

// slowFS makes every file open wait d.
// slowFS is a worker's file system that takes d to open each MP3, and
// counts the opens.
type slowFS struct {
	fs.FS
	d     time.Duration
	opens *atomic.Int64
}

func (s slowFS) Open(name string) (fs.File, error) {
	if strings.HasSuffix(name, ".mp3") {
		time.Sleep(s.d)
		s.opens.Add(1)
	}
	return s.FS.Open(name)
}

func (s slowFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(s.FS, name) }

// TestSlowWorkerDoesNotHoldTheTask: a worker thirty times slower than the
// others is given work as it finishes it, not an equal share, so it reads
// a small part of the library and the task does not wait on it. (What it
// costs in time is ventbench's to measure; here, who read what.)
func TestSlowWorkerDoesNotHoldTheTask(t *testing.T) {
	ctx := testContext(t)
	root := t.TempDir()
	st, err := librarytest.WriteLibrary(root, 300, 1)
	if err != nil {
		t.Fatal(err)
	}
	v := ventilatortest.Start(t, ventilator.Config{})
	var fast [2]atomic.Int64
	var slow atomic.Int64
	for i := range fast {
		ventilatortest.StartWorker(t, v, root, worker.Config{Jobs: 1,
			WrapFS: func(f fs.FS) fs.FS { return slowFS{f, time.Millisecond, &fast[i]} }})
	}
	ventilatortest.StartWorker(t, v, root, worker.Config{Jobs: 1,
		WrapFS: func(f fs.FS) fs.FS { return slowFS{f, 30 * time.Millisecond, &slow} }})
	v.WaitWorkers(t, 3)
	lib, err := remote.Scan(ctx, v.Control, "", remote.Options{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if want := 300 - st.Broken(); len(lib.Tracks) != want {
		t.Fatalf("%d tracks, want %d", len(lib.Tracks), want)
	}
	f0, f1, s := fast[0].Load(), fast[1].Load(), slow.Load()
	t.Logf("files read: %d and %d by the fast workers, %d by the slow one", f0, f1, s)
	if 2*s > min(f0, f1) {
		t.Errorf("the slow worker read %d files, the fast ones %d and %d: it was given an equal share, not work as it finished it", s, f0, f1)
	}
}

func TestTwoClientsAtOnce(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 2})
	var wg sync.WaitGroup
	for _, folder := range []string{"The Streets", "Björk", "", "Motörhead"} {
		wg.Go(func() { checkLocal(t, ctx, v, sampleMusic(), folder) })
	}
	wg.Wait()
}

func TestClientGoneCancelsItsJobs(t *testing.T) {
	v := ventilatortest.Start(t, ventilator.Config{})
	c := dial(t, v.Control, zmq4.Dealer)
	for i := range 500 {
		if err := c.Send([]byte("job"), []byte("t"), task.FormatID(uint64(i)), []byte("list"), []byte(`{"root":".","paths":["."]}`)); err != nil {
			t.Fatal(err)
		}
	}
	if m := recv(t, c); string(m[0]) != "waiting" {
		t.Fatalf("first message %q, want waiting", m)
	}
	deadline := time.Now().Add(5 * time.Second)
	for v.Stats().Queued < 500 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if q := v.Stats().Queued; q != 500 {
		t.Fatalf("%d jobs queued, want 500", q)
	}
	c.Close()
	ventilatortest.WaitIdle(t, v)
}

// TestTooManyJobsUnanswered: the ventilator's memory is bounded by the
// jobs in flight: a client past task.MaxOutstanding unanswered jobs has the
// next one refused, with why, and nothing more is queued.
func TestTooManyJobsUnanswered(t *testing.T) {
	v := ventilatortest.Start(t, ventilator.Config{})
	c := dial(t, v.Control, zmq4.Dealer)
	for i := range task.MaxOutstanding + 1 {
		if err := c.Send([]byte("job"), []byte("t"), task.FormatID(uint64(i)), []byte("list"), []byte(`{"root":".","paths":["."]}`)); err != nil {
			t.Fatal(err)
		}
	}
	for {
		m := recv(t, c)
		if string(m[0]) == task.CmdError {
			if len(m) != 3 || !strings.Contains(string(m[2]), "unanswered") {
				t.Fatalf("error %q, want one saying the jobs are unanswered", m)
			}
			break
		}
	}
	if q := v.Stats().Queued; q != task.MaxOutstanding {
		t.Errorf("%d jobs queued, want %d", q, task.MaxOutstanding)
	}
	c.Close()
	ventilatortest.WaitIdle(t, v)
}

// TestCancelledTask: a task cancelled with jobs queued and with a worker
// loses the queued ones at once; the results of the others, when they
// come, go nowhere; and the client's other task goes on.
func TestCancelledTask(t *testing.T) {
	v := ventilatortest.Start(t, ventilator.Config{})
	hung := ventilatortest.HungWorker(t, v)
	c := dial(t, v.Control, zmq4.Dealer)
	body := []byte(`{"paths":["."]}`)
	for i := range 10 {
		c.Send([]byte("job"), []byte("old"), task.FormatID(uint64(i)), []byte("list"), body)
	}
	// The worker holds two; eight wait.
	var ids [][]byte
	for range task.Credit {
		ids = append(ids, recv(t, hung)[1])
	}
	// All ten in before the cancel, so that one waiting below can only be
	// the new task's.
	zmtptest.WaitFor(t, 5*time.Second, "the old task's jobs", func() bool { return v.Stats().Queued == 8 })
	c.Send([]byte("cancel"), []byte("old"))
	c.Send([]byte("job"), []byte("new"), []byte("0"), []byte("list"), body)
	// The cancel and the new job come in on the control socket, the results
	// below on the sink: wait until the ventilator has taken the first two
	// (the eight waiting jobs gone, the new one waiting), or a result could
	// pass the cancel.
	zmtptest.WaitFor(t, 5*time.Second, "the cancel and the new job", func() bool { return v.Stats().Queued == 1 })
	// The results of the cancelled task's jobs come, and are dropped; the
	// worker then has the new task's job.
	sink := dial(t, v.Sink, zmq4.Pub)
	recv(t, sink) // the subscription
	for _, id := range ids {
		sink.Send([]byte("result"), id, []byte(`{"folders":[]}`))
	}
	m := recv(t, hung)
	sink.Send([]byte("result"), m[1], []byte(`{"folders":[{"path":"."}]}`))
	got := recv(t, c)
	if len(got) != 4 || string(got[0]) != "result" || string(got[1]) != "new" || string(got[2]) != "0" {
		t.Fatalf("the client got %q, want the result of job 0 of task new", got)
	}
	if s := v.Stats(); s.Queued != 0 || s.InFlight != 0 || s.Duplicates != uint64(len(ids)) {
		t.Errorf("stats %+v: want nothing queued or in flight, and %d results dropped", s, len(ids))
	}
}
