package topics_test

import (
	"testing"

	"github.com/trackfeed/trackfeed/topics"
)

var matchTests = []struct {
	topic, prefix string
	want          bool
}{
	{"the_streets", "", true},
	{"", "", true},
	{"", "the", false},
	{"the_streets", "the", true},
	{"the_streets", "the_", true},
	{"the_the", "the_", true},
	{"the_streets", "the_streets", true},
	{"the_the", "the_streets", false},
	{"the_streets", "the_streets_", false},
	{"the", "the_", false},
	{"theatre_of_tragedy", "the_", false},
	{"theatre_of_tragedy", "the", true},
	{"the_streets", "The", false},        // bytes: no case folding
	{"the_streets", "streets", false},    // prefix, not substring
	{"sigur_ros", "sigur_rós", false},    // bytes: no diacritic folding
	{"μίκης_θεοδωράκης", "μίκης", true},  // non-ASCII prefix
	{"μίκης_θεοδωράκης", "μικης", false}, // a different byte sequence
	{"坂本龍一", "坂本", true},
	{"坂本龍一", "坂本龍一", true},
	{"坂本龍一", "坂本龍一_", false},
	{"坂本龍一", "坂\xe6", true},     // first byte of 本 (e6 9c ac): half a rune still matches
	{"坂本龍一", "坂\xe6\x9c", true}, // two bytes of 本
	{"坂本龍一", "坂\xe9", false},    // first byte of 龍 (e9 be 8d) is not next
	{"sym_212121", "sym_", true},
	{"sym_212121", "sym_2121", true},
	{"unknown", "sym_", false},
	{"a\x00b", "a\x00", true}, // NUL is just a byte
}

func TestMatch(t *testing.T) {
	for _, tc := range matchTests {
		if got := topics.Match(tc.topic, tc.prefix); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.topic, tc.prefix, got, tc.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	for _, tc := range []struct {
		name     string
		topic    string
		prefixes []string
		want     bool
	}{
		{"no prefixes match nothing", "the_streets", nil, false},
		{"empty list matches nothing", "the_streets", []string{}, false},
		{"no prefixes match nothing, even empty topic", "", nil, false},
		{"empty prefix matches all", "the_streets", []string{""}, true},
		{"one of several", "the_streets", []string{"bjork", "the_s"}, true},
		{"none of several", "the_streets", []string{"bjork", "the_t"}, false},
		{"longer than topic", "the", []string{"the_streets"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := topics.MatchAny(tc.topic, tc.prefixes); got != tc.want {
				t.Errorf("MatchAny(%q, %q) = %v, want %v", tc.topic, tc.prefixes, got, tc.want)
			}
		})
	}
}

func TestSetMatchesLikeMatchAny(t *testing.T) {
	// A Set holding one prefix matches exactly as Match does.
	for _, tc := range matchTests {
		var s topics.Set
		s.Add(tc.prefix)
		if got := s.Match(tc.topic); got != tc.want {
			t.Errorf("Set{%q}.Match(%q) = %v, want %v", tc.prefix, tc.topic, got, tc.want)
		}
	}
	// Both strategies of Set.Match (scan the prefixes, or probe the topic's
	// prefixes) agree with MatchAny, whichever side is larger.
	prefixes := []string{"a", "ab", "abc_", "b", "bjork", "the_", "x", "坂\xe6", "μ"}
	for _, topic := range []string{"", "a", "abc_def", "bj", "bjork_x", "the_the", "z", "坂本龍一", "μίκης", "abcdefghijklmnopqrstuvwxyz"} {
		var s topics.Set
		for _, p := range prefixes {
			s.Add(p)
		}
		if got, want := s.Match(topic), topics.MatchAny(topic, prefixes); got != want {
			t.Errorf("Set%q.Match(%q) = %v, want %v", prefixes, topic, got, want)
		}
	}
}

func TestSet(t *testing.T) {
	var s topics.Set // the zero value is ready to use
	check := func(step string, topic string, want bool, wantLen int) {
		t.Helper()
		if got := s.Match(topic); got != want {
			t.Errorf("after %s: Match(%q) = %v, want %v", step, topic, got, want)
		}
		if got := s.Len(); got != wantLen {
			t.Errorf("after %s: Len() = %d, want %d", step, got, wantLen)
		}
	}
	check("nothing", "the_streets", false, 0)
	check("nothing", "", false, 0)

	if !s.Add("the_") {
		t.Error(`first Add("the_") = false, want true`)
	}
	check(`Add("the_")`, "the_streets", true, 1)
	check(`Add("the_")`, "bjork", false, 1)

	if s.Add("the_") {
		t.Error(`second Add("the_") = true, want false`)
	}
	check(`Add("the_") twice`, "the_streets", true, 1)

	if s.Remove("the_") {
		t.Error(`Remove("the_") after two Adds = true, want false`)
	}
	check(`Remove("the_") once`, "the_streets", true, 1)

	if !s.Remove("the_") {
		t.Error(`Remove("the_") of the last Add = false, want true`)
	}
	check(`Remove("the_") twice`, "the_streets", false, 0)

	if s.Remove("the_") {
		t.Error(`Remove("the_") when not subscribed = true, want false`)
	}
	check(`Remove("the_") thrice`, "the_streets", false, 0)

	s.Add("bjork")
	if !s.Add("") {
		t.Error(`first Add("") = false, want true`)
	}
	s.Add("")
	check(`Add("") twice`, "anything", true, 2)
	check(`Add("") twice`, "", true, 2)
	s.Remove("")
	check(`Remove("") once`, "anything", true, 2)
	if !s.Remove("") {
		t.Error(`Remove("") of the last Add = false, want true`)
	}
	check(`Remove("") twice`, "anything", false, 1)
	check(`Remove("") twice`, "bjork", true, 1)
	if s.Remove("") {
		t.Error(`Remove("") when not subscribed = true, want false`)
	}
	check(`Remove("") thrice`, "bjork", true, 1)
}
