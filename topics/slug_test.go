package topics_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/trackfeed/trackfeed/topics"
)

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		// ASCII.
		{"plain", "The Streets", "the_streets"},
		{"same word twice", "The The", "the_the"},
		{"padded and doubled spaces", "  The  Streets  ", "the_streets"},
		{"slash", "AC/DC", "ac_dc"},
		{"trailing bang", "Panic! at the Disco", "panic_at_the_disco"},
		{"leading star", "*NSYNC", "nsync"},
		{"bang inside", "P!nk", "p_nk"},
		{"dollar inside", "Ke$ha", "ke_ha"},
		{"dollar and space", "A$AP Rocky", "a_ap_rocky"},
		{"thousands comma", "10,000 Maniacs", "10_000_maniacs"},
		{"leading digits", "50 Cent", "50_cent"},
		{"already a slug", "deadmau5", "deadmau5"},
		{"dots", "t.A.T.u.", "t_a_t_u"},
		{"plus", "Florence + the Machine", "florence_the_machine"},
		{"ampersand", "Simon & Garfunkel", "simon_garfunkel"},
		{"parentheses", "Sunn O)))", "sunn_o"},
		{"all caps", "BABYMETAL", "babymetal"},

		// Apostrophes separate, whichever character the tag uses.
		{"apostrophe after word", "Guns N' Roses", "guns_n_roses"},
		{"apostrophe inside word", "Sinéad O'Connor", "sinead_o_connor"},
		{"typographic apostrophe", "Sinéad O’Connor", "sinead_o_connor"},

		// Latin diacritics fold.
		{"acute", "Sigur Rós", "sigur_ros"},
		{"umlaut", "Motörhead", "motorhead"},
		{"umlaut 2", "Björk", "bjork"},
		{"two umlauts", "Mötley Crüe", "motley_crue"},
		{"acute at end", "Beyoncé", "beyonce"},
		{"capital umlaut", "Blue Öyster Cult", "blue_oyster_cult"},
		{"umlaut at end", "Hüsker Dü", "husker_du"},
		{"y diaeresis", "Queensrÿche", "queensryche"},
		{"diaeresis", "Tiësto", "tiesto"},
		{"cedilla", "Françoise Hardy", "francoise_hardy"},
		{"capital umlaut first", "Die Ärzte", "die_arzte"},
		{"icelandic", "Jóhann Jóhannsson", "johann_johannsson"},
		{"lower case only", "múm", "mum"},
		{"stacked vietnamese", "Mỹ Tâm", "my_tam"},
		{"turkish dotted capital I", "İlhan Erşahin", "ilhan_ersahin"},
		{"decomposed input", "Sigur Ro\u0301s", "sigur_ros"},
		{"angstrom sign", "\u212Bngstrom", "angstrom"},

		// Latin letters that NFD leaves alone, from the table.
		{"o with stroke", "Røyksopp", "royksopp"},
		{"o with stroke at end", "Mø", "mo"},
		{"sharp s", "Straßenjungs", "strassenjungs"},
		{"capital sharp s", "STRAẞE", "strasse"},
		{"ash", "Æther Realm", "aether_realm"},
		{"l with stroke", "Łona", "lona"},
		{"thorn", "Þursaflokkurinn", "thursaflokkurinn"},
		{"d with stroke", "Đorđe Balašević", "dorde_balasevic"},
		{"oe ligature", "Œdipe", "oedipe"},
		{"fi ligature", "ﬁnal", "final"},

		// Other scripts keep their letters and marks, lower-cased.
		{"kanji", "坂本龍一", "坂本龍一"},
		{"katakana with dakuten and long vowel", "ベビーメタル", "ベビーメタル"},
		{"katakana middle dot separates", "ジョン・レノン", "ジョン_レノン"},
		{"hangul", "방탄소년단", "방탄소년단"},
		{"cyrillic", "Кино", "кино"},
		{"cyrillic short i", "Мумий Тролль", "мумий_тролль"},
		{"cyrillic all caps", "ДДТ", "ддт"},
		{"greek keeps tonos", "Μίκης Θεοδωράκης", "μίκης_θεοδωράκης"},
		{"greek caps get final sigma", "ΜΊΚΗΣ ΘΕΟΔΩΡΆΚΗΣ", "μίκης_θεοδωράκης"},
		{"greek lone capital sigma", "Σ", "σ"},
		{"devanagari vowel signs", "ए. आर. रहमान", "ए_आर_रहमान"},
		{"arabic", "فيروز", "فيروز"},
		{"mixed scripts", "Ryuichi Sakamoto / 坂本龍一", "ryuichi_sakamoto_坂本龍一"},

		// No letter or digit.
		{"bangs", "!!!", "sym_212121"},
		{"question marks padded", " ??? ", "sym_3f3f3f"},
		{"emoji", "🎸", "sym_f09f8eb8"},
		{"lone combining mark", "\u0301", "sym_cc81"},
		{"empty", "", "unknown"},
		{"blank", "   ", "unknown"},
		{"tabs and newlines", "\t\n", "unknown"},
		{"ideographic space", "\u3000", "unknown"},

		// Invalid UTF-8 is a separator.
		{"invalid byte", "Bj\xffrk", "bj_rk"},
		{"only invalid bytes", "\xff\xfe", "sym_fffe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := topics.Slug(tc.in); got != tc.want {
				t.Errorf("Slug(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSlugAllocs(t *testing.T) {
	for _, tc := range []struct {
		in  string
		max float64
		why string
	}{
		{"the_streets", 0, "a slug is returned as is"},
		{"The Streets", 1, "an ASCII name costs the result only"},
		{"Mötley Crüe", 1, "a name that folds to ASCII costs the result only"},
	} {
		if n := testing.AllocsPerRun(100, func() { topics.Slug(tc.in) }); n > tc.max {
			t.Errorf("Slug(%q) allocates %v times, want at most %v: %s", tc.in, n, tc.max, tc.why)
		}
	}
}

// checkSlug reports what is wrong with s as a slug, or "".
func checkSlug(s string) string {
	switch {
	case s == "":
		return "empty"
	case !utf8.ValidString(s):
		return "not valid UTF-8"
	case !norm.NFC.IsNormalString(s):
		return "not NFC"
	case strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_"):
		return "leading or trailing _"
	case strings.Contains(s, "__"):
		return "double _"
	}
	for _, r := range s {
		if unicode.ToLower(r) != r {
			return "not lower case"
		}
	}
	return ""
}

func FuzzSlug(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzSlug.
	f.Fuzz(func(t *testing.T, name string) {
		s := topics.Slug(name)
		if problem := checkSlug(s); problem != "" {
			t.Fatalf("Slug(%q) = %q: %s", name, s, problem)
		}
		if again := topics.Slug(s); again != s {
			t.Fatalf("Slug(%q) = %q, but Slug(%q) = %q", name, s, s, again)
		}
		if !utf8.ValidString(name) {
			return // normalisation forms are defined for valid text only
		}
		for _, form := range []norm.Form{norm.NFC, norm.NFD} {
			if other := topics.Slug(form.String(name)); other != s {
				t.Fatalf("Slug(%q) = %q, but Slug(%q) = %q", name, s, form.String(name), other)
			}
		}
	})
}

func BenchmarkSlug(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"slug", "the_streets"},
		{"ascii", "The Streets"},
		{"latin", "Mötley Crüe"},
		{"greek", "Μίκης Θεοδωράκης"},
		{"japanese", "坂本龍一"},
		{"symbols", "!!!"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				topics.Slug(bc.in)
			}
		})
	}
}
