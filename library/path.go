package library

import (
	"path"
	"strconv"
	"strings"
)

// FromPath returns what a slash-separated path relative to the library root
// says about a track, for files whose tags are missing or incomplete.
//
// The file name gives the title and the track number: "07 Title.mp3",
// "07 - Title.mp3", "07_Title.mp3", "07. Title.mp3" and plain "Title.mp3"
// are understood, and so is iTunes' "1-07 Title.m4a" (disc 1, track 7).
// A leading number counts as a track number only if it has at most three
// digits, so "1979.mp3" is a title. Underscores stand for spaces in a title
// that has no spaces.
//
// The parent folder names the album and the one above it the artist
// ("Artist/Album/07 Title.mp3"); a "CD 2", "Disc2" or "disk-2" folder is
// read as the disc number and the album is the folder above it.
//
// Names that are not valid UTF-8 have their bad bytes replaced by U+FFFD in
// the text fields; Path is always rel unchanged.
func FromPath(rel string) Track {
	t := Track{Path: rel}
	dir, file := path.Split(rel)
	t.Disc, t.TrackNo, t.Title = parseFileName(stripExt(file))
	t.Title = display(t.Title)

	parent, dir := lastElem(dir)
	if d, ok := discFolder(parent); ok {
		if t.Disc == 0 {
			t.Disc = d
		}
		parent, dir = lastElem(dir)
	}
	grandparent, _ := lastElem(dir)
	t.Album = display(parent)
	t.Artist = display(grandparent)
	return t
}

// lastElem splits the last element off a slash-separated folder path.
func lastElem(dir string) (elem, rest string) {
	dir = strings.TrimRight(dir, "/")
	i := strings.LastIndexByte(dir, '/')
	return dir[i+1:], dir[:max(i, 0)]
}

// stripExt removes a file extension: a dot followed by one to five letters or
// digits, so that "01 Mr. Brightside" keeps its title intact.
func stripExt(name string) string {
	ext := path.Ext(name)
	if len(ext) < 2 || len(ext) > 6 || len(ext) == len(name) {
		return name
	}
	for _, c := range []byte(ext[1:]) {
		if !isDigit(c) && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') {
			return name
		}
	}
	return name[:len(name)-len(ext)]
}

// parseFileName splits a file name without extension into disc number,
// track number and title.
func parseFileName(s string) (disc, track int, title string) {
	s = strings.TrimSpace(s)
	i := leadingDigits(s)
	if i == 0 || i > 3 {
		return 0, 0, s
	}
	// "1-07 Title": disc, dash, two-digit track.
	if i <= 2 && i+3 <= len(s) && s[i] == '-' && leadingDigits(s[i+1:]) == 2 &&
		(i+3 == len(s) || isSeparator(s[i+3])) {
		disc, _ = strconv.Atoi(s[:i])
		track, _ = strconv.Atoi(s[i+1 : i+3])
		return disc, track, cleanTitle(s[i+3:])
	}
	if i < len(s) && !isSeparator(s[i]) {
		return 0, 0, s // "2Pac", "99Luftballons"
	}
	track, _ = strconv.Atoi(s[:i])
	return 0, track, cleanTitle(s[i:])
}

// cleanTitle trims the separators that follow a track number and turns
// underscores into spaces in a title written without spaces.
func cleanTitle(s string) string {
	if strings.HasPrefix(s, ".") && !strings.HasPrefix(s, "..") {
		s = s[1:] // "07. Title", "07.Title", but not "07 ...Title"
	}
	s = strings.TrimSpace(strings.TrimLeft(s, " -_"))
	if !strings.Contains(s, " ") {
		s = strings.TrimSpace(strings.ReplaceAll(s, "_", " "))
	}
	return s
}

// discFolder reports whether a folder name such as "CD1", "Disc 2" or
// "disk-3" names a disc of an album, and which.
func discFolder(name string) (int, bool) {
	name = strings.TrimSpace(name)
	for _, prefix := range []string{"disc", "disk", "cd"} {
		if len(name) < len(prefix) || !strings.EqualFold(name[:len(prefix)], prefix) {
			continue
		}
		rest := strings.TrimLeft(name[len(prefix):], " -_.")
		if n := leadingDigits(rest); n > 0 && n == len(rest) && n <= 3 {
			d, _ := strconv.Atoi(rest)
			return d, true
		}
	}
	return 0, false
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSeparator(c byte) bool { return c == ' ' || c == '-' || c == '_' || c == '.' }

// display makes a name fit to show: valid UTF-8, no surrounding space.
func display(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}
