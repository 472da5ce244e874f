// Package tags reads the tags of audio files: artist, album artist, album,
// title, genre, track and disc number, and year; and the duration of their
// audio, from its headers (duration.go): no file is read whole for it.
//
// MP3 tags are read here (id3v2.go), with ReadAt calls on the file: the
// first 4 KiB, which hold the whole tag of most files, then only the frames
// this package uses. A cover picture is located (Tags.Picture) and stepped
// over without being read, reading stops at the padding, and the ID3v1 tag
// in the last 128 bytes is read (by github.com/dhowden/tag) only when the
// ID3v2 tag leaves a field that it could fill. No read goes beyond the size the tag's header states,
// which bounds the memory a lying header can cost. Other formats (FLAC,
// Ogg, MP4, DSF) go through github.com/dhowden/tag over a buffered reader
// with a read limit, and its panics are recovered.
//
// ReadPicture reads the picture that Read locates, for a program that
// shows cover art (picture.go lists the pictures read, format by format).
//
// A Reader keeps its buffers from file to file, so that reading a library
// allocates little more than the strings it returns; library.Scan gives
// each of its workers one. Read's errors say what happened to the file: no
// tag (ErrNoTag), no tag and no audio either (ErrNotAudio), a tag that
// cannot be parsed (ErrCorrupt), a file that
// cannot be read (*ReadError), a parser that panicked (*PanicError).
package tags
