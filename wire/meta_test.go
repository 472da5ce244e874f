package wire

import (
	"encoding/json"
	"testing"
	"time"
)

// metaCases are frame 4s that the fast path must read as encoding/json
// does, or leave to it.
var metaCases = []string{
	`{"v":1,"seq":42,"sent":"2025-11-25T19:04:05.123456789Z","path":"a/b.mp3","track":1,"disc":0,"year":2002,"genre":"Hip-Hop","album_artist":"","station":"kitchen"}`,
	` { "seq" : 7 , "v" : 1 , "extra" : "x" , "n" : 5 } `,
	`{"v":1,"seq":3,"duration_ms":215000,"pace":"real"}`,
	`{"v":1,"Duration_MS":3}`,
	`{"v":1,"duration_ms":-5}`,
	`{"v":1,"duration_ms":1.5}`,
	`{"v":1,"seq":1,"sent":"2024-01-02T03:04:05+02:00"}`,
	`{"v":1,"sent":"2024-01-02T03:04:05+05:45"}`, // an offset not a whole hour: its own *time.Location each parse
	`{"v":1,"cover":"0123456789abcdef"}`,
	`{"v":1,"Cover":"0123456789abcdef"}`,
	`{"v":1,"cover":null}`,
	`{"v":1,"cover":7}`,
	`{"v":1,"path":"quote \" inside"}`,
	`{"v":1,"path":"tab\tinside"}`,
	`{"v":1,"SEQ":3}`,
	`{"v":1,"ſeq":3}`,
	`{"v":1,"seq":-1}`,
	`{"v":1,"seq":01}`,
	`{"v":1,"year":1e3}`,
	`{"v":1,"year":2.5}`,
	`{"v":1,"seq":18446744073709551616}`,
	`{"v":1,"genre":null}`,
	`{"v":1,"mood":{"calm":true}}`,
	`{"v":1,"seq":"one"}`,
	`{"v":1,"sent":"yesterday"}`,
	`{"v":1,"sent":"2024-01-02T03:04:05.Z"}`,
	`{"v":1,"path":"bad \xff utf8"}`,
	`{"v":1,"seq":1,"seq":2}`,
	`{"v":1}x`,
	`{"v":1,}`,
	`{}`,
	`[]`,
	``,
}

// TestParseMeta: whatever the fast path reads, encoding/json reads the same.
func TestParseMeta(t *testing.T) {
	in := sample()
	cases := append(metaCases, string(AppendMeta(nil, &in)))
	for _, c := range cases {
		checkParseMeta(t, []byte(c))
	}
}

func checkParseMeta(t *testing.T, b []byte) {
	t.Helper()
	var quick, slow meta
	ok := quickMeta(b, &quick)
	err := json.Unmarshal(b, &slow)
	if ok && (err != nil || !sameMeta(quick, slow)) {
		t.Errorf("%q: fast path read %+v; encoding/json %+v, %v", b, quick, slow, err)
	}
	var got meta
	if perr := parseMeta(b, &got); (perr == nil) != (err == nil) || err == nil && !sameMeta(got, slow) {
		t.Errorf("%q: parseMeta %+v, %v; encoding/json %+v, %v", b, got, perr, slow, err)
	}
}

// sameMeta compares two metas, their times as the same instant at the same
// offset: each parse of an offset that is not a whole hour, such as
// +00:10, makes a *time.Location of its own, so == would tell them apart.
func sameMeta(a, b meta) bool {
	_, ao := a.Sent.Zone()
	_, bo := b.Sent.Zone()
	if !a.Sent.Equal(b.Sent) || ao != bo {
		return false
	}
	a.Sent, b.Sent = time.Time{}, time.Time{}
	return a == b
}

func FuzzParseMeta(f *testing.F) {
	for _, c := range metaCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkParseMeta(t, b) })
}

// BenchmarkDecode decodes a typical message (fast path) and one whose
// path has characters JSON escapes (encoding/json).
func BenchmarkDecode(b *testing.B) {
	for _, path := range []string{"Sigur Rós/Takk/01 Glósóli.mp3", "Sigur Rós/Takk/01 \"Glósóli\".mp3"} {
		in := sample()
		in.Path = path
		frames := [][]byte{[]byte(in.Topic), []byte(in.Artist), []byte(in.Album), []byte(in.Title), AppendMeta(nil, &in)}
		b.Run(map[bool]string{true: "escapes", false: "plain"}[len(path) > 32], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(frames); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
