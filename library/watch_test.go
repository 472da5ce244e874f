package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// watchState is what a consumer of a Watcher holds: the library as the
// initial scan found it, with every Change applied since.
type watchState struct {
	mu      sync.Mutex
	tracks  map[string]Track
	added   map[string]int // times each path came in Change.Added
	removed map[string]int // times each path came in Change.Removed
	changes int
	changed chan struct{} // closed and replaced on every Change
}

func (s *watchState) apply(ch Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.IsSortedFunc(ch.Added, func(a, b Track) int { return strings.Compare(a.Path, b.Path) }) || !slices.IsSorted(ch.Removed) {
		panic(fmt.Sprintf("change not sorted: %+v", ch))
	}
	for _, t := range ch.Added {
		s.tracks[t.Path] = t
		s.added[t.Path]++
	}
	for _, p := range ch.Removed {
		delete(s.tracks, p)
		s.removed[p]++
	}
	s.changes++
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor waits until cond, called with the tracks, holds; it fails the
// test after ten seconds, and returns how long it waited.
func (s *watchState) waitFor(t testing.TB, what string, cond func(tracks map[string]Track) bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := cond(s.tracks)
		changed := s.changed
		s.mu.Unlock()
		if ok {
			return time.Since(start)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%s: not within 10s; tracks now:\n%s", what, strings.Join(s.paths(), "\n"))
		}
	}
}

func (s *watchState) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.tracks))
}

func has(paths ...string) func(map[string]Track) bool {
	return func(m map[string]Track) bool {
		for _, p := range paths {
			if _, ok := m[p]; !ok {
				return false
			}
		}
		return true
	}
}

func hasNone(paths ...string) func(map[string]Track) bool {
	return func(m map[string]Track) bool {
		for _, p := range paths {
			if _, ok := m[p]; ok {
				return false
			}
		}
		return true
	}
}

// startWatch watches root as a publisher does: NewWatcher, then a scan
// whose tracks seed the state, then Run until the test ends. The test
// fails if a goroutine outlives it.
func startWatch(t testing.TB, root string, opts WatchOptions) (*watchState, *Watcher) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWatcher(ctx, root, os.DirFS(root), opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	lib, err := Scan(ctx, os.DirFS(root), Options{})
	if err != nil {
		cancel()
		w.Close()
		t.Fatal(err)
	}
	s := &watchState{
		tracks:  make(map[string]Track),
		added:   make(map[string]int),
		removed: make(map[string]int),
		changed: make(chan struct{}),
	}
	for _, tr := range lib.Tracks {
		s.tracks[tr.Path] = tr
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, s.apply) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run still running 5s after its context ended")
		}
	})
	return s, w
}

// mp3 is a small MP3 file whose tag names artist and title.
func mp3(artist, title string) []byte {
	return cat(librarytest.Tag(3, "TPE1", artist, "TIT2", title), audio(200))
}

func write(t testing.TB, root, rel string, data []byte) {
	t.Helper()
	writeFiles(t, root, map[string][]byte{rel: data})
}

func TestWatchFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before map[string][]byte
		change func(t *testing.T, root string)
		want   []string                    // paths that must come in
		gone   []string                    // paths that must leave
		check  func(map[string]Track) bool // more to wait for, if not nil
	}{
		{
			name:   "add a file",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One")},
			change: func(t *testing.T, root string) { write(t, root, "A/Album/02 Two.mp3", mp3("A", "Two")) },
			want:   []string{"A/Album/02 Two.mp3"},
		},
		{
			name:   "rename a file",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One")},
			change: func(t *testing.T, root string) {
				mv(t, filepath.Join(root, "A/Album/01 One.mp3"), filepath.Join(root, "A/Album/01 Uno.mp3"))
			},
			want: []string{"A/Album/01 Uno.mp3"},
			gone: []string{"A/Album/01 One.mp3"},
		},
		{
			name:   "remove a file",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One"), "A/Album/02 Two.mp3": mp3("A", "Two")},
			change: func(t *testing.T, root string) { rm(t, filepath.Join(root, "A/Album/01 One.mp3")) },
			want:   []string{"A/Album/02 Two.mp3"},
			gone:   []string{"A/Album/01 One.mp3"},
		},
		{
			name: "remove a folder",
			before: map[string][]byte{
				"A/Album/01 One.mp3": mp3("A", "One"), "A/Album/CD 2/01 Two.mp3": mp3("A", "Two"),
				"B/Album/01 Three.mp3": mp3("B", "Three"),
			},
			change: func(t *testing.T, root string) {
				if err := os.RemoveAll(filepath.Join(root, "A")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"B/Album/01 Three.mp3"},
			gone: []string{"A/Album/01 One.mp3", "A/Album/CD 2/01 Two.mp3"},
		},
		{
			name: "rename a folder",
			before: map[string][]byte{
				"A/Album/01 One.mp3": mp3("A", "One"), "A/Album/Bonus/01 Two.mp3": mp3("A", "Two"),
			},
			change: func(t *testing.T, root string) {
				mv(t, filepath.Join(root, "A/Album"), filepath.Join(root, "A/Renamed"))
				// The subfolder's watch must follow: a file added there now
				// comes under the new name.
				write(t, root, "A/Renamed/Bonus/02 Three.mp3", mp3("A", "Three"))
			},
			want: []string{"A/Renamed/01 One.mp3", "A/Renamed/Bonus/01 Two.mp3", "A/Renamed/Bonus/02 Three.mp3"},
			gone: []string{"A/Album/01 One.mp3", "A/Album/Bonus/01 Two.mp3"},
		},
		{
			name:   "move a folder out",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One"), "B/Album/01 Two.mp3": mp3("B", "Two")},
			change: func(t *testing.T, root string) {
				mv(t, filepath.Join(root, "A"), filepath.Join(t.TempDir(), "A"))
			},
			want: []string{"B/Album/01 Two.mp3"},
			gone: []string{"A/Album/01 One.mp3"},
		},
		{
			name:   "create folders with files",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One")},
			change: func(t *testing.T, root string) {
				writeFiles(t, root, map[string][]byte{
					"New/Album/01 Two.mp3":       mp3("New", "Two"),
					"New/Album/Deep/01 Four.mp3": mp3("New", "Four"),
					"New/Other/01 Three.mp3":     mp3("New", "Three"),
				})
			},
			want: []string{"New/Album/01 Two.mp3", "New/Album/Deep/01 Four.mp3", "New/Other/01 Three.mp3"},
		},
		{
			name:   "move a tree in",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One")},
			change: func(t *testing.T, root string) {
				outside := t.TempDir()
				writeFiles(t, outside, map[string][]byte{
					"C/Album/01 Two.mp3":      mp3("C", "Two"),
					"C/Album/Deep/01 Six.mp3": mp3("C", "Six"),
				})
				mv(t, filepath.Join(outside, "C"), filepath.Join(root, "C"))
			},
			want: []string{"C/Album/01 Two.mp3", "C/Album/Deep/01 Six.mp3"},
		},
		{
			name:   "replace a file",
			before: map[string][]byte{"A/Album/01 One.mp3": mp3("A", "One")},
			change: func(t *testing.T, root string) {
				tmp := filepath.Join(root, "A/Album/.01 One.mp3.part")
				if err := os.WriteFile(tmp, mp3("A", "Replaced"), 0o644); err != nil {
					t.Fatal(err)
				}
				mv(t, tmp, filepath.Join(root, "A/Album/01 One.mp3"))
			},
			check: func(m map[string]Track) bool { return m["A/Album/01 One.mp3"].Title == "Replaced" },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tc.before)
			s, _ := startWatch(t, root, WatchOptions{})
			tc.change(t, root)
			// How soon a change comes through is measured by
			// BenchmarkWatchChange, not asserted here: a loaded machine is
			// slow without anything being wrong.
			s.waitFor(t, "change", func(m map[string]Track) bool {
				return has(tc.want...)(m) && hasNone(tc.gone...)(m) && (tc.check == nil || tc.check(m))
			})
		})
	}
}

// BenchmarkWatchChange is how long a new file takes from its write to the
// watcher's callback, the settle time (DefaultSettle) included.
func BenchmarkWatchChange(b *testing.B) {
	root := b.TempDir()
	s, _ := startWatch(b, root, WatchOptions{})
	for i := 0; b.Loop(); i++ {
		rel := fmt.Sprintf("A/Album/%04d One.mp3", i)
		write(b, root, rel, mp3("A", "One"))
		s.waitFor(b, rel, has(rel))
	}
}

func TestWatchReplacedTagIsRead(t *testing.T) {
	root := t.TempDir()
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One"))
	s, _ := startWatch(t, root, WatchOptions{})
	write(t, root, "A/Album/01 One.mp3", mp3("Someone Else", "Other"))
	s.waitFor(t, "new tag", func(m map[string]Track) bool { return m["A/Album/01 One.mp3"].Artist == "Someone Else" })
}

// TestWatchBrokenFiles covers files that change under a running publisher:
// truncated or replaced by garbage, they leave (logged at Debug); a file
// being written is read once it settles.
func TestWatchBrokenFiles(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{
		"A/Album/01 One.mp3":   mp3("A", "One"),
		"A/Album/02 Two.mp3":   mp3("A", "Two"),
		"A/Album/03 Three.mp3": mp3("A", "Three"),
	}
	writeFiles(t, root, files)
	var logs syncBuf
	s, _ := startWatch(t, root, WatchOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err := os.Truncate(filepath.Join(root, "A/Album/01 One.mp3"), 0); err != nil {
		t.Fatal(err)
	}
	write(t, root, "A/Album/02 Two.mp3", []byte("ID3\x03\x00\x00\x7f\x7f\x7f\x7fnot a tag"))
	s.waitFor(t, "broken files leave", func(m map[string]Track) bool {
		return hasNone("A/Album/01 One.mp3", "A/Album/02 Two.mp3")(m) && has("A/Album/03 Three.mp3")(m)
	})
	for _, want := range []string{
		`msg=skip path="A/Album/01 One.mp3" reason="empty file"`,
		`msg=skip path="A/Album/02 Two.mp3" reason="corrupt tag"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log has no %s:\n%s", want, logs.String())
		}
	}
	// Written back, a file comes back.
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One again"))
	s.waitFor(t, "rewritten file", func(m map[string]Track) bool { return m["A/Album/01 One.mp3"].Title == "One again" })
}

// TestWatchSlowWrite writes a file in pieces, closer together than the
// settle time: it is read once, complete.
func TestWatchSlowWrite(t *testing.T) {
	root := t.TempDir()
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One"))
	s, _ := startWatch(t, root, WatchOptions{Settle: 500 * time.Millisecond})
	data := mp3("A", "Slow")
	f, err := os.Create(filepath.Join(root, "A/Album/02 Slow.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	const pieces = 5
	for i := range pieces {
		if _, err := f.Write(data[i*len(data)/pieces : (i+1)*len(data)/pieces]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // a slow writer, not a wait for the watcher
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "slow file", has("A/Album/02 Slow.mp3"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, r := s.added["A/Album/02 Slow.mp3"], s.removed["A/Album/02 Slow.mp3"]; a != 1 || r != 0 {
		t.Errorf("the file came %d times and left %d times, want once and never", a, r)
	}
	if got := s.tracks["A/Album/02 Slow.mp3"].Title; got != "Slow" {
		t.Errorf("title %q, want Slow", got)
	}
}

// TestWatchBurst writes 1,000 files as fast as it can: every one comes
// through, with its own tag, and none leaves. A file may come twice: when
// the machine is slow, a write's event can reach the watcher after the
// file was read (a new folder's walk lists it at once), and the watcher
// cannot tell that late event from a new write, so it reads the file
// again; the second read is the same track.
func TestWatchBurst(t *testing.T) {
	root := t.TempDir()
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One"))
	s, _ := startWatch(t, root, WatchOptions{})
	const n = 1000
	var want []string
	for i := range n {
		rel := fmt.Sprintf("Burst/Album %d/%03d Song.mp3", i/100, i)
		if i%2 == 1 {
			rel = fmt.Sprintf("A/Album/%03d Song.mp3", i)
		}
		want = append(want, rel)
		p := filepath.Join(root, filepath.FromSlash(rel))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, mp3("Burst", fmt.Sprint(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.waitFor(t, "1,000 files", has(want...))
	s.mu.Lock()
	defer s.mu.Unlock()
	again := 0
	for i, p := range want {
		if s.added[p] < 1 || s.removed[p] != 0 {
			t.Errorf("%s came %d times and left %d times, want at least once and never", p, s.added[p], s.removed[p])
		}
		if got := s.tracks[p].Title; got != fmt.Sprint(i) {
			t.Errorf("%s has title %q, want %d", p, got, i)
		}
		if s.added[p] > 1 {
			again++
		}
	}
	t.Logf("1,000 files in %d changes; %d read twice", s.changes, again)
}

// TestWatchIgnores creates what Scan leaves out, then one track: only the
// track comes through.
func TestWatchIgnores(t *testing.T) {
	root := t.TempDir()
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One"))
	s, _ := startWatch(t, root, WatchOptions{})
	writeFiles(t, root, map[string][]byte{
		"A/Album/.02 Hidden.mp3":      mp3("A", "Hidden"),
		"A/Album/cover.jpg":           []byte("\xff\xd8\xff"),
		".hidden/Album/01 Hidden.mp3": mp3("H", "Hidden"),
		"A/.Trash/01 Gone.mp3":        mp3("A", "Gone"),
	})
	write(t, root, "A/Album/03 Last.mp3", mp3("A", "Last"))
	s.waitFor(t, "last", has("A/Album/03 Last.mp3"))
	if got, want := s.paths(), []string{"A/Album/01 One.mp3", "A/Album/03 Last.mp3"}; !slices.Equal(got, want) {
		t.Errorf("tracks %q, want %q", got, want)
	}
}

// TestWatchOverflow loses events on purpose (by dropping a folder's watch
// behind the watcher's back), then reports an overflow: the watcher reads
// the tree again and catches up.
func TestWatchOverflow(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"A/Album/01 One.mp3": mp3("A", "One"),
		"A/Album/02 Two.mp3": mp3("A", "Two"),
	})
	var logs syncBuf
	s, w := startWatch(t, root, WatchOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := w.fsw.Remove(filepath.Join(root, "A", "Album")); err != nil {
		t.Fatal(err)
	}
	rm(t, filepath.Join(root, "A/Album/01 One.mp3"))
	write(t, root, "A/Album/03 Three.mp3", mp3("A", "Three"))
	write(t, root, "B/Album/01 Four.mp3", mp3("B", "Four"))
	s.waitFor(t, "the new folder", has("B/Album/01 Four.mp3"))
	if got := s.paths(); !slices.Equal(got, []string{"A/Album/01 One.mp3", "A/Album/02 Two.mp3", "B/Album/01 Four.mp3"}) {
		t.Fatalf("the unwatched folder's changes came through: %q", got)
	}
	select {
	case w.fsw.Errors <- fsnotify.ErrEventOverflow:
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher does not read its errors")
	}
	s.waitFor(t, "rescan", func(m map[string]Track) bool {
		return has("A/Album/02 Two.mp3", "A/Album/03 Three.mp3", "B/Album/01 Four.mp3")(m) && hasNone("A/Album/01 One.mp3")(m)
	})
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "some were lost") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
	// The folder is watched again.
	write(t, root, "A/Album/04 Five.mp3", mp3("A", "Five"))
	s.waitFor(t, "a file in the folder watched again", has("A/Album/04 Five.mp3"))
}

// TestWatchHeldUntilRun changes the tree between NewWatcher and Run, as
// happens during the initial scan: the change is applied once Run starts.
func TestWatchHeldUntilRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	root := t.TempDir()
	write(t, root, "A/Album/01 One.mp3", mp3("A", "One"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := NewWatcher(ctx, root, os.DirFS(root), WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rm(t, filepath.Join(root, "A/Album/01 One.mp3"))
	write(t, root, "A/Album/02 Two.mp3", mp3("A", "Two"))
	got := make(chan Change, 1)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- w.Run(runCtx, func(ch Change) {
			select {
			case got <- ch:
			default:
			}
		})
	}()
	select {
	case ch := <-got:
		if len(ch.Added) != 1 || ch.Added[0].Path != "A/Album/02 Two.mp3" || !slices.Equal(ch.Removed, []string{"A/Album/01 One.mp3"}) {
			t.Errorf("change %+v, want 02 Two added and 01 One removed", ch)
		}
	case <-ctx.Done():
		t.Fatal("no change within 10s")
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Run(ctx, func(Change) {}); err == nil {
		t.Error("Run after Close: no error")
	}
}

func TestWatchErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	missing := filepath.Join(t.TempDir(), "nothing")
	_, err := NewWatcher(t.Context(), missing, os.DirFS(missing), WatchOptions{})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NewWatcher on a missing folder: %v, want a not-exist error", err)
	}
	dir := t.TempDir()
	w, err := NewWatcher(t.Context(), dir, os.DirFS(dir), WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close before Run: %v", err)
	}
	if err := w.Run(t.Context(), func(Change) {}); !errors.Is(err, ErrWatcherClosed) {
		t.Errorf("Run after Close: %v, want ErrWatcherClosed", err)
	}
}

func mv(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func rm(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

// syncBuf is a bytes.Buffer for a logger that a test reads while the
// watcher writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatchRunFrom: a watcher set up beside a scan reconciles with what
// the scan saw: a file the scan missed is read, a file the scan saw that
// is gone is removed, and the skipped files the scan saw are left alone.
func TestWatchRunFrom(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	root := t.TempDir()
	write(t, root, "A/Album/01 Kept.mp3", mp3("A", "Kept"))
	write(t, root, "A/Album/02 Late.mp3", mp3("A", "Late")) // created "after the scan listed A/Album"
	write(t, root, "A/Album/03 Empty.mp3", nil)             // skipped by the scan
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := NewWatcher(ctx, root, os.DirFS(root), WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := &watchState{tracks: map[string]Track{"A/Album/01 Kept.mp3": {Path: "A/Album/01 Kept.mp3"}, "A/Album/04 Gone.mp3": {Path: "A/Album/04 Gone.mp3"}},
		added: map[string]int{}, removed: map[string]int{}, changed: make(chan struct{})}
	scanned := map[string]bool{"A/Album/01 Kept.mp3": true, "A/Album/03 Empty.mp3": true, "A/Album/04 Gone.mp3": true}
	done := make(chan error, 1)
	go func() { done <- w.RunFrom(ctx, scanned, s.apply) }()
	s.waitFor(t, "the late file read and the gone one removed", func(m map[string]Track) bool {
		return has("A/Album/02 Late.mp3")(m) && hasNone("A/Album/04 Gone.mp3")(m)
	})
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.added["A/Album/01 Kept.mp3"] != 0 || s.added["A/Album/03 Empty.mp3"] != 0 {
		t.Errorf("files the scan saw were read again: %v", s.added)
	}
}
