// Package genlib writes synthetic music libraries for benchmarks: thousands
// of small MP3 files laid out as Artist/Album/NN Title.mp3 and tagged the
// many ways real libraries are.
//
// A library of n files holds, in exact proportions:
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
//     files, and files cut off inside their ID3v2 tag.
//
// The audio is a few dozen silent MPEG-1 Layer III frames, 5 to 17 KB, so
// that a 20,000-file library takes about 600 MB, most of it cover art. The
// tags use ID3v2 padding of 0 to 4 KiB, as taggers leave it. Names are
// invented from word lists, some with diacritics, some in scripts that
// ISO-8859-1 lacks.
//
// The same n and seed give the same files, byte for byte, with the same
// modification times (between 2015 and 2024), on every run.
package genlib
