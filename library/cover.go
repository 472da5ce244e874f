package library

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/trackfeed/trackfeed/library/tags"
)

// Cover is where a track's cover art is: a picture in the track's own file
// (tags.Tags.Picture), or else an image file in its folder. A scan reads
// no picture's bytes; ReadCover reads them when they are asked for.
type Cover struct {
	// ID names the picture: the first 16 hex digits of a SHA-256 of where
	// it is (the path, size and modification time of the file that holds
	// it, and its place in that file). It changes whenever the picture
	// may have, so a client may cache a picture by its ID for good. It is
	// what the feed carries; "" when the track has no cover.
	ID string
	// File is the image file the picture is, relative to the root and
	// slash-separated; "" for a picture in the track's own file.
	File string
}

// embedded reports whether the cover is a picture in the track's file,
// which a folder's image does not replace.
func (c Cover) embedded() bool { return c.ID != "" && c.File == "" }

// coverNames are the image files that are a folder's cover, best first,
// matched in any case.
var coverNames = [...]string{
	"cover.jpg", "cover.jpeg", "cover.png",
	"folder.jpg", "folder.jpeg", "folder.png",
	"front.jpg", "front.jpeg", "front.png",
}

// coverRank is the place of name among coverNames, or -1.
func coverRank(name string) int {
	if len(name) < len("cover.jpg") || len(name) > len("folder.jpeg") {
		return -1
	}
	for i, c := range coverNames {
		if strings.EqualFold(name, c) {
			return i
		}
	}
	return -1
}

// isCoverImage reports whether a file name is one of a folder's cover.
func isCoverImage(name string) bool { return coverRank(name) >= 0 }

// coverID hashes where a picture is into a Cover's ID.
func coverID(p string, st stamp, at tags.PictureAt) string {
	var buf [512]byte
	b := append(buf[:0], p...)
	b = append(b, 0)
	for _, n := range [...]int64{st.size, st.mtime, at.Offset, at.Length} {
		b = binary.LittleEndian.AppendUint64(b, uint64(n))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// embeddedCover is the cover of the file at p, of stamp st, whose picture
// tags located at at.
func embeddedCover(p string, st stamp, at tags.PictureAt) Cover {
	if at.Length == 0 {
		return Cover{}
	}
	return Cover{ID: coverID(p, st, at)}
}

// imageCover is the cover that the image file at p, of stamp st, is.
func imageCover(p string, st stamp) Cover {
	return Cover{ID: coverID(p, st, tags.PictureAt{}), File: p}
}

// withFolderCover gives a track read in a folder whose cover is folder
// that cover, unless its own file holds a picture. A track taken from the
// cache may carry the folder cover of an earlier scan: it is replaced.
func withFolderCover(res result, folder Cover) result {
	if !res.skipped && !res.track.Cover.embedded() {
		res.track.Cover = folder
	}
	return res
}

// folderCover picks the cover of a folder among its entries: the image
// named best by coverNames, a regular file or a link to one. It returns
// the zero Cover if there is none, or it cannot be stat'ed.
func folderCover(fsys fs.FS, dir string, entries []fs.DirEntry) Cover {
	best, rank := fs.DirEntry(nil), len(coverNames)
	for _, d := range entries {
		if r := coverRank(d.Name()); r >= 0 && r < rank && !d.IsDir() {
			best, rank = d, r
		}
	}
	if best == nil {
		return Cover{}
	}
	p := path.Join(dir, best.Name())
	var fi fs.FileInfo
	var err error
	if best.Type()&fs.ModeSymlink != 0 {
		fi, err = fs.Stat(fsys, p)
	} else {
		fi, err = best.Info()
	}
	if err != nil || !fi.Mode().IsRegular() {
		return Cover{}
	}
	return imageCover(p, stampOf(fi))
}

// inheritsCover reports whether folder dir, whose own cover is own, takes
// its parent's: a disc folder ("CD 2", "Disc 1") with no image of its own
// takes its album's.
func inheritsCover(dir string, own Cover) bool {
	_, disc := discFolder(path.Base(dir))
	return own.ID == "" && disc && dir != "."
}

// coverOfFolder finds the cover of folder dir as a scan does, reading the
// folder (and for a disc folder its parent) again: for a Watcher, which
// reads files one by one.
func coverOfFolder(fsys fs.FS, dir string) Cover {
	listed := func(dir string) Cover {
		entries, _ := fs.ReadDir(fsys, dir) // what could be read
		return folderCover(fsys, dir, entries)
	}
	own := listed(dir)
	if inheritsCover(dir, own) {
		return listed(path.Dir(dir))
	}
	return own
}

// ErrCoverChanged is ReadCover's error when the file that holds a cover has
// changed since it was scanned: the picture there may be another, and the
// track's next scan (or the watcher) gives it a new Cover.
var ErrCoverChanged = errors.New("library: the cover's file changed since it was scanned")

// ErrNotImage is ReadCover's error for a picture whose bytes are not a
// JPEG, PNG, GIF, WebP or BMP image.
var ErrNotImage = errors.New("library: the picture is not a JPEG, PNG, GIF, WebP or BMP image")

// ReadCover reads the cover art of a track of the library in fsys: the
// picture in its file, or the image file beside it. It checks that the
// picture is where the scan found it (else ErrCoverChanged) and that its
// bytes are an image (else ErrNotImage), whose MIME type it returns with
// them. A picture of more than limit bytes is a *tags.PictureTooLargeError.
func ReadCover(fsys fs.FS, t Track, limit int) (mime string, data []byte, err error) {
	c := t.Cover
	switch {
	case c.ID == "":
		return "", nil, fmt.Errorf("library: %s has no cover", t.Path)
	case c.File != "":
		mime, data, err = readImageCover(fsys, c, limit)
	default:
		mime, data, err = readEmbeddedCover(fsys, t.Path, c, limit)
	}
	if err != nil {
		return "", nil, err
	}
	if mime == "" {
		return "", nil, ErrNotImage
	}
	return mime, data, nil
}

// readImageCover reads an image file that is a folder's cover.
func readImageCover(fsys fs.FS, c Cover, limit int) (string, []byte, error) {
	f, err := fsys.Open(c.File)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return "", nil, err
	case !fi.Mode().IsRegular() || imageCover(c.File, stampOf(fi)).ID != c.ID:
		return "", nil, ErrCoverChanged
	case fi.Size() > int64(limit):
		return "", nil, &tags.PictureTooLargeError{Size: fi.Size(), Limit: int64(limit)}
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return "", nil, err
	}
	return tags.ImageType(data), data, nil
}

// readEmbeddedCover reads the picture in a track's file.
func readEmbeddedCover(fsys fs.FS, p string, c Cover, limit int) (string, []byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, ErrCoverChanged
	}
	tg, pic, err := tags.ReadPicture(f, fi.Size(), limit)
	if embeddedCover(p, stampOf(fi), tg.Picture).ID != c.ID {
		return "", nil, ErrCoverChanged
	}
	if err != nil {
		return "", nil, err
	}
	return tags.ImageType(pic.Data), pic.Data, nil
}
