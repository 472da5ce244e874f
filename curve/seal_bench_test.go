package curve

import "testing"

// BenchmarkSeal: one frame of a feed message (its JSON, about 200 bytes)
// boxed and opened.
func BenchmarkSeal(b *testing.B) {
	var c, s Session
	copy(c.shared[:], "a fixed key for the benchmark...")
	s.shared, c.client, c.send = c.shared, true, 1
	frame := make([]byte, 200)
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Seal(dst[:0], frame, false, false)
	}
}

func BenchmarkOpen(b *testing.B) {
	var c, s Session
	copy(c.shared[:], "a fixed key for the benchmark...")
	s.shared, c.client, c.send = c.shared, true, 1
	frame := make([]byte, 200)
	boxes := make([][]byte, 1000)
	for i := range boxes {
		boxes[i] = c.Seal(nil, frame, false, false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(boxes) {
			b.StopTimer()
			for j := range boxes {
				boxes[j] = c.Seal(boxes[j][:0], frame, false, false)
			}
			i = 0
			b.StartTimer()
		}
		if _, _, _, err := s.Open(boxes[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
