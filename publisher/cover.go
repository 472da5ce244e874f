package publisher

import (
	"errors"
	"io/fs"
	"os"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/tags"
	"github.com/trackfeed/trackfeed/query"
)

// coverReads bounds the covers read at once: each holds up to
// query.MaxCover bytes until its reply is written.
const coverReads = 4

// covers is what the publisher needs to serve cover art: the library's
// folder, and a bound on the reads at once. Its zero value serves none.
type covers struct {
	fsys fs.FS         // nil: no cover art on the wire
	sem  chan struct{} // a slot per read
}

func newCovers(cfg Config) covers {
	// Only a folder the publisher reads itself has pictures it can read:
	// Tracks come from elsewhere, and a remote scan's files are where its
	// workers are.
	if cfg.Dir == "" || cfg.Scan != nil {
		return covers{}
	}
	return covers{fsys: os.DirFS(cfg.Dir), sem: make(chan struct{}, coverReads)}
}

// id is the cover ID a track's message carries: none when the publisher
// cannot serve it.
func (c *covers) id(t *library.Track) string {
	if c.fsys == nil {
		return ""
	}
	return t.Cover.ID
}

// errNoFolder is the cover error of a publisher that reads no folder.
var errNoFolder = errors.New("this publisher plays no music folder of its own, so it has no cover art")

// Cover returns the cover art that id names, for the query socket's
// "cover ID" (query.CoverSource): the picture of a track in the playlist
// now, read from its file or its folder's image. Its errors name no file:
// the reason is logged, the client told what it can do.
func (p *Publisher) Cover(id string) (mime string, data []byte, err error) {
	if p.covers.fsys == nil {
		return "", nil, errNoFolder
	}
	t, ok := p.list.Cover(id)
	if !ok {
		return "", nil, query.ErrNoCover
	}
	p.covers.sem <- struct{}{}
	defer func() { <-p.covers.sem }()
	mime, data, err = library.ReadCover(p.covers.fsys, t, query.MaxCover)
	var tooLarge *tags.PictureTooLargeError
	switch {
	case err == nil:
		return mime, data, nil
	case errors.As(err, &tooLarge):
		p.log.Info("cover too large to send", "id", id, "path", t.Path, "bytes", tooLarge.Size, "max", tooLarge.Limit)
		return "", nil, errors.New("the picture is larger than a reply carries (8 MiB)")
	case errors.Is(err, library.ErrCoverChanged):
		// The watcher, or the next scan, gives the track its new cover.
		return "", nil, errors.New("the picture changed since the library was read: ask again for the track's new cover")
	case errors.Is(err, library.ErrNotImage):
		p.log.Info("cover is not an image", "id", id, "path", t.Path)
		return "", nil, errors.New("the picture is not a JPEG, PNG, GIF, WebP or BMP image")
	}
	p.log.Warn("cannot read a cover", "id", id, "path", t.Path, "err", err)
	return "", nil, errors.New("the picture cannot be read (the publisher's log says why)")
}
