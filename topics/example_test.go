package topics_test

import (
	"fmt"

	"github.com/trackfeed/trackfeed/topics"
)

func ExampleSlug() {
	for _, name := range []string{
		"The Streets",
		"Sigur Rós",
		"AC/DC",
		"Guns N' Roses",
		"Røyksopp",
		"坂本龍一",
		"Μίκης Θεοδωράκης",
		"!!!",
		"",
	} {
		fmt.Println(topics.Slug(name))
	}
	// Output:
	// the_streets
	// sigur_ros
	// ac_dc
	// guns_n_roses
	// royksopp
	// 坂本龍一
	// μίκης_θεοδωράκης
	// sym_212121
	// unknown
}

func ExampleMatch() {
	fmt.Println(topics.Match("the_streets", "the_"))
	fmt.Println(topics.Match("the_the", "the_streets"))
	fmt.Println(topics.Match("the_streets", ""))
	fmt.Println(topics.MatchAny("the_streets", nil))
	// Output:
	// true
	// false
	// true
	// false
}

func ExampleSet() {
	var s topics.Set
	s.Add("sigur_")
	s.Add("sigur_")
	s.Remove("sigur_")
	fmt.Println(s.Match("sigur_ros"), s.Len())
	s.Remove("sigur_")
	fmt.Println(s.Match("sigur_ros"), s.Len())
	// Output:
	// true 1
	// false 0
}

func ExamplePrefix() {
	for _, typed := range []string{"the_", "The Streets", "Sigur Rós", "The "} {
		p, _ := topics.Prefix(typed)
		fmt.Printf("%q → %q\n", typed, p)
	}
	// Output:
	// "the_" → "the_"
	// "The Streets" → "the_streets"
	// "Sigur Rós" → "sigur_ros"
	// "The " → "the_"
}
