package worker_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/worker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNothingOutsideRoot(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.mp3"), []byte("ID3 not really"), 0o644)
	os.MkdirAll(filepath.Join(outside, "Folder"), 0o755)
	root := t.TempDir()
	os.Symlink(filepath.Join(outside, "secret.mp3"), filepath.Join(root, "link.mp3"))
	os.Symlink("../"+filepath.Base(outside)+"/secret.mp3", filepath.Join(root, "relative.mp3"))
	os.Symlink(filepath.Join(outside, "Folder"), filepath.Join(root, "Folder"))
	w, err := worker.New(worker.Config{Root: root, Fan: "tcp://127.0.0.1:1", Sink: "tcp://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	var r library.FileReader

	for _, tc := range []struct{ kind, body, want string }{
		{"list", `{"paths":[".."]}`, "no '..'"},
		{"list", `{"root":"..","paths":["."]}`, "no '..'"},
		{"list", `{"root":"Folder","paths":["."]}`, "path escapes from parent"},
		{"list", `{"paths":["Folder"]}`, ""},
		{"read", `{"files":[{"path":"../x.mp3"}]}`, "no '..'"},
		{"read", `{"files":[{"path":"/etc/passwd"}]}`, "no '..'"},
	} {
		res := w.Do(tc.kind, []byte(tc.body), &r)
		if len(res.Folders) == 1 && res.Error == "" {
			res.Error = res.Folders[0].Error
		}
		if tc.want == "" {
			// A listing of a link to a folder outside: an error in Skipped.
			if len(res.Folders) != 1 || len(res.Folders[0].Entries) != 0 {
				t.Errorf("%s %s: listed %+v", tc.kind, tc.body, res.Folders)
			}
			continue
		}
		if !strings.Contains(res.Error, tc.want) {
			t.Errorf("%s %s: error %q, want one that says %q", tc.kind, tc.body, res.Error, tc.want)
		}
	}
	res := w.Do("read", []byte(`{"files":[{"path":"link.mp3","link":true},{"path":"relative.mp3","link":true}]}`), &r)
	for _, rec := range res.Files {
		if rec.Skip == nil || rec.Skip.Reason != library.ReasonUnreadable {
			t.Errorf("%s, a link out of ROOT: %+v, want skipped as unreadable", rec.Path, rec)
		}
	}
}
