//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trackfeed/trackfeed/library"
	"github.com/trackfeed/trackfeed/library/librarytest"
	"github.com/trackfeed/trackfeed/topics"
	"github.com/trackfeed/trackfeed/wire"
)

// Marker topics: subscribers count what comes between the two.
const (
	warmupTopic = "_warmup"
	endTopic    = "_end"
	// markerPrefix is what a subscriber to part of the feed subscribes to
	// as well, for the markers.
	markerPrefix = "_"
)

// halfPrefix is what half of the tree's subscribers take (issue 13): 13 of
// the 40 sample tracks.
const halfPrefix = "the_"

// sampleTracks is the demo library's catalogue (sample-music), in path
// order, which both publishers play in a loop.
func sampleTracks() []library.Track {
	var out []library.Track
	for _, f := range librarytest.Files() {
		out = append(out, library.Track{
			Path: f.Path, Artist: f.Artist, AlbumArtist: f.AlbumArtist, Album: f.Album,
			Title: f.Title, Genre: f.Genre, TrackNo: f.TrackNo, Disc: f.Disc, Year: f.Year,
		})
	}
	slices.SortFunc(out, func(a, b library.Track) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// writeTracks writes tracks to path for zmqpeer.c and the publisher child:
// one a line, tab-separated (topic, artist, album, title, path, track,
// disc, year, genre, album_artist).
func writeTracks(path string, tracks []library.Track) error {
	var b strings.Builder
	for _, t := range tracks {
		fields := []string{topics.Slug(t.Artist), t.Artist, t.Album, t.Title, t.Path,
			strconv.Itoa(t.TrackNo), strconv.Itoa(t.Disc), strconv.Itoa(t.Year), t.Genre, t.AlbumArtist}
		for _, f := range fields {
			if strings.ContainsAny(f, "\t\n") {
				return fmt.Errorf("track %s: a field holds a tab or newline", t.Path)
			}
		}
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readTracks reads what writeTracks wrote.
func readTracks(path string) ([]library.Track, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []library.Track
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 10 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 10", path, line, len(fs))
		}
		var n [3]int
		for i := range n {
			if n[i], err = strconv.Atoi(fs[5+i]); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
		}
		out = append(out, library.Track{Artist: fs[1], Album: fs[2], Title: fs[3], Path: fs[4],
			TrackNo: n[0], Disc: n[1], Year: n[2], Genre: fs[8], AlbumArtist: fs[9]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no tracks", path)
	}
	return out, nil
}

// wireTrack is t as the publisher sends it, under topic.
func wireTrack(topic string, t library.Track, seq uint64) *wire.Track {
	return &wire.Track{
		Topic: topic, Artist: t.Artist, Album: t.Album, Title: t.Title,
		Version: wire.Version, Seq: seq, Sent: time.Now().UTC(), Path: t.Path,
		TrackNo: t.TrackNo, Disc: t.Disc, Year: t.Year, Genre: t.Genre, AlbumArtist: t.AlbumArtist,
	}
}

// meanWireBytes is the mean size of a message of tracks on the wire, ZMTP
// frame headers included, with a six-digit seq.
func meanWireBytes(tracks []library.Track) float64 {
	total := 0
	for _, t := range tracks {
		total += len(wire.Encode(wireTrack(topics.Slug(t.Artist), t, 123456)))
	}
	return float64(total) / float64(len(tracks))
}
