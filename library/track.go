package library

import "time"

// Track is one audio file of the library: its tags, completed from the path
// where a tag is missing.
type Track struct {
	Path        string // relative to the library root, slash-separated; opens with fsys.Open
	Artist      string
	AlbumArtist string // empty when the file does not say
	Album       string
	Title       string
	Genre       string
	TrackNo     int // 0 when unknown
	Disc        int // 0 when unknown
	Year        int // 0 when unknown
	// Duration is the audio's length, as its headers give it; 0 when
	// unknown.
	Duration time.Duration

	// Cover is the track's cover art, if its file or its folder has any.
	Cover Cover
}
