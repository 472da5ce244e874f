// Package samplemusic is the catalogue of trackfeed's bundled sample library,
// sample-music/, and the code that writes it.
//
// The library is made here, not recorded: every file is a few seconds of
// MPEG-1 Layer III audio (44.1 kHz, 64 kbit/s, a quiet tone on one MDCT line)
// with the tag that its catalogue entry names, written byte for byte the same
// on every run. Nothing in it is copyrighted: the artist names are real, the
// album and track titles are invented.
//
// The catalogue (Files) is the single source of truth. Each entry says where
// the file lives, how it is tagged, and what a correct scan of it must find,
// so scanner tests compare their results with it rather than with a second
// hand-kept list. `go run ./tools/gensample sample-music` regenerates the
// folder after the catalogue changes; a golden test fails until it has been
// run.
//
// The entries cover what a scanner meets in the wild: ID3v2.3 with
// ISO-8859-1 and with UTF-16 text, ID3v2.4 with UTF-8 and with UTF-16 text,
// ID3v1.1 only, and no tag at all (where the path is all there is); "The"
// bands, diacritics, a slash in a name (AC/DC), a Japanese name, a
// compilation under Various Artists, a two-disc album, a title longer than
// ID3v1 can hold, and a v2.4 frame larger than 127 bytes (so its synchsafe
// size differs from a plain one).
package samplemusic
