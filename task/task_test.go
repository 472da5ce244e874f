package task_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/task"
)

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{".", true},
		{"The Streets/Album/01 Song.mp3", true},
		{"Sigur Rós", true},
		{"", false},
		{"..", false},
		{"a/../b", false},
		{"/etc/passwd", false},
		{"a//b", false},
		{"a/", false},
		{"./a", false},
		{strings.Repeat("a", task.MaxPath), true},
		{strings.Repeat("a", task.MaxPath+1), false},
	} {
		if err := task.CheckPath(tc.path); (err == nil) != tc.ok {
			t.Errorf("CheckPath(%.40q) = %v, want ok %v", tc.path, err, tc.ok)
		}
	}
}

func TestParseJob(t *testing.T) {
	for _, tc := range []struct {
		name, kind, body, err string
	}{
		{"list", "list", `{"root":".","paths":["."]}`, ""},
		{"list, no root", "list", `{"paths":["A","B/C"]}`, ""},
		{"read", "read", `{"root":"A","files":[{"path":"B/01 x.mp3","size":3,"mtime":4}]}`, ""},
		{"unknown field", "list", `{"paths":["."],"future":1}`, ""},
		{"list without paths", "list", `{"root":"."}`, "1 to 64 paths"},
		{"list with files", "list", `{"paths":["."],"files":[{"path":"a.mp3"}]}`, "no files"},
		{"list, a path out", "list", `{"paths":[".","../x"]}`, "no '..'"},
		{"read without files", "read", `{"root":"."}`, "1 to 64 files"},
		{"read with paths", "read", `{"paths":["."],"files":[{"path":"a.mp3"}]}`, "no paths"},
		{"root out", "list", `{"root":"../x","paths":["."]}`, "no '..'"},
		{"file out", "read", `{"files":[{"path":"a/../../b.mp3"}]}`, "no '..'"},
		{"not JSON", "list", `path`, "job body"},
		{"unknown kind", "delete", `{"path":"."}`, "job kind"},
	} {
		_, err := task.ParseJob(tc.kind, []byte(tc.body))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one that says %q", tc.name, err, tc.err)
		}
	}
}

// TestRecords: what a worker read comes back as it was, a name that is
// not valid UTF-8 included.
func TestRecords(t *testing.T) {
	track := library.FileResult{Track: library.Track{Path: "A/B/01 C.mp3", Artist: "A", Album: "B", Title: "C", TrackNo: 1},
		Stamp: library.Stamp{Size: 10, ModTime: 20}, Settled: true}
	skip := library.FileResult{Skip: &library.Skip{Path: "x.mp3", Reason: library.ReasonCorrupt, Err: errors.New("bad frame")}}
	for _, fr := range []library.FileResult{track, skip, {Unchanged: true, Stamp: library.Stamp{Size: 1, ModTime: 2}}} {
		p := fr.Track.Path
		if fr.Skip != nil {
			p = fr.Skip.Path
		}
		got, err := task.RecordOf(p, fr).FileResult()
		if err != nil {
			t.Fatal(err)
		}
		if got.Track != fr.Track || got.Unchanged != fr.Unchanged || got.Stamp != fr.Stamp || got.Settled != fr.Settled {
			t.Errorf("%s: got %+v, want %+v", p, got, fr)
		}
		if (got.Skip == nil) != (fr.Skip == nil) || got.Skip != nil && (got.Skip.Reason != fr.Skip.Reason || got.Skip.Err.Error() != fr.Skip.Err.Error()) {
			t.Errorf("%s: skip %+v, want %+v", p, got.Skip, fr.Skip)
		}
	}
	bad := library.Skip{Path: "A/bad\xffname.mp3", Reason: library.ReasonBadName}
	s := task.SkipOf(bad)
	if s.Path != "" || string(s.RawPath) != bad.Path {
		t.Errorf("SkipOf(%q) = %+v, want the name in raw_path", bad.Path, s)
	}
	if back := s.Library(); back.Path != bad.Path {
		t.Errorf("back: %q, want %q", back.Path, bad.Path)
	}
	if _, err := (task.Record{Path: "x.mp3"}).FileResult(); err == nil {
		t.Error("a record with no track, skip or unchanged: no error")
	}
}
