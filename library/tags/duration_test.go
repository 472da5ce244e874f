package tags

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// needEncoders skips the test, or fails it under CI, when a writer is
// missing.
func needEncoders(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing " + strings.Join(missing, ", ") + ": apt-get install -y ffmpeg flac vorbis-tools opus-tools"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestDurationOfRealFiles reads the duration of files that real encoders
// wrote, and checks it against ffprobe's within one frame of the codec.
func TestDurationOfRealFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs encoders")
	}
	needEncoders(t, "ffmpeg", "ffprobe", "flac", "oggenc", "opusenc")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	run := func(name string, args ...string) {
		t.Helper()
		if out, err := exec.CommandContext(ctx, name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	in := func(name string) string { return filepath.Join(dir, name) }
	// A tone of an odd length, so that no duration comes out round.
	tone := func(hz int) []string {
		return []string{"-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3.71:sample_rate=" + strconv.Itoa(hz)}
	}
	run("ffmpeg", append(tone(44100), "-ac", "2", in("tone.wav"))...)
	cover := in("cover.png")
	run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=400x400", "-frames:v", "1", cover)

	mp3Frame := 1152 * time.Second / 44100
	for _, tc := range []struct {
		file  string
		make  func(out string)
		frame time.Duration // ffprobe and the reader may differ by this much
	}{
		{"cbr-info.mp3", func(out string) { run("ffmpeg", append(tone(44100), "-b:a", "128k", out)...) }, mp3Frame},
		{"vbr-xing.mp3", func(out string) { run("ffmpeg", append(tone(44100), "-q:a", "4", out)...) }, mp3Frame},
		{"cbr-no-xing.mp3", func(out string) { run("ffmpeg", append(tone(44100), "-b:a", "96k", "-write_xing", "0", out)...) }, mp3Frame},
		{"mpeg2.mp3", func(out string) { run("ffmpeg", append(tone(22050), "-b:a", "64k", out)...) }, 576 * time.Second / 22050},
		{"cover-and-v1.mp3", func(out string) {
			run("ffmpeg", append(tone(44100), "-i", cover, "-map", "0:a", "-map", "1:v", "-b:a", "160k", "-write_xing", "0",
				"-id3v2_version", "3", "-write_id3v1", "1", "-metadata", "title=T", "-metadata", "artist=A", out)...)
		}, mp3Frame},
		{"tone.flac", func(out string) { run("flac", "--silent", "-f", "-o", out, in("tone.wav")) }, 0},
		{"tone.oga", func(out string) { run("flac", "--silent", "--ogg", "-f", "-o", out, in("tone.wav")) }, 0},
		{"tone.ogg", func(out string) { run("oggenc", "--quiet", "-t", "T", "-o", out, in("tone.wav")) }, time.Millisecond},
		{"tone.opus", func(out string) { run("opusenc", "--quiet", "--title", "T", in("tone.wav"), out) }, 20 * time.Millisecond},
		{"tone.m4a", func(out string) { run("ffmpeg", append(tone(44100), "-c:a", "aac", "-b:a", "96k", out)...) }, 1024 * time.Second / 44100},
		{"tone.wav", func(string) {}, time.Millisecond},
		{"tone.aiff", func(out string) {
			run("ffmpeg", append(tone(44100), "-write_id3v2", "1", "-metadata", "title=T", out)...)
		}, time.Millisecond},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := in(tc.file)
			tc.make(p)
			out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", p).Output()
			if err != nil {
				t.Fatalf("ffprobe %s: %v", tc.file, err)
			}
			secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			if err != nil {
				t.Fatalf("ffprobe %s: duration %q", tc.file, out)
			}
			want := time.Duration(secs * float64(time.Second))
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			tg, err := Read(f, fi.Size())
			if err != nil && err != ErrNoTag {
				t.Fatalf("Read: %v", err)
			}
			if d := tg.Duration - want; d < -tc.frame-time.Millisecond || d > tc.frame+time.Millisecond {
				t.Errorf("duration %v, ffprobe says %v: more than a frame (%v) apart", tg.Duration, want, tc.frame)
			} else {
				t.Logf("duration %v, ffprobe says %v", tg.Duration, want)
			}
		})
	}
}

func be32of(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// TestDurationHeaders checks the headers that no encoder here writes, and
// files that give no duration.
func TestDurationHeaders(t *testing.T) {
	// A VBRI header (Fraunhofer's encoders): the frame count at offset 14
	// of the header, 32 bytes after the first frame's.
	vbri := librarytest.Audio{Frames: 10, Bitrate: 128, Stereo: true}.Append(nil)
	copy(vbri[36:], "VBRI\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00")
	binary.BigEndian.PutUint32(vbri[36+14:], 1000)

	for _, tc := range []struct {
		name string
		data []byte
		want time.Duration
	}{
		{"VBRI", vbri, 1000 * 1152 * time.Second / 44100},
		{"Info", librarytest.Audio{Frames: 500, Bitrate: 128, Stereo: true, Info: true}.Append(nil), 500 * 1152 * time.Second / 44100},
		// 128 kbit/s: 16,000 bytes a second; the ID3v1 and APEv2 tags are
		// not audio.
		{"CBR with ID3v1 and APEv2", cat(audio(32000), apeTag("Title", "T"), librarytest.ID3v1{Title: "V1", Genre: 255}.Append(nil)), 2 * time.Second},
		{"FLAC of unknown length", librarytest.FLAC(0, "TITLE=F"), 0},
		// No duration in mvhd: the sound track's mdhd, version 1, 44.1 kHz.
		{"MP4 mdhd", cat(librarytest.Atom("ftyp", []byte("M4A \x00\x00\x00\x00")), librarytest.Atom("moov",
			librarytest.Atom("mvhd", make([]byte, 100)),
			librarytest.Atom("trak", librarytest.Atom("mdia", librarytest.Atom("hdlr", make([]byte, 8), []byte("vide"), make([]byte, 12)),
				librarytest.Atom("mdhd", []byte{0}, make([]byte, 11), be32of(600), be32of(1200)))),
			librarytest.Atom("trak", librarytest.Atom("mdia", librarytest.Atom("hdlr", make([]byte, 8), []byte("soun"), make([]byte, 12)),
				librarytest.Atom("mdhd", []byte{1}, make([]byte, 19), be32of(44100), binary.BigEndian.AppendUint64(nil, 3*44100+22050)))))),
			3500 * time.Millisecond},
		{"not audio", librarytest.Tag(3, "TIT2", "Only a tag"), 0},
		{"WAV whose data size was not set", cat([]byte("RIFF\x00\x00\x00\x00WAVE"),
			chunk("fmt ", []byte("\x01\x00\x02\x00\x44\xac\x00\x00\x10\xb1\x02\x00\x04\x00\x10\x00"), false),
			[]byte("data\xff\xff\xff\xff"), make([]byte, 176400)), time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil && err != ErrNoTag {
				t.Fatalf("Read: %v", err)
			}
			if got.Duration != tc.want {
				t.Errorf("duration %v, want %v", got.Duration, tc.want)
			}
		})
	}
}
