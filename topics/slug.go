package topics

import (
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Slug returns the topic for an artist name, following the rules in the
// package documentation. It never returns "", and Slug(Slug(name)) ==
// Slug(name) for every name.
func Slug(name string) string {
	if isSlug(name) {
		return name // already a slug: no allocation at all
	}
	var w slugWriter
	w.b.Grow(len(name)) // enough for any ASCII name: the only allocation then
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if l := asciiSlug[c]; l != 0 {
				w.writeByte(l)
				w.letter = l >= 'a'
			} else {
				w.separate()
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		w.writeRune(r, name[i:i+size], name[i+size:])
		i += size
	}
	if w.b.Len() == 0 {
		return symbolSlug(name)
	}
	out := w.b.String()
	if w.nonASCII {
		// Letters outside Latin were written as they came (possibly
		// decomposed); compose them. Returns out itself when it is NFC.
		out = norm.NFC.String(out)
	}
	return out
}

// asciiSlug maps an ASCII byte to the byte it becomes in a slug, or to 0 for
// a separator.
var asciiSlug = func() (t [utf8.RuneSelf]byte) {
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c] = c
		t[c-'a'+'A'] = c
	}
	return t
}()

// isSlug reports whether s is non-empty and already in its final form:
// lower-case ASCII letters, digits and single inner underscores.
func isSlug(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if s[i-1] == '_' {
				return false
			}
			continue
		}
		if c >= utf8.RuneSelf || asciiSlug[c] != c {
			return false
		}
	}
	return true
}

// slugWriter accumulates a slug, turning every run of separators into one
// "_" that is written only once a letter or digit follows it.
type slugWriter struct {
	b        strings.Builder
	sep      bool // a separator run has begun since the last letter or digit
	nonASCII bool // b holds a rune outside ASCII, so it may need NFC
	marks    bool // combining marks attach to the last rune written (a letter outside Latin)
	letter   bool // the last rune written is a letter (for Greek final sigma)
}

func (w *slugWriter) separate() {
	w.sep, w.marks, w.letter = true, false, false
}

// start writes the pending "_", if any, before a letter or digit.
func (w *slugWriter) start() {
	if w.sep && w.b.Len() > 0 {
		w.b.WriteByte('_')
	}
	w.sep = false
}

func (w *slugWriter) writeByte(c byte) {
	w.start()
	w.b.WriteByte(c)
	w.marks = false
}

// writeRune handles one non-ASCII rune r, whose encoding is enc and which is
// followed in the name by rest.
func (w *slugWriter) writeRune(r rune, enc, rest string) {
	if unicode.IsMark(r) {
		// A mark is kept as part of the spelling of a letter outside
		// Latin; after a Latin letter it is a diacritic to fold, and after
		// a digit or separator it has nothing to belong to.
		if w.marks {
			w.b.WriteString(enc)
		}
		return
	}
	base, decomp := r, norm.NFD.PropertiesString(enc).Decomposition()
	if decomp != nil {
		// Canonical decompositions are one base rune then marks only
		// (Hangul syllables have none here and are kept whole). Classify
		// by the base: Latin bases lose their marks.
		base, _ = utf8.DecodeRune(decomp)
	}
	switch {
	case unicode.IsLetter(base) && unicode.Is(unicode.Latin, base):
		w.start()
		l := unicode.ToLower(base)
		if f := foldLatin(l); f != "" {
			w.b.WriteString(f)
		} else {
			w.b.WriteRune(l)
			w.nonASCII = w.nonASCII || l >= utf8.RuneSelf
		}
		w.marks, w.letter = false, true
	case unicode.IsLetter(base):
		final := r == 'Σ' && w.letter && !w.sep && !nextIsLetter(rest)
		w.start()
		if final {
			w.b.WriteRune('ς')
		} else {
			// Lower-casing the precomposed letter keeps the slug NFC in
			// the common case; for every such letter it agrees with
			// lower-casing its decomposition and composing again.
			w.b.WriteRune(unicode.ToLower(r))
		}
		w.nonASCII, w.marks, w.letter = true, true, true
	case unicode.IsDigit(base):
		w.start()
		w.b.WriteString(enc)
		w.nonASCII, w.marks, w.letter = true, false, false
	default: // punctuation, symbols, spaces, controls, invalid UTF-8
		w.separate()
	}
}

// nextIsLetter reports whether the first rune of s that is not a combining
// mark is a letter: an upper-case sigma before it is not at the end of a word.
func nextIsLetter(s string) bool {
	for _, r := range s {
		if !unicode.IsMark(r) {
			return unicode.IsLetter(r)
		}
	}
	return false
}

// foldLatin returns the ASCII spelling of a lower-case Latin letter that
// canonical decomposition leaves alone (a stroke, a ligature, a letter of its
// own), or "" if l is not one of them.
func foldLatin(l rune) string {
	switch l {
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'þ':
		return "th"
	case 'ð', 'đ':
		return "d"
	case 'ø':
		return "o"
	case 'ł', 'ŀ', 'ƚ':
		return "l"
	case 'ı', 'ɨ':
		return "i"
	case 'ħ':
		return "h"
	case 'ŧ':
		return "t"
	case 'ĸ':
		return "k"
	case 'ŉ':
		return "n"
	case 'ſ':
		return "s"
	case 'ƀ':
		return "b"
	case 'ƒ':
		return "f"
	case 'ǥ':
		return "g"
	case 'ȼ':
		return "c"
	case 'ɇ':
		return "e"
	case 'ɉ':
		return "j"
	case 'ɍ':
		return "r"
	case 'ɏ':
		return "y"
	case 'ʉ':
		return "u"
	case 'ƶ', 'ȥ':
		return "z"
	case 'ĳ':
		return "ij"
	case 'ǆ', 'ǳ':
		return "dz"
	case 'ǉ':
		return "lj"
	case 'ǌ':
		return "nj"
	case 'ﬀ':
		return "ff"
	case 'ﬁ':
		return "fi"
	case 'ﬂ':
		return "fl"
	case 'ﬃ':
		return "ffi"
	case 'ﬄ':
		return "ffl"
	case 'ﬅ', 'ﬆ':
		return "st"
	}
	return ""
}

// symbolSlug is the slug of a name with no letter or digit: "unknown" when it
// is blank, otherwise "sym_" and the hex of its trimmed, NFC bytes, so that
// distinct names stay distinct and canonically equivalent ones do not.
func symbolSlug(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "unknown"
	}
	return "sym_" + hex.EncodeToString([]byte(norm.NFC.String(name)))
}
