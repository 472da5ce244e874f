// Package librarytest writes music files for tests and benchmarks: tagged
// MP3s made here, not recorded, byte for byte the same on every run.
//
// It holds one writer of each thing a file is made of: ID3v2.3 and ID3v2.4
// tags (ID3v2, and Tag for the tag most tests want), ID3v1.1 tags (ID3v1),
// MPEG-1 Layer III frames (Audio, Silence), and the FLAC and MP4 metadata
// that a scanner also reads (FLAC, MP4). On them stand two libraries.
//
// # The sample library
//
// Files is the catalogue of trackfeed's bundled sample library,
// sample-music/, and Write writes it. Every file is a few seconds of audio
// (44.1 kHz, 64 kbit/s, a quiet tone on one MDCT line) with the tag that
// its catalogue entry names. Nothing in it is copyrighted: the artist names
// are real, the album and track titles are invented.
//
// The catalogue is the single source of truth. Each entry says where the
// file lives, how it is tagged, and what a correct scan of it must find, so
// scanner tests compare their results with it rather than with a second
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
// size differs from a plain one). Two albums have cover art: one in its
// files' tags (an APIC frame), one as cover.jpg beside them (Images); the
// pictures are small JPEGs that CoverImage drew, kept as files.
//
// # Synthetic libraries
//
// WriteLibrary writes a library of any size for benchmarks: thousands of
// small MP3 files laid out as Artist/Album/NN Title.mp3 and tagged the many
// ways real libraries are. A library of n files holds, in exact
// proportions:
//
//   - ID3v2.3 tags (50%), text in ISO-8859-1 or UTF-16, a numeric genre
//     such as "(17)" in some;
//   - ID3v2.4 tags (35%), text in UTF-8 or UTF-16;
//   - ID3v1.1 tags alone (8%), and no tag at all (7%);
//   - an ID3v1.1 tail behind a quarter of the ID3v2 tags;
//   - a 100 KiB front cover (APIC frame) in one file in five, before or
//     after the text frames;
//   - unsynchronised ID3v2.3 tags in 0.5% of the files: the tag's
//     unsynchronisation flag is set and every 0xFF that a reader could take
//     for an MPEG sync word is followed by a stuffed 0x00;
//   - a few broken files (one in 4,000 of each kind, at least one): empty
//     files, and files cut off inside the first frame of their ID3v2 tag.
//
// The audio is a few dozen silent 128 kbit/s frames, 5 to 17 KB, so that a
// 20,000-file library takes about 600 MB, most of it cover art. The tags
// use ID3v2 padding of 0 to 4 KiB, as taggers leave it. Names are invented
// from word lists, some with diacritics, some in scripts that ISO-8859-1
// lacks. The same n and seed give the same files, byte for byte, with the
// same modification times (between 2015 and 2024), on every run.
package librarytest
