package remote_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/remote"
	"github.com/trackfeed/trackfeed/task"
	"github.com/trackfeed/trackfeed/ventilator"
	"github.com/trackfeed/trackfeed/ventilator/ventilatortest"
	"github.com/trackfeed/trackfeed/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sampleMusic(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "sample-music")
}

func scanCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// same checks that a remote scan found what a local one did.
func same(t *testing.T, got, want *library.Library) {
	t.Helper()
	if len(got.Tracks) != len(want.Tracks) {
		t.Fatalf("remote scan: %d tracks, local: %d", len(got.Tracks), len(want.Tracks))
	}
	for i := range want.Tracks {
		// A remote scan has no cover art: the pictures stay with the files.
		w := want.Tracks[i]
		w.Cover = library.Cover{}
		if got.Tracks[i] != w {
			t.Fatalf("track %d:\nremote %+v\nlocal  %+v", i, got.Tracks[i], w)
		}
	}
	if len(got.Skipped) != len(want.Skipped) {
		t.Fatalf("remote scan: %d skipped, local: %d\nremote %v\nlocal  %v", len(got.Skipped), len(want.Skipped), got.Skipped, want.Skipped)
	}
	for i, w := range want.Skipped {
		g := got.Skipped[i]
		if g.Path != w.Path || g.Reason != w.Reason || errText(g.Err) != errText(w.Err) {
			t.Errorf("skip %d:\nremote %q %s %q\nlocal  %q %s %q", i, g.Path, g.Reason, errText(g.Err), w.Path, w.Reason, errText(w.Err))
		}
	}
	if !reflect.DeepEqual(got.Summary(), want.Summary()) {
		t.Errorf("summary: remote %v, local %v", got.Summary(), want.Summary())
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRemoteScanIsLocalScan(t *testing.T) {
	gen := t.TempDir()
	if _, err := librarytest.WriteLibrary(gen, 600, 7); err != nil {
		t.Fatal(err)
	}
	// Files a scan must skip, and a folder within.
	os.WriteFile(filepath.Join(gen, "empty.mp3"), nil, 0o644)
	os.MkdirAll(filepath.Join(gen, "Odd", "Folder"), 0o755)
	os.WriteFile(filepath.Join(gen, "Odd", "Folder", "01.mp3"), []byte("not a tag"), 0o644)
	os.WriteFile(filepath.Join(gen, "Odd", "bad\xffname.mp3"), []byte("x"), 0o644)
	os.Symlink("../Odd/Folder/01.mp3", filepath.Join(gen, "Odd", "link.mp3"))

	for _, tc := range []struct {
		name, root, folder string
	}{
		{"sample-music", sampleMusic(t), ""},
		{"sample-music, one artist", sampleMusic(t), "The Streets"},
		{"generated", gen, "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := ventilatortest.Start(t, ventilator.Config{})
			ventilatortest.StartWorker(t, v, tc.root, worker.Config{Jobs: 2})
			ventilatortest.StartWorker(t, v, tc.root, worker.Config{Jobs: 2})
			local, err := library.Scan(context.Background(), os.DirFS(filepath.Join(tc.root, tc.folder)), library.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := remote.Scan(scanCtx(t), v.Control, tc.folder, remote.Options{Batch: 7})
			if err != nil {
				t.Fatal(err)
			}
			same(t, got, local)
		})
	}
}

func TestCacheMakesWorkersAnswerUnchanged(t *testing.T) {
	root := t.TempDir()
	if _, err := librarytest.WriteLibrary(root, 120, 3); err != nil {
		t.Fatal(err)
	}
	// Old enough for the cache to remember.
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		return os.Chtimes(p, old, old)
	})
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, root, worker.Config{Jobs: 2})
	cache := library.NewCache(filepath.Join(t.TempDir(), "cache"))
	first, err := remote.Scan(scanCtx(t), v.Control, "", remote.Options{Library: library.Options{Cache: cache}})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Len() != 120 {
		t.Fatalf("cache holds %d files after the first scan, want 120", cache.Len())
	}
	// A file the cache holds changes; the others are answered unchanged,
	// so a worker that could not read them still gives the same library.
	f := first.Tracks[0].Path
	if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := remote.Scan(scanCtx(t), v.Control, "", remote.Options{Library: library.Options{Cache: cache}})
	if err != nil {
		t.Fatal(err)
	}
	local, err := library.Scan(context.Background(), os.DirFS(root), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	same(t, second, local)
	if len(second.Skipped) == 0 || second.Skipped[0].Path != f || second.Skipped[0].Reason != library.ReasonEmpty {
		t.Errorf("the emptied file %s is not skipped as empty: %v", f, second.Skipped)
	}
}

func TestNoWorker(t *testing.T) {
	v := ventilatortest.Start(t, ventilator.Config{})
	var told string
	start := time.Now()
	_, err := remote.Scan(scanCtx(t), v.Control, "", remote.Options{Timeout: 300 * time.Millisecond,
		OnWaiting: func(fan string) { told = fan }})
	var nw *remote.NoWorkersError
	if !errors.As(err, &nw) {
		t.Fatalf("err = %v, want a *NoWorkersError", err)
	}
	if told != v.Fan || nw.Fan != v.Fan {
		t.Errorf("told to wait on %q, error says %q; want %q", told, nw.Fan, v.Fan)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v, want about 300ms", d)
	}
	ventilatortest.WaitIdle(t, v)
}

func TestNoVentilator(t *testing.T) {
	_, err := remote.Scan(scanCtx(t), "tcp://127.0.0.1:1", "", remote.Options{Timeout: 200 * time.Millisecond})
	var na *remote.NoAnswerError
	if !errors.As(err, &na) {
		t.Fatalf("err = %v, want a *NoAnswerError", err)
	}
}

func TestRootOutsideWorkers(t *testing.T) {
	v := ventilatortest.Start(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(t), worker.Config{Jobs: 1})
	for _, folder := range []string{"No Such Artist", "../sample-music"} {
		_, err := remote.Scan(scanCtx(t), v.Control, folder, remote.Options{})
		if err == nil {
			t.Errorf("scan of %q: no error", folder)
		}
	}
}

// TestVentilatorRestarted: a client whose ventilator goes away mid-task
// fails at once with an error that says so; workers connect to the new
// ventilator by themselves, and the next scan completes.
func TestVentilatorRestarted(t *testing.T) {
	ctx := scanCtx(t)
	v, stop := ventilatortest.StartStoppable(t, ventilator.Config{})
	ventilatortest.StartWorker(t, v, sampleMusic(t), worker.Config{Jobs: 1})
	v.WaitWorkers(t, 1)
	// A PULL that takes the task's first job and sits on it.
	hung := ventilatortest.HungWorker(t, v)
	done := make(chan error, 1)
	go func() {
		_, err := remote.Scan(ctx, v.Control, "", remote.Options{})
		done <- err
	}()
	waitJob(t, hung, v)
	stop()
	var na *remote.NoAnswerError
	select {
	case err := <-done:
		if !errors.As(err, &na) || !strings.Contains(err.Error(), "restarted") {
			t.Fatalf("err = %v, want a *NoAnswerError that says the ventilator may have restarted", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the scan did not end within 5s of its ventilator")
	}

	v2 := ventilatortest.StartAt(t, ventilator.Config{}, v)
	v2.WaitWorkers(t, 1)
	if _, err := remote.Scan(ctx, v2.Control, "", remote.Options{}); err != nil {
		t.Fatal(err)
	}
}

// waitJob waits until the hung worker has a job, or the scan has ended
// without it needing one.
func waitJob(t *testing.T, hung *task.Conn, v *ventilatortest.Ventilator) {
	t.Helper()
	hung.Zmtp().NetConn().SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := hung.Recv(); err != nil {
		t.Fatalf("the hung worker got no job: %v", err)
	}
}
