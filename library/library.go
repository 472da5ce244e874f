package library

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Library is the result of a scan: the tracks found and the files left out.
type Library struct {
	Tracks  []Track // sorted by Path
	Skipped []Skip  // sorted by Path
}

// Skip records a file or folder that the scan left out, and why.
type Skip struct {
	// Path is relative to the root and slash-separated. For ReasonBadName it
	// holds the name's bytes as they are on disk, which are not valid UTF-8.
	Path   string
	Reason Reason
	Err    error // the underlying error, or nil
}

// Reason says why a file was skipped. Summary counts skips by Reason.
type Reason string

// The reasons a file or folder is skipped.
const (
	// ReasonEmpty: the file has no bytes.
	ReasonEmpty Reason = "empty file"
	// ReasonNoTitle: the file has no tag that names a title, and neither
	// does its name (for example "01.mp3" with no tag).
	ReasonNoTitle Reason = "no tag and no usable path"
	// ReasonCorrupt: the file starts like a tagged file (ID3v2, MP4, FLAC,
	// Ogg, DSF) but the tag cannot be parsed (tags.ErrCorrupt).
	ReasonCorrupt Reason = "corrupt tag"
	// ReasonUnreadable: the file or folder could not be opened or read
	// (permissions, I/O error, a symlink loop).
	ReasonUnreadable Reason = "unreadable"
	// ReasonPanic: the tag reader panicked on this file; the panic was
	// recovered and Err, a *tags.PanicError, holds its value.
	ReasonPanic Reason = "panic in tag reader"
	// ReasonBadName: the name is not valid UTF-8. io/fs paths must be valid
	// UTF-8, so such a file cannot be opened through an fs.FS at all.
	ReasonBadName Reason = "name not valid UTF-8"
	// ReasonNotRegular: an audio-named entry is not a regular file (a
	// device, a pipe, or a symlink to a folder).
	ReasonNotRegular Reason = "not a regular file"
	// ReasonNotAudio: the file has no tag and its bytes are not audio (no
	// MPEG frames, no FLAC, Ogg, MP4, DSF, WAV or AIFF header): a text, an
	// image or random bytes under an audio name.
	ReasonNotAudio Reason = "not audio"
)

// Summary counts what a scan found.
type Summary struct {
	Tracks   int
	Artists  int // distinct non-empty Artist values
	Albums   int // distinct (AlbumArtist, or Artist if empty; Album) pairs with a non-empty Album
	Skipped  int
	ByReason map[Reason]int
}

// Summary counts the library's tracks, artists, albums and skips.
func (l *Library) Summary() Summary {
	artists := make(map[string]struct{})
	albums := make(map[[2]string]struct{})
	for _, t := range l.Tracks {
		if t.Artist != "" {
			artists[t.Artist] = struct{}{}
		}
		if t.Album != "" {
			by := t.AlbumArtist
			if by == "" {
				by = t.Artist
			}
			albums[[2]string{by, t.Album}] = struct{}{}
		}
	}
	s := Summary{
		Tracks:   len(l.Tracks),
		Artists:  len(artists),
		Albums:   len(albums),
		Skipped:  len(l.Skipped),
		ByReason: make(map[Reason]int),
	}
	for _, sk := range l.Skipped {
		s.ByReason[sk.Reason]++
	}
	return s
}

// String prints the summary on one line, such as
// "42 tracks, 11 artists, 14 albums; 3 files skipped (2 empty file, 1 corrupt tag)".
// Reasons are listed most frequent first.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s; %s skipped",
		plural(s.Tracks, "track"), plural(s.Artists, "artist"), plural(s.Albums, "album"),
		plural(s.Skipped, "file"))
	if len(s.ByReason) == 0 {
		return b.String()
	}
	reasons := make([]Reason, 0, len(s.ByReason))
	for r := range s.ByReason {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(s.ByReason[b], s.ByReason[a]), cmp.Compare(a, b))
	})
	b.WriteString(" (")
	for i, r := range reasons {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", s.ByReason[r], r)
	}
	b.WriteString(")")
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
