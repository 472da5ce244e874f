//go:build linux

package main

import (
	"bytes"
	"slices"
	"sync/atomic"
	"time"
)

// Latency buckets, the same as zmqpeer.c's: 1 µs wide below 100 ms, then
// 1 ms wide up to 100 s.
const (
	histFine    = 100_000
	histBuckets = 200_000
)

func bucket(us int64) int {
	switch {
	case us < 0:
		return 0
	case us < histFine:
		return int(us)
	}
	return min(histFine+int((us-histFine)/1000), histBuckets-1)
}

func bucketLow(i int) int64 {
	if i < histFine {
		return int64(i)
	}
	return histFine + int64(i-histFine)*1000
}

// histogram counts latencies; add is safe for concurrent use.
type histogram []uint64

func newHistogram() histogram { return make(histogram, histBuckets) }

func (h histogram) add(d time.Duration) { atomic.AddUint64(&h[bucket(d.Microseconds())], 1) }

// sparse is the histogram as the subscribers print it: [lower bound in µs,
// count] for every bucket that is not empty, in order.
func (h histogram) sparse() [][2]int64 {
	var out [][2]int64
	for i, n := range h {
		if n > 0 {
			out = append(out, [2]int64{bucketLow(i), int64(n)})
		}
	}
	return out
}

// latencies is a merged histogram: count per bucket lower bound, in µs.
type latencies map[int64]int64

func (l latencies) merge(s [][2]int64) {
	for _, b := range s {
		l[b[0]] += b[1]
	}
}

func (l latencies) count() int64 {
	var n int64
	for _, c := range l {
		n += c
	}
	return n
}

// quantile is the nearest-rank q-quantile in µs (the lower bound of its
// bucket), or -1 for no data.
func (l latencies) quantile(q float64) int64 {
	total := l.count()
	if total == 0 {
		return -1
	}
	rank := max(int64(q*float64(total)+0.999999), 1)
	keys := make([]int64, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var cum int64
	for _, k := range keys {
		if cum += l[k]; cum >= rank {
			return k
		}
	}
	return keys[len(keys)-1]
}

var sentKey = []byte(`"sent":"`)

// sentTime finds "sent" in frame 4 without decoding the rest of it.
func sentTime(meta []byte) (time.Time, bool) {
	i := bytes.Index(meta, sentKey)
	if i < 0 {
		return time.Time{}, false
	}
	rest := meta[i+len(sentKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}
