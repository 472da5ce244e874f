package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
	"github.com/trackfeed/trackfeed/topics"
)

// TestMain fails the package if a test leaves a goroutine behind, except
// those zmq4's own PUB leaks (see zmq4_test.go).
func TestMain(m *testing.M) {
	var opts []goleak.Option
	for _, f := range zmq4Leaks {
		opts = append(opts, goleak.IgnoreAnyFunction(f))
	}
	goleak.VerifyTestMain(m, opts...)
}

// python is Debian's interpreter, which python3-zmq installs pyzmq for; a
// python3 earlier on PATH (pyenv, a virtualenv) usually lacks it.
const python = "/usr/bin/python3"

// moduleRoot is the repository root, relative to this package.
const moduleRoot = "../.."

// withTimeout returns a context that ends after d, or once the test and
// its subtests are over.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// need skips the test when an outside dependency is missing, saying what to
// install, or fails it when CI=true: CI must run every interop test.
func need(t *testing.T, err error, install string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%v: %s", err, install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

var pyzmqErr = sync.OnceValue(func() error {
	out, err := exec.Command(python, "-c", "import zmq").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import zmq: %v %s", python, err, lastLine(out))
	}
	return nil
})

// needPyzmq skips (or, under CI, fails) the test if pyzmq is missing.
func needPyzmq(t *testing.T) {
	t.Helper()
	need(t, pyzmqErr(), "install python3-zmq (apt-get install -y python3-zmq)")
}

// lastLine is the last line of a command's output, in parentheses, or "".
func lastLine(out []byte) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if last := lines[len(lines)-1]; len(last) > 0 {
		return "(" + string(last) + ")"
	}
	return ""
}

// buildC compiles a C source file against libzmq into dir and returns the
// executable's path; it skips (or, under CI, fails) the test if there is no
// C compiler or no libzmq to build against.
func buildC(t *testing.T, ctx context.Context, src, dir string) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	need(t, err, "install a C compiler and libzmq3-dev (apt-get install -y gcc libzmq3-dev)")
	probe := filepath.Join(dir, "probe.c")
	if err := os.WriteFile(probe, []byte("#include <zmq.h>\nint main(void) { int a, b, c; zmq_version(&a, &b, &c); return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, cc, "-o", filepath.Join(dir, "probe"), probe, "-lzmq").CombinedOutput(); err != nil {
		need(t, fmt.Errorf("cannot build against libzmq: %v %s", err, lastLine(out)), "install libzmq3-dev (apt-get install -y libzmq3-dev)")
	}
	exe := filepath.Join(dir, strings.TrimSuffix(filepath.Base(src), ".c"))
	if out, err := exec.CommandContext(ctx, cc, "-Wall", "-o", exe, src, "-lzmq").CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, out)
	}
	return exe
}

// proc is a child process whose stdout the test reads line by line. It is
// killed at cleanup if it has not exited.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout; closed once the process has exited
	stderr lockedBuffer
	err    error // from Wait; set before lines is closed
}

// start runs name with args under ctx, with env added to the environment.
func start(t *testing.T, ctx context.Context, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: filepath.Base(name), lines: make(chan string)}
	p.cmd = exec.CommandContext(ctx, name, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 2 * time.Second
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		p.err = p.cmd.Wait()
		close(p.lines)
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		p.cmd.Process.Kill()
		for range p.lines { // until the reader has waited for the process
		}
	})
	return p
}

// startPython runs a Python script with Debian's python3.
func startPython(t *testing.T, ctx context.Context, script string, args ...string) *proc {
	t.Helper()
	needPyzmq(t)
	return start(t, ctx, nil, python, append([]string{script}, args...)...)
}

// next returns the next line of stdout. It fails the test when the process
// exits first or ctx ends.
func (p *proc) next(t *testing.T, ctx context.Context) string {
	t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			t.Fatalf("%s exited (%v) while the test waited for output; stderr:\n%s", p.name, p.err, p.stderr.String())
		}
		return line
	case <-ctx.Done():
		t.Fatalf("%s: no output before the deadline (%v); stderr:\n%s", p.name, context.Cause(ctx), p.stderr.String())
	}
	panic("unreachable")
}

// nextJSON decodes the next line of stdout into v.
func (p *proc) nextJSON(t *testing.T, ctx context.Context, v any) {
	t.Helper()
	line := p.next(t, ctx)
	if err := json.Unmarshal([]byte(line), v); err != nil {
		t.Fatalf("%s printed %q: %v", p.name, line, err)
	}
}

// send writes one line to the process's stdin.
func (p *proc) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("write to %s: %v", p.name, err)
	}
}

// wait reads the rest of stdout until the process exits, and returns the
// lines and the exit error.
func (p *proc) wait(t *testing.T, ctx context.Context) ([]string, error) {
	t.Helper()
	var rest []string
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return rest, p.err
			}
			rest = append(rest, line)
		case <-ctx.Done():
			t.Fatalf("%s did not exit before the deadline; stderr:\n%s", p.name, p.stderr.String())
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// watch is state a test waits on: change it under update, wait for a
// condition on it with wait.
type watch struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every update
}

func (w *watch) update(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
	if w.changed != nil {
		close(w.changed)
	}
	w.changed = make(chan struct{})
}

// wait returns once cond, called with the state locked, reports true, or
// with ctx's error when ctx ends first.
func (w *watch) wait(ctx context.Context, cond func() bool) error {
	for {
		w.mu.Lock()
		if w.changed == nil {
			w.changed = make(chan struct{})
		}
		ok, ch := cond(), w.changed
		w.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// logRecorder is a slog.Handler that keeps every record, formatted as
// "LEVEL message key=value...", for tests to wait on.
type logRecorder struct {
	watch
	records []string
}

func (r *logRecorder) logger() *slog.Logger { return slog.New(&recordHandler{r: r}) }

// count returns how many records contain s.
func (r *logRecorder) count(s string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.countLocked(s)
}

// countLocked is count for a wait condition, which holds the lock.
func (r *logRecorder) countLocked(s string) int {
	n := 0
	for _, rec := range r.records {
		if strings.Contains(rec, s) {
			n++
		}
	}
	return n
}

func (r *logRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.records, "\n")
}

type recordHandler struct {
	r     *logRecorder
	attrs []slog.Attr
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	h.r.update(func() { h.r.records = append(h.r.records, b.String()) })
	return nil
}

func (h *recordHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &recordHandler{r: h.r, attrs: append(h.attrs[:len(h.attrs):len(h.attrs)], attrs...)}
}

func (h *recordHandler) WithGroup(string) slog.Handler { return h }

// playlist is the library the tests publish: artists whose slugs start with
// "the_" and others, one of them ("Theatre") starting with "the" but not
// "the_"; names, albums and titles with non-ASCII letters, and characters
// that JSON escapes.
var playlist = []library.Track{
	{Path: "The Streets/Original Pirate Material/01 Turn the Page.mp3", Artist: "The Streets", Album: "Original Pirate Material", Title: "Turn the Page", TrackNo: 1, Year: 2002, Genre: "Hip-Hop"},
	{Path: "The Cure/Disintegration/01 Plainsong.mp3", Artist: "The Cure", Album: "Disintegration", Title: "Plainsong", TrackNo: 1, Disc: 1, Year: 1989, Genre: "Rock", Duration: 5*time.Minute + 15*time.Second},
	{Path: "Sigur Rós/Takk…/02 Glósóli.mp3", Artist: "Sigur Rós", Album: "Takk…", Title: "Glósóli", TrackNo: 2, Year: 2005},
	{Path: "The Dø/Shake Shook Shaken/03 Despair, Hangover & Ecstasy.mp3", Artist: "The Dø", Album: "Shake Shook Shaken", Title: "Despair, Hangover & Ecstasy", TrackNo: 3, Year: 2014, Genre: "Indie <Pop>", AlbumArtist: "The Dø"},
	{Path: "Theatre/Act/01 One.mp3", Artist: "Theatre", Album: "Act", Title: "One"},
	{Path: "坂本龍一/音楽図鑑/01 Tibetan Dance.mp3", Artist: "坂本龍一", Album: "音楽図鑑", Title: "Tibetan Dance", TrackNo: 1, Year: 1984},
	{Path: "The Streetsweepers/Brooms/Dust.mp3", Artist: "The Streetsweepers", Album: "Brooms", Title: "Dust"},
	{Path: "Björk/Post/01 Army of Me.mp3", Artist: "Björk", Album: "Post", Title: "Army of Me", TrackNo: 1, Year: 1995},
	{Path: "Various Artists/Mix 🎧/07 \"Quoted\"\tTab.mp3", Artist: "The National", Album: "Mix 🎧", Title: "\"Quoted\"\tTab", TrackNo: 7, Disc: 2, AlbumArtist: "Various Artists"},
}

// line is how the examples and the CLI print a track.
func line(t library.Track) string { return t.Artist + " — " + t.Album + " — " + t.Title }

// matching returns the tracks of playlist whose slug starts with prefix.
func matching(prefix string) []library.Track {
	var out []library.Track
	for _, t := range playlist {
		if topics.Match(topics.Slug(t.Artist), prefix) {
			out = append(out, t)
		}
	}
	return out
}

// startPublisher runs a trackfeed publisher of playlist, in sequential
// order, on endpoint (use port 0), and returns the endpoint it bound.
func startPublisher(t *testing.T, endpoint string, interval time.Duration) string {
	t.Helper()
	return publishertest.Start(t, publisher.Config{Tracks: playlist, Bind: []string{endpoint}, Interval: interval}).Endpoints()[0]
}
