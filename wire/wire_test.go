package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func sample() Track {
	return Track{Topic: "sigur_ros", Artist: "Sigur Rós", Album: "Takk…", Title: "Glósóli",
		Version: 1, Seq: 7, Sent: time.Date(2026, 11, 25, 10, 0, 0, 5, time.UTC),
		Path: "Sigur Rós/Takk/01 \"Glósóli\"\t<&>\u2028.mp3", TrackNo: 1, Disc: 1, Year: 2005, Genre: "Post-rock", AlbumArtist: "Sigur Rós", Station: "living room",
		DurationMS: 394_227, Pace: PaceReal}
}

// TestAppendMetaIsJSON: the hand-written encoder writes what encoding/json
// reads back, field for field, for awkward strings too.
func TestAppendMetaIsJSON(t *testing.T) {
	for _, path := range []string{"plain", "quote\" back\\ slash", "ctl\x00\x1f", "bad utf8 \xff\xfe", "<script>&", "line\u2028sep\u2029"} {
		in := sample()
		in.Path = path
		b := AppendMeta(nil, &in)
		if !json.Valid(b) {
			t.Fatalf("path %q: invalid JSON %s", path, b)
		}
		var m meta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(path) // encoding/json's view of the same string
		var wantPath string
		json.Unmarshal(want, &wantPath)
		if m.Path != wantPath || m.Seq != in.Seq || !m.Sent.Equal(in.Sent) || m.Year != in.Year || m.Genre != in.Genre || m.AlbumArtist != in.AlbumArtist || m.Station != in.Station || m.Version != Version ||
			m.DurationMS != in.DurationMS || m.Pace != in.Pace {
			t.Errorf("path %q: decoded %+v", path, m)
		}
	}
}

func TestDecode(t *testing.T) {
	in := sample()
	good := [][]byte{[]byte(in.Topic), []byte(in.Artist), []byte(in.Album), []byte(in.Title), AppendMeta(nil, &in)}
	got, err := Decode(append(good, []byte("a future frame")))
	if err != nil || got != in {
		t.Fatalf("Decode = %+v, %v; want %+v", got, err, in)
	}
	for name, frames := range map[string][][]byte{
		"one frame":    {[]byte("the_streets")},
		"three frames": good[:3],
		"binary":       {{0xff}, {0xfe}, {0}, {1}, {2}},
		"bad JSON":     {good[0], good[1], good[2], good[3], []byte("{")},
		"no version":   {good[0], good[1], good[2], good[3], []byte(`{"seq":1}`)},
		"JSON array":   {good[0], good[1], good[2], good[3], []byte(`[1]`)},
	} {
		if _, err := Decode(frames); !errors.Is(err, ErrForeign) {
			t.Errorf("%s: Decode err = %v, want ErrForeign", name, err)
		}
	}
}

// TestUnknownDurationLeftOut: duration_ms and pace are left out when
// there is nothing to say, as a client of an older publisher sees them.
func TestUnknownDurationLeftOut(t *testing.T) {
	in := sample()
	in.DurationMS, in.Pace = 0, ""
	b := AppendMeta(nil, &in)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"duration_ms", "pace"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s: %q present", b, k)
		}
	}
}

// TestCover: a track's cover ID is frame 4's last field, left out when
// there is none, and comes back from Decode on both of its paths.
func TestCover(t *testing.T) {
	in := sample()
	if b := AppendMeta(nil, &in); bytes.Contains(b, []byte(`"cover"`)) {
		t.Errorf("no cover, but frame 4 is %s", b)
	}
	in.Cover = "0123456789abcdef"
	in.Path = "Sigur Rós/Takk/01 Glósóli.mp3" // no escapes: the fast path reads it
	b := AppendMeta(nil, &in)
	if !bytes.HasSuffix(b, []byte(`,"station":"living room","duration_ms":394227,"pace":"real","cover":"0123456789abcdef"}`)) {
		t.Errorf("frame 4 is %s", b)
	}
	var quick meta
	if !quickMeta(b, &quick) || quick.Cover != in.Cover {
		t.Errorf("the fast path read %+v", quick)
	}
	got, err := Decode([][]byte{[]byte(in.Topic), []byte(in.Artist), []byte(in.Album), []byte(in.Title), b})
	if err != nil || got != in {
		t.Errorf("Decode = %+v, %v; want %+v", got, err, in)
	}
}

// FuzzDecode: any frames decode to a track or ErrForeign, never a panic.
func FuzzDecode(f *testing.F) {
	in := sample()
	f.Add([]byte(in.Topic), []byte(in.Artist), []byte(in.Album), []byte(in.Title), AppendMeta(nil, &in))
	f.Add([]byte{}, []byte{}, []byte{}, []byte{}, []byte(`{"v":1}`))
	f.Add([]byte{0xff}, []byte{0}, []byte{}, []byte{}, []byte(`{"v":1e400}`))
	f.Fuzz(func(t *testing.T, a, b, c, d, e []byte) {
		tr, err := Decode([][]byte{a, b, c, d, e})
		if err != nil {
			if !errors.Is(err, ErrForeign) {
				t.Fatalf("error %v is not ErrForeign", err)
			}
			return
		}
		// What decodes re-encodes to valid JSON.
		if !json.Valid(AppendMeta(nil, &tr)) {
			t.Fatalf("re-encoding %+v is not JSON", tr)
		}
	})
}
