// Package library scans a folder of music into tracks: artist, album,
// title, track and disc number, year and genre, from each file's tags and,
// where a tag is missing, from its path.
//
// Scan reads an fs.FS (os.DirFS(root) in production, fstest.MapFS in tests)
// in a three-stage pipeline:
//
//	walk ──paths──▶ N tag readers ──results──▶ collect, then sort by path
//
// The stages are:
//
//   - One goroutine walks the tree with fs.WalkDir and sends the path of
//     every audio file on a channel. Folders it cannot list become skips.
//   - Options.Workers goroutines (GOMAXPROCS by default) take paths from
//     that channel, read each file's tags with github.com/dhowden/tag and
//     fill the gaps with FromPath. Each worker reuses its own buffers.
//   - The goroutine that called Scan collects the results, shares repeated
//     artist, album and genre strings, hands each track to Options.OnTrack
//     as it comes, and sorts the tracks by path once all workers are done.
//     The results channel is closed in one place, after the walker and every
//     worker have returned.
//
// Broken files never stop a scan: each is recorded as a Skip with a Reason
// (empty, unreadable, corrupt tag, a panic in the tag reader, ...), and only
// an unreadable root is an error. Panics inside dhowden/tag are recovered
// per file.
//
// MP3 tags are read without dhowden/tag touching the file: the ID3v2 tag is
// read whole, never beyond the size its header states, together with the
// last 128 bytes for ID3v1, and parsed in memory. This bounds the memory a
// lying header can cost and avoids dhowden/tag's one-byte reads of
// unsynchronised tags. Other formats go through a buffered reader with a
// read limit.
package library
