// Package topics turns artist names into ZeroMQ topics (slugs) and holds the
// prefix-matching rule that subscribers use to pick artists.
//
// # Slugs
//
// A slug is lower case ASCII where the name allows it: Latin diacritics are
// folded (Sigur Rós → sigur_ros, Motörhead → motorhead), and so are the Latin
// letters that have no accent to strip (ß → ss, æ → ae, ø → o, ł → l,
// þ → th). Every run of characters that is not a letter or digit becomes one
// "_", and there is no leading or trailing "_" (AC/DC → ac_dc). Apostrophes
// are no exception: Guns N' Roses → guns_n_roses, Sinéad O'Connor →
// sinead_o_connor, whichever apostrophe character the tag uses.
//
// Letters and digits of other scripts are kept as they are (lower-cased where
// the script has case), so a Japanese name keeps its own slug. Their accents
// and marks are part of the spelling and are kept too: Greek tonos
// (Μίκης → μίκης), Japanese dakuten (ベ stays ベ), Cyrillic й. Only Latin is
// folded.
//
// A name with no letter or digit at all becomes "sym_" and the hex of its
// UTF-8 bytes ("!!!" → "sym_212121"), so distinct names stay distinct and all
// of them share the prefix "sym_"; an empty or blank name becomes "unknown".
//
// Slugs are valid UTF-8 in Unicode normalisation form NFC, never empty, and
// stable: the slug of a slug is itself, and canonically equivalent names
// (precomposed or decomposed accents) have the same slug.
//
// # Matching
//
// A subscriber picks topics by prefix, with exactly ZeroMQ's semantics: a
// topic matches a prefix when its bytes start with the prefix's bytes, and
// the empty prefix matches everything. So "the_" matches the_streets and
// the_the, "the_streets" matches only the former, and "" matches both.
// A subscriber with no prefix at all receives nothing; the trackfeed CLI
// subscribes to "" when no prefix is given.
package topics
