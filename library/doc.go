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
//     Each worker reuses its own buffers.
//   - The goroutine that called Scan collects the results, shares repeated
//     artist, album and genre strings, hands each track to Options.OnTrack
//     as it comes, and puts the tracks in walk order once all workers are
//     done, which is their order by path.
//     The results channel is closed in one place, after the walker and every
//     worker have returned.
//
// Broken files never stop a scan: each is recorded as a Skip with a Reason
// (empty, unreadable, corrupt tag, a panic in the tag reader, ...), and only
// an unreadable root is an error. Panics in the tag readers are recovered
// per file.
//
// MP3 tags are read here (id3v2.go), with ReadAt calls on the file: the
// first 4 KiB, which hold the whole tag of most files, then only the frames
// this package uses. A cover picture is stepped over without being read,
// reading stops at the padding, and the ID3v1 tag in the last 128 bytes is
// read (by github.com/dhowden/tag) only when the ID3v2 tag leaves a field
// that it could fill. No read goes beyond the size the tag's header states,
// which bounds the memory a lying header can cost. Other formats (FLAC,
// Ogg, MP4, DSF) go through github.com/dhowden/tag over a buffered reader
// with a read limit.
//
// With Options.Cache, a worker first looks the file up in the Cache: if the
// cache knows its path and the file's size and modification time (from the
// walk's fs.DirEntry.Info) are unchanged, the remembered track is used and
// the file is not opened. Cache.Save writes the cache atomically; OpenCache
// reads it back, and ignores, with a *CacheWarning, a file it cannot use.
package library
