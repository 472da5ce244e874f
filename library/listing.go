package library

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode/utf8"
)

// Listing is what ListDir found in one folder: the entries a scan goes on
// with, and those it leaves out.
type Listing struct {
	Entries []Entry // in path order
	Skipped []Skip
	// Cover is the folder's cover image (cover.jpg, folder.jpg and the
	// like; see Track.Cover), given to its tracks whose files hold no
	// picture; zero if it has none.
	Cover Cover
}

// Entry is a folder to list or an audio file to read, found by ListDir.
type Entry struct {
	Path string // relative to the root, slash-separated
	Kind Kind
	d    fs.DirEntry // the listing's entry, whose Info a cache check uses
}

// Kind says what an Entry is.
type Kind string

// The kinds of Entry.
const (
	KindFolder Kind = "folder" // a folder, to list
	KindFile   Kind = "file"   // a regular audio file, to read
	KindLink   Kind = "link"   // a symbolic link with an audio name, to read through
)

// ListDir lists the folder dir of fsys as Scan does: names that start with
// a dot are left out, files are picked by extension, and links to folders
// are not followed. A folder or audio file whose name is not valid UTF-8, an
// audio name that is not a regular file or link, and a folder that cannot
// be read (with what was read of it before the error) go in Skipped. Only
// the root (".") failing to read is an error, wrapping ErrRoot.
//
// Scan calls it for every folder; a worker of the task system calls it for
// one folder, so that a remote scan finds what a local one does.
func ListDir(fsys fs.FS, dir string) (Listing, error) {
	return listDir(fsys, dir, true)
}

// listDir is ListDir, which looks for the folder's cover image if covers
// is set.
func listDir(fsys fs.FS, dir string, covers bool) (Listing, error) {
	var l Listing
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		if dir == "." {
			return l, fmt.Errorf("%w: %w", ErrRoot, err)
		}
		// Go on with the entries read before the error, as fs.WalkDir does.
		l.Skipped = append(l.Skipped, Skip{Path: dir, Reason: ReasonUnreadable, Err: err})
	}
	if covers {
		l.Cover = folderCover(fsys, dir, entries)
	}
	slices.SortFunc(entries, pathOrder)
	for _, d := range entries {
		name := d.Name()
		p := name
		if dir != "." {
			p = dir + "/" + name
		}
		if strings.HasPrefix(name, ".") {
			continue // hidden, folders too
		}
		if !utf8.ValidString(name) {
			if d.IsDir() || isAudio(name) {
				l.Skipped = append(l.Skipped, Skip{Path: p, Reason: ReasonBadName, Err: fs.ErrInvalid})
			}
			continue
		}
		if d.IsDir() {
			l.Entries = append(l.Entries, Entry{Path: p, Kind: KindFolder, d: d})
			continue
		}
		if !isAudio(name) {
			continue
		}
		switch typ := d.Type(); {
		case typ.IsRegular():
			l.Entries = append(l.Entries, Entry{Path: p, Kind: KindFile, d: d})
		case typ&fs.ModeSymlink != 0:
			l.Entries = append(l.Entries, Entry{Path: p, Kind: KindLink, d: d})
		default:
			l.Skipped = append(l.Skipped, Skip{Path: p, Reason: ReasonNotRegular})
		}
	}
	return l, nil
}
