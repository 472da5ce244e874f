package librarytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// TestDecoders has ffprobe and mpg123 read every file, where they are
// installed: both must accept it without complaint, and ffprobe must find
// one 44.1 kHz MP3 stream of 2 to 4 seconds and, for ID3v2 files, the tagged
// artist and title, and the cover picture, a JPEG, where there is one.
func TestDecoders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs external decoders")
	}
	dir := t.TempDir()
	if err := librarytest.Write(dir); err != nil {
		t.Fatalf("Write: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	t.Run("ffprobe", func(t *testing.T) {
		if _, err := exec.LookPath("ffprobe"); err != nil {
			t.Skip("ffprobe is not installed")
		}
		for _, f := range librarytest.Files() {
			out, err := quiet(ctx, "ffprobe", "-v", "error", "-of", "json",
				"-show_entries", "stream=codec_name,sample_rate:format=duration:format_tags=artist,title",
				filepath.Join(dir, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Errorf("%s: %v", f.Path, err)
				continue
			}
			var probe struct {
				Streams []struct {
					CodecName  string `json:"codec_name"`
					SampleRate string `json:"sample_rate"`
				}
				Format struct {
					Duration string
					Tags     struct{ Artist, Title string }
				}
			}
			if err := json.Unmarshal(out, &probe); err != nil {
				t.Errorf("%s: %v", f.Path, err)
				continue
			}
			// A front cover is a stream of its own to ffmpeg: a JPEG it
			// decodes (an "attached picture").
			streams := 1
			if f.Picture != "" {
				streams = 2
				if len(probe.Streams) != 2 || probe.Streams[1].CodecName != "mjpeg" {
					t.Errorf("%s: streams %+v, want the mp3 and its cover, mjpeg", f.Path, probe.Streams)
				}
			}
			if len(probe.Streams) != streams || probe.Streams[0].CodecName != "mp3" || probe.Streams[0].SampleRate != "44100" {
				t.Errorf("%s: streams %+v, want one 44100 Hz mp3", f.Path, probe.Streams)
			}
			if d, err := strconv.ParseFloat(probe.Format.Duration, 64); err != nil || d < 2 || d > 4.01 {
				t.Errorf("%s: duration %q, want 2 to 4 s", f.Path, probe.Format.Duration)
			}
			if f.Tag != librarytest.ID3v1Only && f.Tag != librarytest.NoTag &&
				(probe.Format.Tags.Artist != f.Artist || probe.Format.Tags.Title != f.Title) {
				t.Errorf("%s: ffprobe reads %q by %q, want %q by %q", f.Path, probe.Format.Tags.Title, probe.Format.Tags.Artist, f.Title, f.Artist)
			}
		}
	})

	t.Run("ffprobe images", func(t *testing.T) {
		if _, err := exec.LookPath("ffprobe"); err != nil {
			t.Skip("ffprobe is not installed")
		}
		for _, im := range librarytest.Images() {
			out, err := quiet(ctx, "ffprobe", "-v", "error", "-of", "csv=p=0", "-show_entries", "stream=codec_name,width,height",
				filepath.Join(dir, filepath.FromSlash(im.Path)))
			if got := string(bytes.TrimSpace(out)); err != nil || got != "mjpeg,320,320" {
				t.Errorf("%s: ffprobe reads %q, %v; want a 320×320 JPEG", im.Path, got, err)
			}
		}
	})

	t.Run("mpg123", func(t *testing.T) {
		if _, err := exec.LookPath("mpg123"); err != nil {
			t.Skip("mpg123 is not installed")
		}
		// mpg123 resyncs past a broken frame even with --no-resync and
		// says so only at its default verbosity, between its banner and
		// progress lines, so look for its complaints there.
		complaint := regexp.MustCompile(`(?i)note:|warning:|error|frankenstein`)
		for _, f := range librarytest.Files() {
			cmd := exec.CommandContext(ctx, "mpg123", "-t", filepath.Join(dir, filepath.FromSlash(f.Path)))
			out, err := cmd.CombinedOutput()
			if err != nil || complaint.Match(out) {
				t.Errorf("%s: mpg123 -t: %v\n%s", f.Path, err, out)
			}
		}
	})
}

// quiet runs a command and returns its stdout, or an error if it fails or
// writes to stderr.
func quiet(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		return nil, fmt.Errorf("%s: %v, stderr %q", name, err, stderr.String())
	}
	return stdout.Bytes(), nil
}
