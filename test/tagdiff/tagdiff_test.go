// Package tagdiff holds the differential test of trackfeed's tag reading:
// a corpus made with real encoders and tag writers, read by trackfeed, by
// TagLib and by mutagen. Where the two references agree, trackfeed must
// agree; where they disagree, the tables below say which one it follows
// and why.
package tagdiff

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/tags"
)

// python is Debian's, which has python3-mutagen (the python3 first on
// PATH may be another).
const python = "/usr/bin/python3"

// fields are the fields compared, as trackfeed names them.
var fields = []string{"artist", "albumartist", "album", "title", "track", "disc", "year", "genre"}

// refsDisagree says, for the files and fields where TagLib and mutagen
// read different values, which one trackfeed follows and why. Keys are
// NAME/FIELD, NAME a path.Match pattern and FIELD a field or "*". The test
// checks that trackfeed follows the one named.
var refsDisagree = map[string]string{
	"*-cut-in-audio.*/*":           "follows TagLib: the tags are whole and the audio after them cut short; mutagen gives up on the whole file, as it cannot read the stream's length",
	"*-cut-in-padding.mp3/*":       "follows TagLib: the frames are whole, the padding cut; mutagen gives up on a tag that claims more bytes than the file has",
	"mp3-cut-in-frames.mp3/*":      "follows TagLib for the frames that are whole; mutagen gives up on a tag that claims more bytes than the file has",
	"*-cut-in-tags.*/*":            "follows TagLib: the comment is cut short, and the fields before the cut are kept; mutagen gives up on it",
	"*-trunc?.*/*":                 "whole fields: on a file cut short, trackfeed keeps the fields that are whole, as TagLib does, and drops one cut in two, which TagLib keeps cut (\"The Stree\"); mutagen gives up on the file. So trackfeed reads TagLib's value, or nothing (the title then from the file's name)",
	"*-flip0.*/*":                  "follows TagLib: the flipped byte is in the file's first header (an ID3v2 header's version or flags, an atom's name, a RIFF or FORM size), which TagLib passes over and mutagen does not; the tags themselves are whole",
	"dsd.dsf/*":                    "follows mutagen: Debian's TagLib (1.13) does not read DSF files (2.0 does)",
	"mp3-cut-in-first-frame.mp3/*": "follows mutagen: the only frame left is cut short, and TagLib keeps its first bytes (a title without its last character, never written so); trackfeed skips the file as a corrupt tag",
}

// disagreement returns refsDisagree's rule for a file's field.
func disagreement(name, field string) (string, bool) {
	for key, why := range refsDisagree {
		pattern, f, _ := strings.Cut(key, "/")
		if ok, _ := path.Match(pattern, name); ok && (f == "*" || f == field) {
			return why, true
		}
	}
	return "", false
}

// known lists the cases where trackfeed disagrees with both references,
// and why that is left as it is for now. The test fails on any case not
// listed, and on a listed case that no longer disagrees.
var known = map[string]string{}

// needTools skips the test, or fails it under CI, when a tool is missing.
func needTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{python, "ffmpeg", "g++", "pkg-config", "metaflac", "vorbiscomment", "id3v2", "AtomicParsley", "opusenc"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if err := exec.Command(python, "-c", "import mutagen").Run(); err != nil {
		missing = append(missing, "python3-mutagen")
	}
	if err := exec.Command("pkg-config", "--exists", "taglib").Run(); err != nil {
		missing = append(missing, "libtag1-dev")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s: apt-get install -y python3-mutagen libtag1-dev ffmpeg flac vorbis-tools id3v2 atomicparsley opus-tools g++ pkg-config", strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// values are one reader's values of one file, by field.
type values map[string]string

func TestAgainstTagLibAndMutagen(t *testing.T) {
	needTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	if out, err := exec.CommandContext(ctx, python, "testdata/make_corpus.py", corpus).CombinedOutput(); err != nil {
		t.Fatalf("make_corpus.py: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(corpus, e.Name()))
	}

	bin := filepath.Join(dir, "taglib_read")
	flags, err := exec.Command("pkg-config", "--cflags", "--libs", "taglib").Output()
	if err != nil {
		t.Fatal(err)
	}
	build := append([]string{"-O1", "-o", bin, "testdata/taglib_read.cpp"}, strings.Fields(string(flags))...)
	if out, err := exec.CommandContext(ctx, "g++", build...).CombinedOutput(); err != nil {
		t.Fatalf("g++: %v\n%s", err, out)
	}
	taglib := readRefs(t, exec.CommandContext(ctx, bin, paths...))
	mutagen := readRefs(t, exec.CommandContext(ctx, python, append([]string{"testdata/mutagen_read.py"}, paths...)...))
	ours := readOurs(t, ctx, corpus)

	agreeing, followed := 0, 0
	var report []string
	for _, p := range paths {
		name := filepath.Base(p)
		for _, f := range fields {
			key := name + "/" + f
			tl, mu, tf := taglib[name][f], mutagen[name][f], ours[name][f]
			switch {
			case tl == mu && tl == "":
				// Neither reference has it: trackfeed may take it from the
				// file's name, by design (README: tags first, then the path).
			case tl == mu:
				agreeing++
				if tf == tl {
					followed++
					if why, ok := known[key]; ok {
						t.Errorf("%s: listed as a known disagreement (%s), but trackfeed now reads %q as both references do: remove it from known", key, why, tf)
					}
				} else if why, ok := known[key]; ok {
					report = append(report, fmt.Sprintf("known: %s: trackfeed %q, references %q (%s)", key, tf, tl, why))
				} else {
					t.Errorf("%s: trackfeed reads %q, TagLib and mutagen %q", key, tf, tl)
				}
			default:
				why, ok := disagreement(name, f)
				switch {
				case !ok:
					t.Errorf("%s: the references disagree (TagLib %q, mutagen %q; trackfeed %q): say in refsDisagree which one trackfeed follows and why", key, tl, mu, tf)
				case strings.HasPrefix(why, "whole fields") && tf != tl && tf != mu && tf != "" &&
					!(f == "title" && tf == strings.TrimSuffix(name, filepath.Ext(name))):
					t.Errorf("%s: refsDisagree says trackfeed keeps whole fields, but it reads %q (TagLib %q, mutagen %q)", key, tf, tl, mu)
				case strings.HasPrefix(why, "follows TagLib") && tf != tl, strings.HasPrefix(why, "follows mutagen") && tf != mu:
					t.Errorf("%s: refsDisagree says trackfeed %s, but it reads %q (TagLib %q, mutagen %q)", key, strings.SplitN(why, ":", 2)[0], tf, tl, mu)
				}
				report = append(report, fmt.Sprintf("references disagree: %s: TagLib %q, mutagen %q, trackfeed %q: %s", key, tl, mu, tf, why))
			}
		}
	}
	sort.Strings(report)
	for _, r := range report {
		t.Log(r)
	}
	t.Logf("%d files; %d fields where TagLib and mutagen agree on a value; trackfeed agrees on %d (%.1f%%)",
		len(paths), agreeing, followed, 100*float64(followed)/float64(max(agreeing, 1)))

	t.Run("cover", func(t *testing.T) { compareCovers(t, paths, mutagen, ours) })
}

// coversDisagree says, for the files whose cover trackfeed reads otherwise
// than mutagen, why; keys are path.Match patterns of file names. In these
// files trackfeed must read the cover mutagen reads in the intact file.
var coversDisagree = map[string]string{
	"*-flip0.*": "the flipped byte is in the file's first header (a RIFF size), which mutagen does not read past, and TagLib and trackfeed do (see refsDisagree): the tag and its picture are whole",
}

// compareCovers holds trackfeed's cover of each file of the corpus against
// mutagen's (Debian's TagLib, 1.13, has no interface that reads every
// format's pictures): the same picture, by its type and its bytes' hash,
// or none in both. A file mutagen cannot read at all is left out.
func compareCovers(t *testing.T, paths []string, mutagen, ours map[string]values) {
	withCover, agree := 0, 0
	for _, p := range paths {
		name := filepath.Base(p)
		mu, tf := mutagen[name]["cover"], ours[name]["cover"]
		if mutagen[name]["error"] != "" {
			continue
		}
		if mu != "" {
			withCover++
		}
		if mu == tf {
			if mu != "" {
				agree++
			}
			continue
		}
		why := ""
		for pattern, w := range coversDisagree {
			if ok, _ := path.Match(pattern, name); ok {
				why = w
			}
		}
		intact := regexp.MustCompile(`-(flip|trunc)\d`).ReplaceAllString(name, "")
		switch {
		case why == "":
			t.Errorf("%s: trackfeed's cover %q, mutagen's %q", name, tf, mu)
		case tf != mutagen[intact]["cover"]:
			t.Errorf("%s: trackfeed's cover %q, mutagen's of %s %q: %s", name, tf, intact, mutagen[intact]["cover"], why)
		default:
			t.Logf("%s: trackfeed's cover %q, mutagen's %q: %s", name, tf, mu, why)
		}
	}
	if withCover < 10 {
		t.Errorf("mutagen finds a cover in %d files of the corpus, want at least 10", withCover)
	}
	t.Logf("%d files with a cover by mutagen; trackfeed reads the same picture in %d", withCover, agree)
}

// readRefs runs a reference reader and returns its values by file name,
// normalized as trackfeed's fields are.
func readRefs(t *testing.T, cmd *exec.Cmd) map[string]values {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Args[0], err, stderr.String())
	}
	refs := map[string]values{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("%s printed %q: %v", cmd.Args[0], sc.Text(), err)
		}
		v := values{}
		list := func(keys ...string) []string {
			for _, k := range keys {
				if l, ok := raw[k].([]any); ok {
					var s []string
					for _, x := range l {
						s = append(s, fmt.Sprint(x))
					}
					return s
				}
			}
			return nil
		}
		v["artist"] = joinValues(list("ARTIST", "artist"))
		v["albumartist"] = joinValues(list("ALBUMARTIST", "albumartist"))
		v["album"] = joinValues(list("ALBUM", "album"))
		v["title"] = joinValues(list("TITLE", "title"))
		v["track"] = number(list("TRACKNUMBER", "tracknumber"))
		v["disc"] = number(list("DISCNUMBER", "discnumber"))
		v["year"] = year(list("DATE", "date"))
		v["genre"] = joinValues(list("GENRE", "genre"))
		if c, ok := raw["cover"].(map[string]any); ok {
			v["cover"] = fmt.Sprintf("type %v, sha256 %v", c["type"], c["sha256"])
		}
		if e, ok := raw["error"].(string); ok {
			v["error"] = e
		}
		refs[filepath.Base(raw["path"].(string))] = v
	}
	return refs
}

// ourCover is the picture trackfeed gives a track of the corpus, as
// tags.ReadPicture reads it, described as compareCovers wants: "" if the
// scan gave it no cover.
func ourCover(t *testing.T, dir string, tr library.Track) string {
	if tr.Cover.ID == "" {
		return ""
	}
	f, err := os.Open(filepath.Join(dir, tr.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	_, pic, err := tags.ReadPicture(f, fi.Size(), 16<<20)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("type %d, sha256 %x", pic.Type, sha256.Sum256(pic.Data))
}

// joinValues joins the values of a multi-valued field as trackfeed does
// (README: "; "). Each value is trimmed first: trackfeed trims the white
// space around a value, by choice (a tab or space there is never part of a
// name, and would make a topic of its own), where TagLib and mutagen keep
// it.
func joinValues(l []string) string {
	var vs []string
	for _, v := range l {
		if v = strings.TrimSpace(v); v != "" {
			vs = append(vs, v)
		}
	}
	return strings.Join(vs, "; ")
}

var leadingNumber = regexp.MustCompile(`^\s*0*(\d+)`)

// number is the leading number of the first value ("3/12" → "3"), or "".
func number(l []string) string {
	if len(l) == 0 {
		return ""
	}
	m := leadingNumber.FindStringSubmatch(l[0])
	if m == nil || m[1] == "0" || m[1] == "" {
		return ""
	}
	return m[1]
}

var fourDigits = regexp.MustCompile(`\b(\d{4})\b`)

// year is the first four-digit number of the first value, or "".
func year(l []string) string {
	if len(l) == 0 {
		return ""
	}
	m := fourDigits.FindStringSubmatch(l[0])
	if m == nil {
		return ""
	}
	return m[1]
}

// readOurs scans the corpus with trackfeed's library and returns its
// values by file name; a skipped file has none.
func readOurs(t *testing.T, ctx context.Context, dir string) map[string]values {
	t.Helper()
	lib, err := library.Scan(ctx, os.DirFS(dir), library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]values{}
	num := func(n int) string {
		if n <= 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	for _, tr := range lib.Tracks {
		ours[tr.Path] = values{
			"artist": tr.Artist, "albumartist": tr.AlbumArtist, "album": tr.Album, "title": tr.Title,
			"track": num(tr.TrackNo), "disc": num(tr.Disc), "year": num(tr.Year), "genre": tr.Genre,
			"cover": ourCover(t, dir, tr),
		}
	}
	for _, sk := range lib.Skipped {
		ours[sk.Path] = values{}
		t.Logf("trackfeed skipped %s: %s (%v)", sk.Path, sk.Reason, sk.Err)
	}
	return ours
}
