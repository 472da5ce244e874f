package librarytest

import (
	"math/rand/v2"
	"strings"
)

// The word lists that names are made of. They hold no digits, no slashes,
// no underscores and no leading dots, so that a name is also a file name
// that library.FromPath reads back unchanged. Letters above 0x7F that
// ISO-8859-1 has are all at 0xC0 or above, so no two of them in a row form a
// valid UTF-8 sequence and an ID3v1 field reads back as ISO-8859-1.
var (
	adjectives = []string{
		"Velvet", "Copper", "Silent", "Electric", "Hollow", "Golden", "Paper",
		"Northern", "Broken", "Crimson", "Quiet", "Neon", "Distant", "Wooden",
		"Glass", "Iron", "Lonely", "Bright", "Frozen", "Wild", "Midnight",
		"Amber", "Scarlet", "Silver", "Gentle", "Restless", "Sleepy", "Cosmic",
		"Café", "Señor", "Fjörð", "Zürich", "Ångström", "Mañana", "Éclair",
		"Łódź", "Dvořák", "Москва", "東京", "夜明け", "Ελλάδα",
	}
	nouns = []string{
		"Harbour", "Lanterns", "Engine", "Orchard", "Machine", "River",
		"Garden", "Tram", "Signal", "Mountain", "Mirror", "Letters", "Comet",
		"Thunder", "Echoes", "Meadow", "Parade", "Static", "Weather", "Station",
		"Horizon", "Pilots", "Foxes", "Dancers", "Rain", "Lullaby", "Circuit",
		"Avenue", "Ocean", "Tides", "Embers", "Wolves", "Satellites", "Bloom",
		"Björk", "Sól", "Jökull", "Señorita", "Rêve", "Straße", "Ŝtono",
		"Sakura", "海", "Звезда", "Νύχτα",
	}
	genres = []struct {
		name string
		v1   byte // its number in the ID3v1 genre list
	}{
		{"Blues", 0}, {"Country", 2}, {"Dance", 3}, {"Funk", 5}, {"Hip-Hop", 7},
		{"Jazz", 8}, {"Metal", 9}, {"Pop", 13}, {"Reggae", 16}, {"Rock", 17},
		{"Techno", 18}, {"Alternative", 20}, {"Soundtrack", 24}, {"Ambient", 26},
		{"Classical", 32}, {"Soul", 42}, {"Punk", 43}, {"Electronic", 52},
		{"Hard Rock", 79}, {"Folk", 80},
	}
)

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// artistName invents a band or person: "The Copper Lanterns", "Velvet
// Engine", "Silent Rain & the Wolves".
func artistName(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return "The " + pick(r, adjectives) + " " + pick(r, nouns)
	case 1:
		return pick(r, adjectives) + " " + pick(r, nouns) + " & the " + pick(r, nouns)
	default:
		return pick(r, adjectives) + " " + pick(r, nouns)
	}
}

// title invents an album or track title of one to four words.
func title(r *rand.Rand) string {
	words := make([]string, 1+r.IntN(4))
	for i := range words {
		if i%2 == 0 && i+1 < len(words) {
			words[i] = pick(r, adjectives)
		} else {
			words[i] = pick(r, nouns)
		}
	}
	return strings.Join(words, " ")
}

// unique returns name, or name followed by " II", " III", ... if seen
// already holds it, and adds the result to seen.
func unique(seen map[string]bool, name string) string {
	candidate := name
	for i := 2; seen[candidate]; i++ {
		candidate = name + " " + roman(i)
	}
	seen[candidate] = true
	return candidate
}

// roman writes i (1 to 3999) in Roman numerals, which contain no digits.
func roman(i int) string {
	var b strings.Builder
	for _, d := range []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"},
		{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for ; i >= d.v; i -= d.v {
			b.WriteString(d.s)
		}
	}
	return b.String()
}
