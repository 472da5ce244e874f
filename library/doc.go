// Package library scans a folder of music into tracks: artist, album,
// title, track and disc number, year and genre, from each file's tags and,
// where a tag is missing, from its path.
//
// Scan reads an fs.FS (os.DirFS(root) in production, fstest.MapFS in tests)
// in a three-stage pipeline:
//
//	walk ──batches of paths──▶ N tag readers ──batches of results──▶ collect, then sort by path
//
// The stages are:
//
//   - One goroutine walks the tree, as fs.WalkDir does but in the order of
//     the paths (so that the tracks come out sorted), and sends the path of
//     every audio file on a channel, in batches of 16 to 64 so that the
//     hand-off costs little next to a read. Folders it cannot list become
//     skips.
//   - Options.Workers goroutines (GOMAXPROCS by default) take batches from
//     that channel, read each file's tags and fill the gaps with FromPath.
//     Each worker reuses its own tags.Reader.
//   - The goroutine that called Scan collects the results, shares repeated
//     artist, album and genre strings, hands each track to Options.OnTrack
//     as it comes, and puts the tracks in walk order once all workers are
//     done, which is their order by path.
//     The results channel is closed in one place, after the walker and every
//     worker have returned. This pool (pool.go) is also the one in which a
//     Watcher reads the files that changed.
//
// Broken files never stop a scan: each is recorded as a Skip with a Reason
// (empty, unreadable, corrupt tag, a panic in the tag reader, ...), and only
// an unreadable root is an error. Panics in the tag readers are recovered
// per file.
//
// Tags are read by package library/tags: each worker keeps a tags.Reader,
// whose buffers serve file after file, and the scan turns its errors into
// Reasons.
//
// Cover art is located, not read (cover.go): a track's Cover names the
// picture in its file, which tags.Reader locates, or else its folder's
// cover image (cover.jpg, folder.jpg, cover.png, front.jpg and the like),
// which the walk finds as it lists the folder; a disc folder without one
// takes its album's. A Cover holds an ID, a hash of where the picture is,
// and ReadCover reads the bytes when a client asks for them. No picture's
// bytes are held in memory.
//
// With Options.Cache, a worker first looks the file up in the Cache: if the
// cache knows its path and the file's size and modification time (from the
// walk's fs.DirEntry.Info) are unchanged, the remembered track is used and
// the file is not opened. Cache.Save writes the cache atomically; OpenCache
// reads it back, and ignores, with a *CacheWarning, a file it cannot use.
package library
