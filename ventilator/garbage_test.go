package ventilator_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/task"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

// hugeHeader is a frame header that claims 2^62 bytes.
func hugeHeader() []byte {
	return binary.BigEndian.AppendUint64([]byte{0x02}, 1<<62)
}

// dropped waits for the peer to close c.
func dropped(t *testing.T, c *task.Conn, what string) {
	t.Helper()
	c.Zmtp().NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, err := c.Recv()
		if err == nil {
			continue
		}
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
			t.Errorf("%s: connection not dropped: %v", what, err)
		}
		return
	}
}

func TestGarbageOnTheControlSocket(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 1})
	c := dial(t, v.Control, zmq4.Dealer)
	big := bytes.Repeat([]byte("x"), 900<<10)
	for _, tc := range []struct {
		name   string
		frames []string
		want   string // in the error's message
	}{
		{"no frames but one", []string{"job"}, "want job TASK JOB KIND BODY"},
		{"unknown command", []string{"play", "t"}, "want job"},
		{"too many frames", []string{"job", "t", "1", "list", "{}", "more"}, "want job"},
		{"empty task", []string{"job", "", "1", "list", `{"paths":["."]}`}, "task name"},
		{"long task", []string{"job", strings.Repeat("t", 65), "1", "list", `{"paths":["."]}`}, "task name"},
		{"job id not a number", []string{"job", "t", "one", "list", `{"paths":["."]}`}, "job id"},
		{"unknown kind", []string{"job", "t", "1", "play", `{"paths":["."]}`}, "job kind"},
		{"body not JSON", []string{"job", "t", "1", "list", `{`}, "job body"},
		{"path out of ROOT", []string{"job", "t", "1", "list", `{"paths":["../etc"]}`}, "no '..'"},
		{"absolute path", []string{"job", "t", "1", "read", `{"files":[{"path":"/etc/passwd"}]}`}, "no '..'"},
		{"too many files", []string{"job", "t", "1", "read", `{"files":[` + strings.Repeat(`{"path":"a.mp3"},`, 64) + `{"path":"b.mp3"}]}`}, "1 to 64 files"},
		{"a 900 KiB path", []string{"job", "t", "1", "list", `{"paths":["` + string(big) + `"]}`}, "longer than"},
		{"cancel of no task", []string{"cancel", "nope"}, ""},
		{"REQ envelope", []string{"", "job", "t", "1", "list", "{}"}, "DEALER"},
	} {
		frames := make([][]byte, len(tc.frames))
		for i, f := range tc.frames {
			frames[i] = []byte(f)
		}
		if err := c.Send(frames...); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want == "" {
			continue
		}
		m := recv(t, c)
		if len(m) > 0 && len(m[0]) == 0 {
			m = m[1:] // the envelope comes back
		}
		if len(m) != 3 || string(m[0]) != "error" || !strings.Contains(string(m[2]), tc.want) {
			t.Errorf("%s: reply %.300q, want an error that says %q", tc.name, m, tc.want)
		}
	}
	// Results for jobs a client never sent are not sent to it; and the
	// ventilator still serves everyone.
	checkLocal(t, ctx, v, sampleMusic(), "")

	// Over the limits: the peer is dropped.
	c.Zmtp().NetConn().Write(hugeHeader())
	dropped(t, c, "2^62 header")
	c2 := dial(t, v.Control, zmq4.Dealer)
	c2.Send([]byte("job"), []byte("t"), []byte("1"), []byte("list"), bytes.Repeat([]byte("x"), 2<<20))
	dropped(t, c2, "2 MiB frame")
	checkLocal(t, ctx, v, sampleMusic(), "")
}

func TestGarbageOnTheSink(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 1})
	for _, tc := range []struct {
		name   string
		frames []string
		drop   bool
	}{
		{"unknown job", []string{"result", "123456", `{"files":[]}`}, false},
		{"not JSON", []string{"result", "1", `{"files":`}, false},
		{"JSON, not an object", []string{"result", "1", `[]`}, false},
		{"two frames", []string{"result", "1"}, true},
		{"not a result", []string{"hello", "1", "{}"}, true},
		{"id not a number", []string{"result", "x", "{}"}, true},
	} {
		c := dial(t, v.Sink, zmq4.Pub)
		if m := recv(t, c); len(m) != 1 || !bytes.Equal(m[0], []byte{1}) {
			t.Fatalf("the ventilator's first message %q, want its subscription", m)
		}
		frames := make([][]byte, len(tc.frames))
		for i, f := range tc.frames {
			frames[i] = []byte(f)
		}
		c.Send(frames...)
		if tc.drop {
			dropped(t, c, tc.name)
		}
	}
	c := dial(t, v.Sink, zmq4.Pub)
	c.Zmtp().NetConn().Write(hugeHeader())
	dropped(t, c, "2^62 header")
	checkLocal(t, ctx, v, sampleMusic(), "")
	if v.Stats().Duplicates == 0 {
		t.Error("the result for an unknown job was not counted as dropped")
	}
}

func TestGarbageOnTheFan(t *testing.T) {
	ctx := testContext(t)
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(), worker.Config{Jobs: 1})
	// A PULL sends nothing; one that does is ignored, one over the
	// limits dropped.
	c := dial(t, v.Fan, zmq4.Pull)
	c.Send([]byte("result"), []byte("1"), []byte("{}"))
	c.Zmtp().NetConn().Write(hugeHeader())
	dropped(t, c, "2^62 header")
	checkLocal(t, ctx, v, sampleMusic(), "")
}

// fakeVentilator is a fan and a sink made by hand, to send a worker
// garbage.
func TestGarbageToAWorker(t *testing.T) {
	fan, err := zmtp.Bind([]string{"tcp://127.0.0.1:0"}, zmq4.Push, zmtp.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sink, err := zmtp.Bind([]string{"tcp://127.0.0.1:0"}, zmq4.Sub, zmtp.ServerOptions{Limits: task.SinkLimits})
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *task.Conn, 8)
	results := make(chan [][]byte, 8)
	fan.Serve(zmtp.HandlerFunc(func(ctx context.Context, c *zmtp.Conn) {
		tc := task.NewConn(c)
		conns <- tc // the test reads it
		<-ctx.Done()
	}), nil)
	sink.Serve(zmtp.HandlerFunc(func(ctx context.Context, c *zmtp.Conn) {
		tc := task.NewConn(c)
		context.AfterFunc(ctx, func() { c.Close() })
		tc.Send([]byte{1})
		for {
			m, err := tc.Recv()
			if err != nil {
				return
			}
			results <- m
		}
	}), nil)
	defer fan.Close()
	defer sink.Close()

	root := t.TempDir()
	w, err := worker.New(worker.Config{Root: root, Fan: fan.Endpoints()[0], Sink: sink.Endpoints()[0], Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	next := func() *task.Conn {
		select {
		case c := <-conns:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("the worker did not connect to the fan")
		}
		return nil
	}
	result := func(what string) [][]byte {
		select {
		case m := <-results:
			return m
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no result", what)
		}
		return nil
	}

	c := next()
	// Refused jobs get an error result; the connection stays.
	for _, tc := range []struct{ kind, body, want string }{
		{"list", `{"paths":["../.."]}`, "no '..'"},
		{"read", `{"files":[{"path":"/etc/passwd"}]}`, "no '..'"},
		{"list", `{"root":"/etc","paths":["."]}`, "no '..'"},
		{"list", `not json`, "job body"},
		{"dance", `{}`, "job kind"},
	} {
		c.Send([]byte("job"), []byte("7"), []byte(tc.kind), []byte(tc.body))
		m := result(tc.body)
		if len(m) != 3 || string(m[1]) != "7" || !strings.Contains(string(m[2]), tc.want) {
			t.Errorf("job %s %s: result %.300q, want an error that says %q", tc.kind, tc.body, m, tc.want)
		}
	}
	// Malformed messages and oversized frames cost the connection; the
	// worker connects again.
	for _, bad := range [][][]byte{
		{[]byte("job"), []byte("1")},
		{[]byte("job"), []byte("x"), []byte("list"), []byte("{}")},
		{[]byte("job"), []byte("1"), []byte("list"), bytes.Repeat([]byte("x"), 100<<20)},
	} {
		c.Send(bad...)
		dropped(t, c, "bad job")
		c = next()
	}
	c.Zmtp().NetConn().Write(hugeHeader())
	dropped(t, c, "2^62 header")
	next()
}
