package publisher_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/internal/zmtp/zmtptest"
	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/publisher"
	"github.com/trackfeed/trackfeed/publisher/publishertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeSample writes the first n files of the sample library's catalogue
// into a new folder, an hour old (the scan cache keeps only files whose
// modification time is settled), and returns the folder and the files.
func writeSample(t *testing.T, n int) (string, []librarytest.File) {
	t.Helper()
	dir := t.TempDir()
	files := librarytest.Files()[:n]
	for _, f := range files {
		writeFile(t, dir, f, time.Now().Add(-time.Hour))
	}
	return dir, files
}

func writeFile(t *testing.T, dir string, f librarytest.File, mtime time.Time) {
	t.Helper()
	b, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func paths(tracks []library.Track) []string {
	out := make([]string, len(tracks))
	for i, t := range tracks {
		out[i] = t.Path
	}
	return out
}

func filePaths(files []librarytest.File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	slices.Sort(out)
	return out
}

// waitScanned waits for the publisher's first scan to be applied.
func waitScanned(t *testing.T, p *publisher.Publisher) {
	t.Helper()
	select {
	case <-p.Scanned():
	case <-time.After(10 * time.Second):
		t.Fatal("the first scan is not done within 10s")
	}
}

// TestCacheBeforeScan: a restart plays the scan cache's tracks before the
// scan reads a file; the scan's tracks, newer, replace them; a cached track
// whose file is gone leaves when the scan is done.
func TestCacheBeforeScan(t *testing.T) {
	dir, files := writeSample(t, 6)
	cache := filepath.Join(t.TempDir(), "scan.cache")
	p, stop := publishertest.StartStoppable(t, publisher.Config{Dir: dir, Cache: cache})
	waitScanned(t, p)
	stop()
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("the first run saved no scan cache: %v", err)
	}

	gone, changed := files[0], files[1]
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(gone.Path))); err != nil {
		t.Fatal(err)
	}
	oldTitle := changed.Title
	changed.Title = "A Title Changed Since"
	writeFile(t, dir, changed, time.Now().Add(-time.Minute))

	// What the playlist holds while the scan reads its first file: every
	// cached track, the gone one too.
	var duringScan []string
	first := true
	p, err := publisher.New(publisher.Config{Dir: dir, Cache: cache, Bind: []string{"tcp://127.0.0.1:0"}, OnTrack: func(library.Track) {
		if first {
			first = false
			duringScan = paths(p.Tracks())
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitScanned(t, p)
	if want := filePaths(files); !slices.Equal(duringScan, want) {
		t.Errorf("while scanning, the playlist held\n%q\nwant every cached track\n%q", duringScan, want)
	}
	after := p.Tracks()
	if want := filePaths(files[1:]); !slices.Equal(paths(after), want) {
		t.Errorf("after the scan, the playlist holds\n%q\nwant\n%q", paths(after), want)
	}
	for _, tr := range after {
		if tr.Path == changed.Path && tr.Title != changed.Title {
			t.Errorf("changed file: title %q, want the scan's %q (the cache had %q)", tr.Title, changed.Title, oldTitle)
		}
	}
	if s := p.Stats(); s.Tracks != len(files)-1 {
		t.Errorf("Stats().Tracks = %d, want %d", s.Tracks, len(files)-1)
	}
}

// TestWatchAfterScan: with Watch, a file added after the scan joins the
// playlist and a file removed leaves it; a file removed while the scan
// runs does not come back when the watcher's changes apply.
func TestWatchAfterScan(t *testing.T) {
	dir, files := writeSample(t, 8)
	removed := files[len(files)-1]
	var once bool
	p := publishertest.Start(t, publisher.Config{Dir: dir, Watch: true, Interval: time.Millisecond, OnTrack: func(library.Track) {
		if !once {
			once = true
			os.Remove(filepath.Join(dir, filepath.FromSlash(removed.Path)))
		}
	}})
	waitScanned(t, p)
	has := func(path string) bool {
		return slices.Contains(paths(p.Tracks()), path)
	}
	zmtptest.WaitFor(t, 10*time.Second, "the file removed during the scan to leave", func() bool { return !has(removed.Path) })

	added := librarytest.Files()[len(files)]
	writeFile(t, dir, added, time.Now())
	zmtptest.WaitFor(t, 10*time.Second, "the added file to join", func() bool { return has(added.Path) })
	if err := os.RemoveAll(filepath.Join(dir, strings.Split(added.Path, "/")[0])); err != nil {
		t.Fatal(err)
	}
	zmtptest.WaitFor(t, 10*time.Second, "the added file to leave", func() bool { return !has(added.Path) })
	// The removal during the scan must not have been undone since.
	if has(removed.Path) {
		t.Errorf("%s came back after it was removed during the scan", removed.Path)
	}
}

// TestNoWatch: without Watch, the playlist stays as scanned.
func TestNoWatch(t *testing.T) {
	dir, files := writeSample(t, 3)
	p := publishertest.Start(t, publisher.Config{Dir: dir})
	waitScanned(t, p)
	writeFile(t, dir, librarytest.Files()[3], time.Now())
	// Nothing announces a change that is not followed: give a watcher, if
	// one ran by mistake, the time it takes to notice.
	time.Sleep(500 * time.Millisecond)
	if got := paths(p.Tracks()); !slices.Equal(got, filePaths(files)) {
		t.Errorf("without Watch the playlist changed to %q", got)
	}
}

// TestNoTracks: an empty folder is Run's *NoTracksError, right after the
// scan; the endpoints are free again when Run returns.
func TestNoTracks(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("no music here"), 0o644)
	p, err := publisher.New(publisher.Config{Dir: dir, Bind: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ep := p.Endpoints()[0]
	err = p.Run(context.Background())
	var nt *publisher.NoTracksError
	if !errors.As(err, &nt) {
		t.Fatalf("Run: %v, want a *NoTracksError", err)
	}
	select {
	case <-p.OnAir():
		t.Error("OnAir is closed, but no track was sent")
	default:
	}
	l, err := net.Listen("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatalf("the feed's port is still taken after Run: %v", err)
	}
	l.Close()
}

// TestBindFirst: New binds every endpoint before it reads a file, so a
// taken port fails at once, as a *BindError that names the socket.
func TestBindFirst(t *testing.T) {
	ep := zmtptest.Taken(t)
	for _, tc := range []struct {
		socket      string
		bind, query string
	}{{"feed", ep, ""}, {"query", "tcp://127.0.0.1:0", ep}} {
		cfg := publisher.Config{Dir: "/no/such/folder", Bind: []string{tc.bind}}
		if tc.query != "" {
			cfg.Query = []string{tc.query}
		}
		_, err := publisher.New(cfg)
		var be *publisher.BindError
		if !errors.As(err, &be) || be.Socket != tc.socket || !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("%s port taken: New: %v, want a *BindError of the %s socket, EADDRINUSE", tc.socket, err, tc.socket)
		}
	}
	// The feed bound before the query failed is released.
	if _, err := publisher.New(publisher.Config{Tracks: publishertest.Tracks(1), Bind: []string{ep}}); err == nil {
		t.Error("New bound a taken port")
	}
}

// TestStopWhileScanning: a publisher stopped during its first scan
// returns nil.
func TestStopWhileScanning(t *testing.T) {
	dir, _ := writeSample(t, 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := publisher.New(publisher.Config{Dir: dir, Bind: []string{"tcp://127.0.0.1:0"}, Workers: 1,
		OnTrack: func(library.Track) { cancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx); err != nil {
		t.Errorf("Run stopped during the scan: %v, want nil", err)
	}
}
