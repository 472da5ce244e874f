package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/trackfeed/trackfeed/internal/zmtp"
	"github.com/trackfeed/trackfeed/library"
)

// Default endpoints: the ventilator binds tcp://*:PORT, clients and workers
// connect to tcp://HOST:PORT.
const (
	ControlPort = 10003
	FanPort     = 10004
	SinkPort    = 10005
)

// The first frame of each message.
const (
	CmdJob     = "job"     // client → ventilator, ventilator → worker
	CmdCancel  = "cancel"  // client → ventilator
	CmdResult  = "result"  // worker → ventilator, ventilator → client
	CmdWaiting = "waiting" // ventilator → client: no worker connected
	CmdError   = "error"   // ventilator → client: a message refused
)

// The kinds of job.
const (
	KindList = "list"
	KindRead = "read"
)

// Limits of the protocol.
const (
	// MaxFiles is the most files a read job names, and the most folders
	// a list job names.
	MaxFiles = 64
	// MaxTaskID is the longest task name, in bytes.
	MaxTaskID = 64
	// MaxOutstanding is the most jobs a client may have unanswered on one
	// connection.
	MaxOutstanding = 1024
	// Credit is the most jobs the ventilator hands one PULL connection
	// before it has their results.
	Credit = 2
)

// Limits of what each socket accepts from its peers.
var (
	// ControlLimits bound what a client sends the ventilator.
	ControlLimits = zmtp.Limits{MaxFrame: 1 << 20, MaxFrames: 8, HandshakeTimeout: 5 * time.Second}
	// SinkLimits bound what a worker sends the ventilator: a result lists
	// a whole folder.
	SinkLimits = zmtp.Limits{MaxFrame: 16 << 20, MaxFrames: 8, HandshakeTimeout: 5 * time.Second}
	// JobLimits bound what a worker takes from the ventilator.
	JobLimits = zmtp.Limits{MaxFrame: 1 << 20, MaxFrames: 8, HandshakeTimeout: 5 * time.Second}
	// ClientLimits bound what a client takes from the ventilator: the
	// workers' results.
	ClientLimits = zmtp.Limits{MaxFrame: 16 << 20, MaxFrames: 8, HandshakeTimeout: 5 * time.Second}
)

// Job is the body of a job: folders to list (Paths) or files to read
// (Files), under the task's folder Root, relative to the worker's ROOT.
type Job struct {
	Root  string   `json:"root"`
	Paths []string `json:"paths,omitempty"`
	Files []File   `json:"files,omitempty"`
}

// File is a file of a read job: its path, whether the listing found a
// link, and the stamp the client's cache holds for it, if any.
type File struct {
	Path  string `json:"path"`
	Link  bool   `json:"link,omitempty"`
	Size  *int64 `json:"size,omitempty"`
	MTime *int64 `json:"mtime,omitempty"`
}

// Known returns the stamp the job gives for the file, or nil.
func (f File) Known() *library.Stamp {
	if f.Size == nil || f.MTime == nil {
		return nil
	}
	return &library.Stamp{Size: *f.Size, ModTime: *f.MTime}
}

// Result is the body of a job's result. Error, if set, means the worker
// refused the job; otherwise a list job has Folders, a read job Files.
type Result struct {
	Error   string   `json:"error,omitempty"`
	Folders []Folder `json:"folders,omitempty"`
	Files   []Record `json:"files,omitempty"`
}

// Folder is the listing of one folder of a list job: Error if it could not
// be listed at all, else its Entries and what it Skipped.
type Folder struct {
	Path    string  `json:"path"`
	Error   string  `json:"error,omitempty"`
	Entries []Entry `json:"entries,omitempty"`
	Skipped []Skip  `json:"skipped,omitempty"`
}

// Entry is a word a listing adds: a folder to list, a file to read.
type Entry struct {
	Path string       `json:"path"`
	Kind library.Kind `json:"kind"`
}

// Skip is a file or folder left out, and why.
type Skip struct {
	Path    string         `json:"path,omitempty"`
	RawPath []byte         `json:"raw_path,omitempty"` // a name that is not valid UTF-8
	Reason  library.Reason `json:"reason"`
	Error   string         `json:"error,omitempty"`
}

// Record is what a worker read of one file.
type Record struct {
	Path      string `json:"path"`
	Track     *Track `json:"track,omitempty"`
	Skip      *Skip  `json:"skip,omitempty"`
	Unchanged bool   `json:"unchanged,omitempty"`
	Size      int64  `json:"size"`
	MTime     int64  `json:"mtime"`
	Settled   bool   `json:"settled,omitempty"`
}

// Track is a track's fields, named as in a feed message's frame 4; a
// field left out is empty (or 0).
type Track struct {
	Artist      string `json:"artist,omitempty"`
	AlbumArtist string `json:"album_artist,omitempty"`
	Album       string `json:"album,omitempty"`
	Title       string `json:"title"`
	Genre       string `json:"genre,omitempty"`
	TrackNo     int    `json:"track,omitempty"`
	Disc        int    `json:"disc,omitempty"`
	Year        int    `json:"year,omitempty"`
	DurationMS  int64  `json:"duration_ms,omitempty"`
}

// SkipOf is s as a result carries it.
func SkipOf(s library.Skip) Skip {
	out := Skip{Path: s.Path, Reason: s.Reason}
	if !utf8.ValidString(s.Path) {
		out.Path, out.RawPath = "", []byte(s.Path)
	}
	if s.Err != nil {
		out.Error = s.Err.Error()
	}
	return out
}

// Library is s as the library records it.
func (s Skip) Library() library.Skip {
	out := library.Skip{Path: s.Path, Reason: s.Reason}
	if s.RawPath != nil {
		out.Path = string(s.RawPath)
	}
	if s.Error != "" {
		out.Err = errors.New(s.Error)
	}
	return out
}

// RecordOf is what a worker sends of fr, the file at p.
func RecordOf(p string, fr library.FileResult) Record {
	r := Record{Path: p, Unchanged: fr.Unchanged, Size: fr.Stamp.Size, MTime: fr.Stamp.ModTime, Settled: fr.Settled}
	switch {
	case fr.Unchanged:
	case fr.Skip != nil:
		s := SkipOf(*fr.Skip)
		r.Skip = &s
	default:
		t := fr.Track
		r.Track = &Track{t.Artist, t.AlbumArtist, t.Album, t.Title, t.Genre, t.TrackNo, t.Disc, t.Year, t.Duration.Milliseconds()}
	}
	return r
}

// FileResult is r as the library's Assembly takes it.
func (r Record) FileResult() (library.FileResult, error) {
	fr := library.FileResult{Unchanged: r.Unchanged, Stamp: library.Stamp{Size: r.Size, ModTime: r.MTime}, Settled: r.Settled}
	switch {
	case r.Unchanged:
	case r.Skip != nil:
		s := r.Skip.Library()
		s.Path = r.Path
		fr.Skip = &s
	case r.Track != nil:
		t := r.Track
		fr.Track = library.Track{Path: r.Path, Artist: t.Artist, AlbumArtist: t.AlbumArtist, Album: t.Album,
			Title: t.Title, Genre: t.Genre, TrackNo: t.TrackNo, Disc: t.Disc, Year: t.Year,
			Duration: time.Duration(min(max(t.DurationMS, 0), 1<<31)) * time.Millisecond}
	default:
		return fr, fmt.Errorf("file %q: no track, skip or unchanged", r.Path)
	}
	return fr, nil
}

// MaxPath is the longest path a job may name, in bytes (Linux's PATH_MAX).
const MaxPath = 4096

// CheckPath reports whether p may name a word: a valid io/fs path, with no
// "..", no empty element and not absolute ("." is the folder itself), and
// at most MaxPath bytes.
func CheckPath(p string) error {
	if len(p) > MaxPath {
		return fmt.Errorf("path %q: longer than %d bytes", truncate(p), MaxPath)
	}
	if !fs.ValidPath(p) {
		return fmt.Errorf("path %q: want a relative path with no '..' or empty elements", truncate(p))
	}
	return nil
}

// truncate shortens a path for an error message.
func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// ParseJob decodes and checks a job's kind and body.
func ParseJob(kind string, body []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(body, &j); err != nil {
		return j, fmt.Errorf("job body: %w", err)
	}
	if j.Root == "" {
		j.Root = "."
	}
	if err := CheckPath(j.Root); err != nil {
		return j, err
	}
	switch kind {
	case KindList:
		if len(j.Paths) == 0 || len(j.Paths) > MaxFiles || len(j.Files) > 0 {
			return j, fmt.Errorf("list job: want 1 to %d paths and no files", MaxFiles)
		}
		for _, p := range j.Paths {
			if err := CheckPath(p); err != nil {
				return j, err
			}
		}
		return j, nil
	case KindRead:
		if len(j.Paths) > 0 || len(j.Files) == 0 || len(j.Files) > MaxFiles {
			return j, fmt.Errorf("read job: want 1 to %d files and no paths", MaxFiles)
		}
		for _, f := range j.Files {
			if err := CheckPath(f.Path); err != nil {
				return j, err
			}
		}
		return j, nil
	}
	return j, fmt.Errorf("job kind %q: want %s or %s", truncate(kind), KindList, KindRead)
}

// ParseID reads a job number.
func ParseID(b []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("job id %q: want a decimal number", truncate(string(b)))
	}
	return n, nil
}

// FormatID writes a job number.
func FormatID(n uint64) []byte { return strconv.AppendUint(nil, n, 10) }
