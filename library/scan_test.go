package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
	"unsafe"

	"go.uber.org/goleak"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// testCtx returns a context that ends with the test or after ten seconds,
// so that a scan that hangs fails the test instead of the test run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// taggedFiles is a small library: ID3v2.3, ID3v2.4, ID3v1, a mix of both,
// FLAC, MP4, an untagged file and files that are not audio.
var taggedFiles = map[string][]byte{
	"Various/Mix/01 Whatever.mp3": cat(librarytest.Tag(3,
		"TPE1", "Tag Artist", "TPE2", "Various Artists", "TALB", "Tag Album",
		"TIT2", "Tag Title", "TRCK", "3/12", "TPOS", "1/2",
		"TYER", "1999", "TCON", "(17)",
	), audio(2000)),
	"Björk/Homogenic/02 Jóga.mp3": cat(librarytest.Tag(4,
		"TPE1", "Björk", "TALB", "Homogenic", "TIT2", "Jóga",
		"TRCK", "2", "TDRC", "1997-09-22", "TCON", "Electronic",
	), audio(1000)),
	"Motörhead/Ace of Spades/01 Ace of Spades.mp3": cat(librarytest.Tag(3,
		"TPE1", "Motörhead", "TIT2", "Ace of Spades", "TIT3", "日本語 subtitle",
	), audio(500)),
	"Old/Latin1/03_Old_Song.mp3": cat(audio(3000),
		id3v1("Caf\xe9 Song", "Old Band", "Old Album", "1985", 3, 17)),
	"Mixed/05 Half.mp3": cat(librarytest.Tag(3, "TIT2", "Half Tagged"), audio(100),
		id3v1("", "V1 Artist", "V1 Album", "2001", 5, 255)),
	"Untagged Artist/Untagged Album/04 - Plain Song.MP3": audio(5000),
	"Flac Artist/Flac Album/06 ignored.flac": librarytest.FLAC(20000, "ARTIST=Flac Artist", "ALBUM=Flac Album",
		"TITLE=Flac Title", "TRACKNUMBER=6", "DATE=2010", "GENRE=Jazz"),
	"M4A/Album/07 ignored.m4a": librarytest.MP4(100000,
		librarytest.MP4Item("\xa9nam", 1, []byte("MP4 Title")), librarytest.MP4Item("\xa9ART", 1, []byte("MP4 Artist")),
		librarytest.MP4Item("trkn", 0, []byte{0, 0, 0, 7, 0, 9, 0, 0}),
	),
	"Various/Mix/cover.jpg":  []byte("\xff\xd8\xff"),
	"Various/Mix/notes.txt":  []byte("hello"),
	".hidden/08 Hidden.mp3":  audio(100),
	"Various/._01 Mac.mp3":   []byte("\x00\x05\x16\x07"),
	"Various/Mix/.DS_Store":  []byte("junk"),
	"Various/Mix/09 Lo.mp3x": audio(10),
}

var taggedTracks = []Track{
	{Path: "Björk/Homogenic/02 Jóga.mp3", Artist: "Björk", Album: "Homogenic", Title: "Jóga",
		Genre: "Electronic", TrackNo: 2, Year: 1997, Duration: 63 * time.Millisecond}, // 1000 bytes at 128 kbit/s
	{Path: "Flac Artist/Flac Album/06 ignored.flac", Artist: "Flac Artist", Album: "Flac Album",
		Title: "Flac Title", Genre: "Jazz", TrackNo: 6, Year: 2010},
	{Path: "M4A/Album/07 ignored.m4a", Artist: "MP4 Artist", Album: "Album", Title: "MP4 Title", TrackNo: 7},
	{Path: "Mixed/05 Half.mp3", Artist: "V1 Artist", Album: "V1 Album", Title: "Half Tagged",
		TrackNo: 5, Year: 2001, Duration: 6 * time.Millisecond},
	{Path: "Motörhead/Ace of Spades/01 Ace of Spades.mp3", Artist: "Motörhead", Album: "Ace of Spades",
		Title: "Ace of Spades", TrackNo: 1, Duration: 31 * time.Millisecond},
	{Path: "Old/Latin1/03_Old_Song.mp3", Artist: "Old Band", Album: "Old Album", Title: "Café Song",
		Genre: "Rock", TrackNo: 3, Year: 1985, Duration: 188 * time.Millisecond},
	{Path: "Untagged Artist/Untagged Album/04 - Plain Song.MP3", Artist: "Untagged Artist",
		Album: "Untagged Album", Title: "Plain Song", TrackNo: 4, Duration: 313 * time.Millisecond},
	{Path: "Various/Mix/01 Whatever.mp3", Artist: "Tag Artist", AlbumArtist: "Various Artists",
		Album: "Tag Album", Title: "Tag Title", Genre: "Rock", TrackNo: 3, Disc: 1, Year: 1999, Duration: 125 * time.Millisecond,
		Cover: Cover{ID: anyID, File: "Various/Mix/cover.jpg"}},
}

// anyID, as a wanted Cover.ID, stands for any ID: 16 hex digits.
const anyID = "*"

func TestScanReadsTags(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, taggedFiles)
	for _, workers := range []int{0, 1, 7} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var streamed []Track
			lib, err := Scan(testCtx(t), os.DirFS(root), Options{
				Workers: workers,
				OnTrack: func(tr Track) { streamed = append(streamed, tr) },
			})
			if err != nil {
				t.Fatal(err)
			}
			checkTracks(t, lib.Tracks, taggedTracks)
			if len(lib.Skipped) != 0 {
				t.Errorf("Skipped = %v, want none", lib.Skipped)
			}
			slices.SortFunc(streamed, func(a, b Track) int { return strings.Compare(a.Path, b.Path) })
			if !slices.Equal(streamed, lib.Tracks) {
				t.Errorf("OnTrack got %d tracks, differing from Library.Tracks", len(streamed))
			}
			const want = "8 tracks, 8 artists, 8 albums; 0 files skipped"
			if got := lib.Summary().String(); got != want {
				t.Errorf("Summary = %q, want %q", got, want)
			}
		})
	}
}

func TestScanMapFS(t *testing.T) {
	fsys := fstest.MapFS{}
	for name, data := range taggedFiles {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, lib.Tracks, taggedTracks)
}

// TestScanPlainFiles reads files that are not io.ReaderAt, as some fs.FS
// implementations return: through Seek, or strictly forward.
func TestScanPlainFiles(t *testing.T) {
	fsys := fstest.MapFS{}
	for name, data := range taggedFiles {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	for _, tc := range []struct {
		name string
		wrap func(fs.File) fs.File
	}{
		{"seeker", func(f fs.File) fs.File {
			if s, ok := f.(io.Seeker); ok {
				return struct {
					fs.File
					io.Seeker
				}{f, s}
			}
			return f
		}},
		{"forward only", func(f fs.File) fs.File { return struct{ fs.File }{f} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib, err := Scan(testCtx(t), wrapFS{fsys, tc.wrap}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkTracks(t, lib.Tracks, taggedTracks)
		})
	}
}

// wrapFS wraps the files that its FS opens.
type wrapFS struct {
	fs.FS
	wrap func(fs.File) fs.File
}

func (w wrapFS) Open(name string) (fs.File, error) {
	f, err := w.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return w.wrap(f), nil
}

func (w wrapFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(w.FS, name) }

func checkTracks(t *testing.T, got, want []Track) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g Track
		if i < len(got) {
			g = got[i]
			if i < len(want) && want[i].Cover.ID == anyID && isCoverID(g.Cover.ID) {
				g.Cover.ID = anyID
			}
		}
		switch {
		case i >= len(got):
			t.Errorf("missing %+v", want[i])
		case i >= len(want):
			t.Errorf("extra %+v", got[i])
		case g != want[i]:
			t.Errorf("track %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestScanSharesStrings(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 3 {
		fsys[fmt.Sprintf("x/%02d.mp3", i+1)] = &fstest.MapFile{Data: cat(librarytest.Tag(3,
			"TPE1", "Same Artist", "TALB", "Same Album", "TIT2", fmt.Sprint("T", i),
			"TCON", "Pop"))}
	}
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Tracks) != 3 {
		t.Fatalf("got %d tracks, want 3", len(lib.Tracks))
	}
	a, b := lib.Tracks[0], lib.Tracks[2]
	if a.Artist != "Same Artist" || !sameString(a.Artist, b.Artist) ||
		!sameString(a.Album, b.Album) || !sameString(a.Genre, b.Genre) {
		t.Errorf("artist, album and genre strings are not shared between tracks")
	}
}

// sameString reports whether a and b are the same bytes in memory.
func sameString(a, b string) bool {
	return a == b && len(a) > 0 && unsafe.StringData(a) == unsafe.StringData(b)
}

// brokenFiles are files that the scan must survive, each with the reason
// it is skipped for ("" if it is kept as a track).
var brokenFiles = map[string]struct {
	data   []byte
	reason Reason
}{
	"empty.mp3": {nil, ReasonEmpty},
	// The header claims a 1 MiB tag; the file ends after one frame.
	// A tag that claims more than the file holds: the whole frames are
	// read, as TagLib reads them; what is cut short is dropped.
	"truncated.mp3":       {cat(librarytest.ID3v2Header(3, 1<<20), []byte("TIT2\x00\x00\x00\x06\x00\x00\x00Hello")), ""},
	"truncated-frame.mp3": {cat(librarytest.ID3v2Header(3, 1<<20), []byte("TIT2\x00\x00\x00\x60\x00\x00\x00Hello")), ReasonCorrupt},
	"short-header.mp3":    {[]byte("ID3\x03"), ReasonCorrupt},
	"bad-version.mp3":     {cat(librarytest.ID3v2Header(9, 20), make([]byte, 20)), ReasonCorrupt},
	// A frame that claims 0x7FFFFFFF bytes, in front of 1 MiB of audio: the
	// audio is whole, so the file is a track, named by its path.
	"huge-frame.mp3": {cat(librarytest.ID3v2Header(3, 100), []byte("TIT2\x7f\xff\xff\xff\x00\x00\x00Hi"), make([]byte, 87),
		audio(1<<20)), ""},
	// The same damage with no audio after it: corrupt.
	"huge-frame-only.mp3": {cat(librarytest.ID3v2Header(3, 100), []byte("TIT2\x7f\xff\xff\xff\x00\x00\x00Hi"), make([]byte, 87)),
		ReasonCorrupt},
	// MP4 items of the wrong type are not text: the name gives the title.
	"mp4-int-title.mp3":   {librarytest.MP4(0, librarytest.MP4Item("\xa9nam", 21, []byte{5})), ""},
	"mp4-jpeg-artist.m4a": {librarytest.MP4(0, librarytest.MP4Item("\xa9ART", 13, []byte("\xff\xd8\xff"))), ""},
	"mp4-nested.m4a":      {cat(librarytest.Atom("ftyp", []byte("M4A \x00\x00\x00\x00")), bytes8("moov", 100000)), ""},
	"flac-truncated.flac": {librarytest.FLAC(0, "TITLE=Cut")[:50], ReasonCorrupt},
	"01.mp3":              {audio(1000), ReasonNoTitle},
	"Artist/Album/02.mp3": {audio(1000), ReasonNoTitle},
	"Artist/Album/03 Kept.mp3": {
		cat(librarytest.Tag(3, "TIT2", ""), audio(100)), "",
	},
	// Without a tag, what is not audio is not a track, whatever its name:
	// random bytes, a text, an image.
	"garbage.mp3":                    {garbage(4096), ReasonNotAudio},
	"tiny.mp3":                       {[]byte("x"), ReasonNotAudio},
	"notes.mp3":                      {[]byte("Remember to buy milk.\n"), ReasonNotAudio},
	"cover.flac":                     {[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ReasonNotAudio},
	"one-sync.mp3":                   {cat([]byte("\xff\xfb\x90\x64"), garbage(3000)), ReasonNotAudio}, // a frame header, then nothing in step
	"Artist/Album/04 Untagged.mp3":   {audio(5000), ""},                                                // untagged MPEG frames are audio
	"Artist/Album/05 Junk First.mp3": {cat(make([]byte, 1000), audio(5000)), ""},                       // after some zeros
}

// bytes8 returns n empty atoms of the given name.
func bytes8(name string, n int) []byte {
	return []byte(strings.Repeat("\x00\x00\x00\x08"+name, n))
}

func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0], b[n-128] = 0, 0 // not "ID3", "fLaC", ... nor "TAG"
	return b
}

func TestScanBrokenFiles(t *testing.T) {
	root := t.TempDir()
	files := make(map[string][]byte)
	for name, f := range brokenFiles {
		files[name] = f.data
	}
	writeFiles(t, root, files)
	want := make(map[string]Reason)
	for name, f := range brokenFiles {
		want[name] = f.reason
	}

	switch err := mkfifo(filepath.Join(root, "pipe.mp3")); {
	case err == nil:
		want["pipe.mp3"] = ReasonNotRegular
		mustSymlink(t, "pipe.mp3", filepath.Join(root, "link-to-pipe.mp3"))
		want["link-to-pipe.mp3"] = ReasonNotRegular
	case !errors.Is(err, errors.ErrUnsupported):
		t.Fatal(err)
	}
	mustSymlink(t, "Artist", filepath.Join(root, "link-to-folder.mp3"))
	want["link-to-folder.mp3"] = ReasonNotRegular
	mustSymlink(t, "nowhere.mp3", filepath.Join(root, "dangling.mp3"))
	want["dangling.mp3"] = ReasonUnreadable

	locked := filepath.Join(root, "locked.mp3")
	writeFiles(t, root, map[string][]byte{"locked.mp3": audio(100)})
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Log("chmod 000 does not stop this user (root?) from reading; locked.mp3 is read as a track")
		want["locked.mp3"] = ""
	} else {
		want["locked.mp3"] = ReasonUnreadable
	}

	var logs strings.Builder
	lib, err := Scan(testCtx(t), os.DirFS(root), Options{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]Reason)
	for _, tr := range lib.Tracks {
		got[tr.Path] = ""
	}
	for _, s := range lib.Skipped {
		if _, dup := got[s.Path]; dup {
			t.Errorf("%s reported twice", s.Path)
		}
		got[s.Path] = s.Reason
		if !slices.ContainsFunc(strings.Split(logs.String(), "\n"), func(line string) bool {
			return strings.Contains(line, "level=DEBUG") && strings.Contains(line, s.Path) &&
				strings.Contains(line, string(s.Reason))
		}) {
			t.Errorf("skip of %s not logged", s.Path)
		}
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: missing from the library", name)
		case g != w:
			t.Errorf("%s: reason %q, want %q (err %v)", name, g, w, skipErr(lib, name))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: unexpected", name)
		}
	}

	sum := lib.Summary()
	counts := make(map[Reason]int)
	for _, r := range want {
		if r != "" {
			counts[r]++
		}
	}
	if !maps.Equal(sum.ByReason, counts) {
		t.Errorf("Summary.ByReason = %v, want %v", sum.ByReason, counts)
	}
	t.Log(sum)
}

func skipErr(lib *Library, name string) error {
	for _, s := range lib.Skipped {
		if s.Path == name {
			return s.Err
		}
	}
	return nil
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestScanSymlinkLoop checks that os.DirFS with fs.WalkDir does not follow
// links to folders, so that a loop on disk ends.
func TestScanSymlinkLoop(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{"Artist/Album/01 Song.mp3": audio(100)})
	mustSymlink(t, "..", filepath.Join(root, "Artist", "Album", "up"))
	mustSymlink(t, ".", filepath.Join(root, "Artist", "here.mp3"))
	mustSymlink(t, "self.mp3", filepath.Join(root, "Artist", "Album", "self.mp3"))
	mustSymlink(t, "b", filepath.Join(root, "a"))
	mustSymlink(t, "a", filepath.Join(root, "b"))

	lib, err := Scan(testCtx(t), os.DirFS(root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, lib.Tracks, []Track{
		{Path: "Artist/Album/01 Song.mp3", Artist: "Artist", Album: "Album", Title: "Song", TrackNo: 1, Duration: 6 * time.Millisecond},
	})
	want := []Skip{
		{Path: "Artist/Album/self.mp3", Reason: ReasonUnreadable},
		{Path: "Artist/here.mp3", Reason: ReasonNotRegular},
	}
	if len(lib.Skipped) != len(want) {
		t.Fatalf("Skipped = %v, want %v", lib.Skipped, want)
	}
	for i, s := range lib.Skipped {
		if s.Path != want[i].Path || s.Reason != want[i].Reason {
			t.Errorf("Skipped[%d] = %v, want %v", i, s, want[i])
		}
	}
	if !errors.Is(lib.Skipped[0].Err, syscall.ELOOP) {
		t.Errorf("self-link error = %v, want ELOOP", lib.Skipped[0].Err)
	}
}

// TestScanNonUTF8Name: io/fs paths must be valid UTF-8 (fs.ValidPath), so
// os.DirFS cannot open a file whose name is not; the scan skips it with
// ReasonBadName and goes on.
func TestScanNonUTF8Name(t *testing.T) {
	root := t.TempDir()
	const (
		badFile   = "Bj\xf6rk - J\xf3ga.mp3"
		badFolder = "Caf\xe9"
	)
	writeFiles(t, root, map[string][]byte{
		badFile:                 audio(100),
		badFolder + "/01 x.mp3": audio(100),
		"Good/01 Fine.mp3":      audio(100),
		"Bad\xff notes.txt":     []byte("not audio, not reported"),
	})
	fsys := os.DirFS(root)
	if _, err := fsys.Open(badFile); err == nil {
		t.Fatalf("os.DirFS opened %q; the skip is no longer needed", badFile)
	}

	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkTracks(t, lib.Tracks, []Track{{Path: "Good/01 Fine.mp3", Album: "Good", Title: "Fine", TrackNo: 1, Duration: 6 * time.Millisecond}})
	var got []string
	for _, s := range lib.Skipped {
		if s.Reason != ReasonBadName {
			t.Errorf("%q skipped for %q, want %q", s.Path, s.Reason, ReasonBadName)
		}
		got = append(got, s.Path)
	}
	if want := []string{badFile, badFolder}; !slices.Equal(got, want) {
		t.Errorf("skipped %q, want %q", got, want)
	}
}

// errFS fails to list folders and open files whose names are in fail.
type errFS struct {
	fstest.MapFS
	fail map[string]bool
}

var errDenied = errors.New("test: permission denied")

func (e errFS) Open(name string) (fs.File, error) {
	if e.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errDenied}
	}
	return e.MapFS.Open(name)
}

func (e errFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if e.fail[name] {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errDenied}
	}
	return e.MapFS.ReadDir(name)
}

// brokenReadFS returns files whose reads fail after the first n bytes.
type brokenReadFS struct {
	fstest.MapFS
	n int64
}

func (b brokenReadFS) Open(name string) (fs.File, error) {
	f, err := b.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	return &brokenFile{f.(readerAtFile), b.n}, nil
}

type readerAtFile interface {
	fs.File
	io.ReaderAt
}

type brokenFile struct {
	readerAtFile
	n int64
}

func (b *brokenFile) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > b.n {
		return 0, syscall.EIO
	}
	return b.readerAtFile.ReadAt(p, off)
}

func TestScanUnreadable(t *testing.T) {
	fsys := errFS{
		MapFS: fstest.MapFS{
			"Locked/01 a.mp3": {Data: audio(10)},
			"Open/01 b.mp3":   {Data: audio(10)},
			"Open/02 c.mp3":   {Data: audio(10)},
		},
		fail: map[string]bool{"Locked": true, "Open/02 c.mp3": true},
	}
	lib, err := Scan(testCtx(t), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lib.Tracks) != 1 || lib.Tracks[0].Path != "Open/01 b.mp3" {
		t.Errorf("Tracks = %v, want Open/01 b.mp3 only", lib.Tracks)
	}
	if len(lib.Skipped) != 2 {
		t.Fatalf("Skipped = %v, want Locked and Open/02 c.mp3", lib.Skipped)
	}
	for _, s := range lib.Skipped {
		if s.Reason != ReasonUnreadable || !errors.Is(s.Err, errDenied) {
			t.Errorf("skip %v, want %q with errDenied", s, ReasonUnreadable)
		}
	}

	t.Run("read error", func(t *testing.T) {
		for _, data := range [][]byte{
			cat(librarytest.Tag(3, "TIT2", "x"), audio(20000)), // ID3 fast path
			cat(librarytest.FLAC(0, "TITLE=x"), audio(100000)), // buffered reader
		} {
			fsys := brokenReadFS{fstest.MapFS{"x.mp3": {Data: data}}, 20}
			lib, err := Scan(testCtx(t), fsys, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(lib.Skipped) != 1 || lib.Skipped[0].Reason != ReasonUnreadable ||
				!errors.Is(lib.Skipped[0].Err, syscall.EIO) {
				t.Errorf("Skipped = %v, want unreadable with EIO", lib.Skipped)
			}
		}
	})
}

func TestScanRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "song.mp3")
	writeFiles(t, dir, map[string][]byte{"song.mp3": audio(10)})
	for _, tc := range []struct {
		name string
		fsys fs.FS
	}{
		{"missing", os.DirFS(filepath.Join(dir, "missing"))},
		{"file", os.DirFS(file)},
		{"unlistable", errFS{fstest.MapFS{"a.mp3": {}}, map[string]bool{".": true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib, err := Scan(testCtx(t), tc.fsys, Options{})
			if !errors.Is(err, ErrRoot) {
				t.Fatalf("Scan = %v, %v; want ErrRoot", lib, err)
			}
			t.Log(err)
		})
	}

	t.Run("empty", func(t *testing.T) {
		lib, err := Scan(testCtx(t), os.DirFS(t.TempDir()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := lib.Summary().String(), "0 tracks, 0 artists, 0 albums; 0 files skipped"; got != want {
			t.Errorf("Summary = %q, want %q", got, want)
		}
	})
}

func TestScanCancel(t *testing.T) {
	defer goleak.VerifyNone(t)
	fsys := fstest.MapFS{}
	for i := range 500 {
		fsys[fmt.Sprintf("A%d/B/%02d Song.mp3", i%7, i)] = &fstest.MapFile{Data: audio(100)}
	}

	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := Scan(ctx, fsys, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Scan = %v, want context.Canceled", err)
		}
	})
	t.Run("during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		defer cancel()
		n := 0
		_, err := Scan(ctx, fsys, Options{Workers: 3, OnTrack: func(Track) {
			if n++; n == 10 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Scan = %v, want context.Canceled", err)
		}
		if n != 10 {
			t.Errorf("OnTrack called %d times, want no call after the cancel at 10", n)
		}
	})
	t.Run("OnTrack panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("the panic in OnTrack did not reach the caller")
			}
		}()
		Scan(testCtx(t), fsys, Options{OnTrack: func(Track) { panic("boom") }})
	})
}

func TestSummaryString(t *testing.T) {
	for _, tc := range []struct {
		in   Summary
		want string
	}{
		{Summary{}, "0 tracks, 0 artists, 0 albums; 0 files skipped"},
		{Summary{Tracks: 1, Artists: 1, Albums: 1, Skipped: 1, ByReason: map[Reason]int{ReasonEmpty: 1}},
			"1 track, 1 artist, 1 album; 1 file skipped (1 empty file)"},
		{Summary{Tracks: 42, Artists: 11, Albums: 14, Skipped: 3,
			ByReason: map[Reason]int{ReasonCorrupt: 1, ReasonEmpty: 2}},
			"42 tracks, 11 artists, 14 albums; 3 files skipped (2 empty file, 1 corrupt tag)"},
		{Summary{Skipped: 2, ByReason: map[Reason]int{ReasonUnreadable: 1, ReasonCorrupt: 1}},
			"0 tracks, 0 artists, 0 albums; 2 files skipped (1 corrupt tag, 1 unreadable)"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestLibrarySummary(t *testing.T) {
	lib := &Library{
		Tracks: []Track{
			{Artist: "A", Album: "X"},
			{Artist: "A", Album: "Y"},
			{Artist: "B", AlbumArtist: "Various", Album: "Z"},
			{Artist: "C", AlbumArtist: "Various", Album: "Z"},
			{Artist: "C", Album: "Z"}, // a different album Z
			{Artist: "", Album: ""},
		},
		Skipped: []Skip{{Reason: ReasonEmpty}, {Reason: ReasonEmpty}, {Reason: ReasonPanic}},
	}
	const want = "6 tracks, 3 artists, 4 albums; 3 files skipped (2 empty file, 1 panic in tag reader)"
	if got := lib.Summary().String(); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

func ExampleScan() {
	fsys := fstest.MapFS{
		"Daft Punk/Discovery/01 One More Time.mp3": {Data: audio(4000)}, // MPEG frames, no tag
		"Daft Punk/Discovery/02 Aerodynamic.mp3":   {Data: audio(4000)},
		"Daft Punk/Discovery/cover.jpg":            {Data: []byte("not audio")},
		"empty.mp3":                                {},
	}
	lib, err := Scan(context.Background(), fsys, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range lib.Tracks {
		fmt.Printf("%s - %s - %d %s\n", t.Artist, t.Album, t.TrackNo, t.Title)
	}
	fmt.Println(lib.Summary())
	// Output:
	// Daft Punk - Discovery - 1 One More Time
	// Daft Punk - Discovery - 2 Aerodynamic
	// 2 tracks, 1 artist, 1 album; 1 file skipped (1 empty file)
}

// isCoverID reports whether id has the form of a Cover.ID.
func isCoverID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
