package topics

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Prefix turns what a person types to pick artists into a topic prefix.
// A prefix that topics can start with ("the_", "sigur", "") is kept as it
// is; anything else is taken for a name and becomes its slug, so "The
// Streets" picks the_streets and "Sigur Rós" sigur_ros. A name that ends
// in a separator keeps one ("The " → "the_"), so it still reads as the
// start of longer names. The error is for text that is not UTF-8.
func Prefix(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errors.New("not valid UTF-8")
	}
	if IsPrefix(s) {
		return s, nil
	}
	p := Slug(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	named := strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
	if named && !unicode.IsLetter(last) && !unicode.IsDigit(last) {
		p += "_" // a slug never ends in "_"
	}
	return p, nil
}

// IsPrefix reports whether p can start a topic as it is: it is empty, or
// the start of a slug ("the_", "the_str", "sigur").
func IsPrefix(p string) bool {
	p = strings.TrimSuffix(p, "_")
	return p == "" || Slug(p) == p
}
