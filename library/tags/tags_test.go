package tags

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dhowden/tag"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

func TestReadTags(t *testing.T) {
	unsync := librarytest.Tag(3, "TIT2", "Unsynced", "TPE1", "U")
	unsync[5] |= 0x80

	footer := librarytest.Tag(4, "TIT2", "Footed")
	footer[5] |= 0x10
	footer = cat(footer, []byte("3DI\x04\x00\x10"), footer[6:10], audio(300),
		librarytest.ID3v1{Genre: 8}.Append(nil))

	dsf := cat([]byte("DSD "), make([]byte, 16), binary.LittleEndian.AppendUint64(nil, 28),
		librarytest.Tag(3, "TIT2", "Direct Stream"))

	for _, tc := range []struct {
		name string
		data []byte
		want Tags
		err  string
	}{
		{"ID3v2.3", cat(librarytest.Tag(3, "TIT2", "Title", "TRCK", "04"), audio(100)),
			Tags{Title: "Title", Track: 4}, ""},
		{"ID3v2.3 UTF-16", librarytest.Tag(3, "TIT2", "日本"), Tags{Title: "日本"}, ""},
		{"ID3v2.3 unsynchronised", unsync, Tags{Title: "Unsynced", Artist: "U"}, ""},
		{"ID3v2.4 footer then ID3v1", footer, Tags{Title: "Footed", Genre: "Jazz"}, ""},
		{"ID3v2 tag is whole file", librarytest.Tag(4, "TIT2", "Whole"), Tags{Title: "Whole"}, ""},
		{"ID3v1 only", cat(audio(10), librarytest.ID3v1{Title: "One", Artist: "Band", Genre: 255}.Append(nil)), Tags{Title: "One", Artist: "Band"}, ""},
		{"ID3v1 is whole file", librarytest.ID3v1{Title: "Just", Track: 1, Genre: 255}.Append(nil), Tags{Title: "Just", Track: 1}, ""},
		{"ID3v1 UTF-8", cat(audio(10), librarytest.ID3v1{Title: "Jóga", Genre: 255}.Append(nil)), Tags{Title: "Jóga"}, ""},
		{"ID3v1 cut UTF-8", cat(audio(10), librarytest.ID3v1{Title: "Jóga ó"[:7], Genre: 255}.Append(nil)), Tags{Title: "Jóga \uFFFD"}, ""},
		{"ID3v1 Latin-1", cat(audio(10), librarytest.ID3v1{Title: "Jóga"[:2], Genre: 255}.Append(nil)), Tags{Title: "JÃ"}, ""},
		// A damaged tag in front of whole audio: no tag, the path will do.
		{"broken ID3v2 before audio", cat(librarytest.ID3v2Header(3, 30), []byte("TIT2\x00\x00\x01\x00\x00\x00"), make([]byte, 20), audio(2000)),
			Tags{}, "no tag found"},
		{"broken ID3v2, frames before the damage", cat(librarytest.ID3v2Header(3, 60), []byte("TPE1\x00\x00\x00\x03\x00\x00\x00Hi"),
			[]byte("TIT2\x00\x00\x01\x00\x00\x00"), make([]byte, 27), audio(2000)), Tags{Artist: "Hi"}, ""},
		{"broken ID3v2, no audio", cat(librarytest.ID3v2Header(3, 30), []byte("TIT2\x00\x00\x01\x00\x00\x00"), make([]byte, 20)),
			Tags{}, "ID3v2: data ends inside a frame"},
		{"broken ID3v2 rescued by ID3v1", cat(librarytest.ID3v2Header(3, 30), []byte("TIT2\x00\x00\x01\x00\x00\x00"), make([]byte, 20), audio(200),
			librarytest.ID3v1{Title: "Saved", Genre: 255}.Append(nil)), Tags{Title: "Saved"}, ""},
		{"no tag", audio(300), Tags{}, "no tag found"},
		{"DSF", dsf, Tags{Title: "Direct Stream"}, ""},
		{"FLAC", librarytest.FLAC(0, "TITLE=F", "ARTIST=A", "DISCNUMBER=2"), Tags{Title: "F", Artist: "A", Disc: 2}, ""},
		{"MP4", librarytest.MP4(0, librarytest.MP4Item("\xa9nam", 1, []byte("M")), librarytest.MP4Item("disk", 0, []byte{0, 0, 0, 2, 0, 2})),
			Tags{Title: "M", Disc: 2}, ""},
		// A title atom of another type is not text: no title (dhowden/tag
		// panicked on it).
		{"MP4 int title", librarytest.MP4(0, librarytest.MP4Item("\xa9nam", 21, []byte{1})), Tags{}, ""},
		{"MP4 many empty atoms", cat(librarytest.Atom("ftyp", []byte("M4A ")), bytes8("moov", 100000)), Tags{}, "no tag found"},
		{"truncated", cat(librarytest.ID3v2Header(3, 1000), []byte("TIT2")), Tags{}, "header says 1010 bytes, file has 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Reader
			got, err := r.read(bytes.NewReader(tc.data), int64(len(tc.data)))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			got.Duration = 0 // TestDuration's
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestReadErrors checks that Read's errors tell a caller what happened to
// a file on disk: no tag, a corrupt tag, a failed read, a parser's panic.
func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		data  []byte
		extra int64 // bytes the caller thinks the file has beyond its end
		is    func(error) bool
	}{
		{"no tag", audio(300), 0, func(err error) bool { return errors.Is(err, ErrNoTag) }},
		{"corrupt", cat(librarytest.ID3v2Header(3, 1000), []byte("TIT2")), 0, func(err error) bool {
			var re *ReadError
			return errors.Is(err, ErrCorrupt) && !errors.As(err, &re)
		}},
		{"shorter than its size", librarytest.Tag(3, "TIT2", "Cut"), 5000, func(err error) bool {
			var re *ReadError
			return errors.As(err, &re) && errors.Is(err, errShortFile) && !errors.Is(err, ErrCorrupt)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := Read(f, int64(len(tc.data))+tc.extra)
			got.Duration = 0 // with ErrNoTag, the audio's
			if !tc.is(err) || got != (Tags{}) {
				t.Errorf("Read = %+v, %v (%T)", got, err, err)
			}
		})
	}
}

// TestReadTagsBoundsMemory checks that a frame claiming 0x7FFFFFFF bytes
// costs no more than the tag header allows. dhowden/tag alone reads the
// rest of the file into memory.
func TestReadTagsBoundsMemory(t *testing.T) {
	data := hugeFrame
	measure := func(read func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			read()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 10
	}
	var r Reader
	ours := measure(func() { r.read(bytes.NewReader(data), int64(len(data))) })
	theirs := measure(func() { tag.ReadFrom(bytes.NewReader(data)) })
	t.Logf("bytes allocated per read of a %d-byte file: %d here, %d by tag.ReadFrom", len(data), ours, theirs)
	if ours > 64<<10 {
		t.Errorf("reading allocated %d bytes, want under 64 KiB", ours)
	}
}

// TestReadTagsReusedBuffer checks that tags read from a worker's buffer do
// not change when the buffer is reused for the next file.
func TestReadTagsReusedBuffer(t *testing.T) {
	a := cat(librarytest.Tag(4, "TIT2", "First", "TPE1", "Artist One"), audio(100),
		librarytest.ID3v1{Album: "V1 Album", Genre: 255}.Append(nil))
	b := cat(librarytest.Tag(4, "TIT2", "XXXXX", "TPE1", "YYYYYYYYYY"), audio(100),
		librarytest.ID3v1{Album: "ZZZZZZZZ", Genre: 255}.Append(nil))
	var r Reader
	first, err := r.read(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	want := Tags{Title: "First", Artist: "Artist One", Album: "V1 Album"}
	if _, err := r.read(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	first.Duration = 0 // TestDuration's
	if first != want {
		t.Errorf("after reuse, first file's tags = %+v, want %+v", first, want)
	}
}

func TestCleanTag(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  plain \x00\x00", "plain"},
		{"Caf\xe9", "Café"},               // Latin-1
		{"Bj\xc3\xb6rk", "Björk"},         // UTF-8
		{"J\xc3\xb3ga\xc3", "Jóga\uFFFD"}, // UTF-8 cut short
	} {
		if got := cleanTag(tc.in); got != tc.want {
			t.Errorf("cleanTag(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzReadTags feeds random and mutated files to the tag reader. Whatever
// the bytes, it must return (dhowden/tag's panics are contained), give
// valid trimmed UTF-8, and give the same answer on a reused reader and on
// a file that can only be read forward.
func FuzzReadTags(f *testing.F) {
	f.Add(cat(librarytest.Tag(3, "TIT2", "Seed", "TPE1", "Artist"), audio(64), librarytest.ID3v1{Title: "T", Artist: "A", Album: "B", Year: "2000", Track: 1, Genre: 1}.Append(nil)))
	f.Add(cat(audio(16), librarytest.ID3v1{Title: "Only v1", Artist: "A", Album: "B", Year: "1999", Track: 2, Genre: 17}.Append(nil)))
	f.Add(librarytest.MP4(0, librarytest.MP4Item("\xa9nam", 1, []byte("M4A"))))
	f.Add(librarytest.FLAC(0, "TITLE=F", "ARTIST=A"))
	for _, seed := range formatSeeds() {
		f.Add(seed)
	}
	// The differential test's corpus, made by real taggers, when given:
	//   /usr/bin/python3 test/tagdiff/testdata/make_corpus.py /tmp/corpus
	//   TRACKFEED_FUZZ_CORPUS=/tmp/corpus go test -fuzz FuzzReadTags ./library/tags
	if dir := os.Getenv("TRACKFEED_FUZZ_CORPUS"); dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil || len(files) == 0 {
			f.Fatalf("TRACKFEED_FUZZ_CORPUS=%s: no files", dir)
		}
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil && len(b) <= 1<<20 {
				f.Add(b)
			}
		}
	}
	var reused Reader
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("reading %d bytes took %v", len(data), d)
			}
		}()
		var r Reader
		got, err := r.read(bytes.NewReader(data), int64(len(data)))
		for _, s := range []string{got.Artist, got.AlbumArtist, got.Album, got.Title, got.Genre} {
			if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
				t.Errorf("tag value %q is not trimmed valid UTF-8", s)
			}
		}
		if err != nil && got != (Tags{Duration: got.Duration}) || err != nil && err != ErrNoTag && got.Duration != 0 {
			t.Errorf("error %v came with tags %+v", err, got)
		}
		if got.Duration < 0 {
			t.Errorf("duration %v", got.Duration)
		}
		again, err2 := reused.read(bytes.NewReader(data), int64(len(data)))
		if again != got || (err == nil) != (err2 == nil) {
			t.Errorf("reused reader: %+v, %v; fresh reader: %+v, %v", again, err2, got, err)
		}
		fwd, err3 := r.read(&forwardReaderAt{r: bytes.NewReader(data)}, int64(len(data)))
		// Read forward only, a file has no duration where that takes its end.
		if fwd.Duration == 0 {
			fwd.Duration = got.Duration
		}
		if !errors.Is(err3, errBackwardRead) && (fwd != got || (err == nil) != (err3 == nil)) {
			t.Errorf("forward-only file: %+v, %v; file: %+v, %v", fwd, err3, got, err)
		}
		// The picture: never more than the limit, and the tags Read gives.
		tg, pic, err4 := r.ReadPicture(bytes.NewReader(data), int64(len(data)), 1<<16)
		if len(pic.Data) > 1<<16 {
			t.Errorf("ReadPicture returned %d bytes, past its limit", len(pic.Data))
		}
		if err == nil && tg != got {
			t.Errorf("ReadPicture's tags %+v, %v; Read's %+v", tg, err4, got)
		}
		if err4 == nil && got.Picture.Length == 0 {
			t.Errorf("ReadPicture found a picture that Read did not locate")
		}
	})
}

// TestBufReader compares bufReader with bytes.Reader over random reads and
// seeks.
func TestBufReader(t *testing.T) {
	data := randomBytes(100_000)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, head := range []int{0, headSize} {
		var b bufReader
		b.reset(bytes.NewReader(data), int64(len(data)), 1<<30, data[:head])
		ref := bytes.NewReader(data)
		for i := range 2000 {
			if rng.IntN(4) == 0 {
				off, whence := int64(rng.IntN(len(data)+100))-50, rng.IntN(3)
				got, err1 := b.Seek(off, whence)
				want, err2 := ref.Seek(off, whence)
				if got != want && err2 == nil || (err1 == nil) != (err2 == nil) {
					t.Fatalf("op %d: Seek(%d, %d) = %d, %v; want %d, %v", i, off, whence, got, err1, want, err2)
				}
				continue
			}
			p1 := make([]byte, rng.IntN(40_000))
			p2 := make([]byte, len(p1))
			n1, err1 := io.ReadFull(&b, p1)
			n2, err2 := io.ReadFull(ref, p2)
			if n1 != n2 || err1 != err2 || !bytes.Equal(p1[:n1], p2[:n2]) {
				t.Fatalf("op %d: ReadFull(%d bytes) = %d, %v; want %d, %v", i, len(p1), n1, err1, n2, err2)
			}
		}
	}
}

func TestBufReaderLimit(t *testing.T) {
	data := randomBytes(10_000)
	var b bufReader
	b.reset(bytes.NewReader(data), int64(len(data)), 5000, nil)
	if _, err := io.ReadAll(&b); !errors.Is(err, errTooMuch) {
		t.Errorf("reading past the limit: %v, want errTooMuch", err)
	}
}

// TestProtect: a parser's panic (dhowden/tag still reads DSF files) is a
// *PanicError, not a crash and not a corrupt tag.
func TestProtect(t *testing.T) {
	err := protect(func() error { panic("interface conversion") })
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "interface conversion" || errors.Is(err, ErrCorrupt) {
		t.Errorf("protect = %v, want a *PanicError", err)
	}
}

// TestAllocsBounded reads every input of FuzzReadTags' corpus, through a
// file and through the forward-only path, and wants the bytes allocated
// bounded by the file's size: a field that claims a huge length must not
// make the reader allocate it. (A 135-byte FLAC file whose comment claims
// 4 GiB once took 2.1 GB and seconds, forward-only.)
func TestAllocsBounded(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/FuzzReadTags/*")
	checked := 0
	defer func() {
		if checked < len(files)/2 {
			t.Errorf("read %d of the %d corpus files", checked, len(files))
		}
	}()
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		_, lit, _ := strings.Cut(string(text), "[]byte(")
		s, err := strconv.Unquote(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(lit), ")")))
		if err != nil {
			continue // another kind of corpus entry
		}
		data := []byte(s)
		checked++
		for _, forward := range []bool{false, true} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var r Reader
			var ra io.ReaderAt = bytes.NewReader(data)
			if forward {
				ra = &forwardReaderAt{r: bytes.NewReader(data)}
			}
			start := time.Now()
			r.read(ra, int64(len(data)))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			limit := uint64(1<<20 + 64*len(data))
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit || took > time.Second {
				t.Errorf("%s (%d bytes, forward-only %v): %d bytes allocated, %v; want at most %d", filepath.Base(name), len(data), forward, alloc, took, limit)
			}
		}
	}
}

// TestFormatSeeds: the fuzzer's seeds of every format read as what they
// hold, so that it starts from files the readers take apart.
func TestFormatSeeds(t *testing.T) {
	for i, seed := range formatSeeds() {
		got, err := Read(bytes.NewReader(seed), int64(len(seed)))
		if err != nil || got.Title == "" && got.Artist == "" {
			t.Errorf("seed %d: %+v, %v; want its tags", i, got, err)
		}
	}
}
