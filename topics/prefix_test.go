package topics

import (
	"strings"
	"testing"
)

func TestPrefix(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"", ""},
		{"the_", "the_"},
		{"the_str", "the_str"},
		{"sigur", "sigur"},
		{"The Streets", "the_streets"},
		{"the streets", "the_streets"},
		{"THE_", "the_"},
		{"The ", "the_"},
		{"Sigur Rós", "sigur_ros"},
		{"AC/DC", "ac_dc"},
		{"!!!", "sym_212121"}, // a name of symbols: its own slug, no "_" after
		{"Björk", "bjork"},
	} {
		got, err := Prefix(tc.typed)
		if err != nil || got != tc.want {
			t.Errorf("Prefix(%q) = %q, %v; want %q", tc.typed, got, err, tc.want)
		}
		// What a whole name becomes matches that name's own topic.
		whole := !strings.HasSuffix(tc.typed, " ") && !strings.HasSuffix(tc.typed, "_")
		if tc.typed != "" && whole && !IsPrefix(tc.typed) && !Match(Slug(tc.typed), got) {
			t.Errorf("Prefix(%q) = %q does not match the name's topic %q", tc.typed, got, Slug(tc.typed))
		}
	}
	if _, err := Prefix("caf\xe9"); err == nil {
		t.Error("Prefix of Latin-1 bytes: no error")
	}
}

func TestIsPrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   bool
	}{
		{"", true},
		{"the_", true},
		{"the_streets", true},
		{"sigur_r", true},
		{"ac_dc", true},
		{"坂本", true},
		{"sym_", true},
		{"The Streets", false},
		{"Björk", false},
		{"sigur rós", false},
		{"_the", false},
	} {
		if got := IsPrefix(tc.prefix); got != tc.want {
			t.Errorf("IsPrefix(%q) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
}
