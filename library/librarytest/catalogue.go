package librarytest

import "strconv"

// TagKind says how a sample file is tagged.
type TagKind int

// The tag kinds, each used by at least three files.
const (
	ID3v23Latin1 TagKind = iota // ID3v2.3, text in ISO-8859-1 (encoding 0)
	ID3v23UTF16                 // ID3v2.3, text in UTF-16 with a little-endian BOM (encoding 1)
	ID3v24UTF8                  // ID3v2.4, text in UTF-8 (encoding 3)
	ID3v24UTF16                 // ID3v2.4, text in UTF-16 with a big-endian BOM (encoding 1)
	ID3v1Only                   // ID3v1.1 (track number in the comment) and no ID3v2
	NoTag                       // no tag at all: only the path says anything
)

// String returns the kind's name as it appears in test output.
func (k TagKind) String() string {
	switch k {
	case ID3v23Latin1:
		return "ID3v2.3/ISO-8859-1"
	case ID3v23UTF16:
		return "ID3v2.3/UTF-16"
	case ID3v24UTF8:
		return "ID3v2.4/UTF-8"
	case ID3v24UTF16:
		return "ID3v2.4/UTF-16"
	case ID3v1Only:
		return "ID3v1.1"
	case NoTag:
		return "no tag"
	}
	return "TagKind(" + strconv.Itoa(int(k)) + ")"
}

// File is one file of the sample library: where it lives, how it is tagged,
// and what a correct scan of it must find.
//
// For tagged files the text fields are exactly what the tag holds. ID3v1
// holds ISO-8859-1 in 30-byte fields, so its text is given decoded (a raw
// reader returns "M\xf6tley Cr\xfce" for "Mötley Crüe") and a title may be
// shorter than the one in the path. For NoTag files they are what the path gives:
// Artist/Album/NN Title.mp3, NN - Title.mp3 or NN_Title.mp3. A field the file
// cannot give is empty or 0: ID3v1 has no album artist and no disc, and an
// untagged file has neither, nor a genre or a year.
type File struct {
	Path string // relative, slash-separated: Artist/Album/NN Title.mp3
	Tag  TagKind

	Artist, AlbumArtist, Album, Title, Genre string
	TrackNo, Disc, Year                      int

	// TrackTotal and DiscTotal are the "of N" halves of TRCK ("3/10") and
	// TPOS ("1/2"); 0 writes the number alone. Only ID3v2 uses them.
	TrackTotal, DiscTotal int

	// Picture, if not "", is the front cover that the file's ID3v2 tag
	// holds in an APIC frame: the name of one of Pictures.
	Picture string
}

// Files returns the catalogue in a fixed order: a fresh slice each call, so
// callers may sort or change it.
func Files() []File {
	return append([]File(nil), catalogue...)
}

// Image is an image file of the sample library: a folder's cover art.
type Image struct {
	Path    string // relative, slash-separated: Artist/Album/cover.jpg
	Picture string // the name of one of Pictures
}

// Images returns the image files of the sample library, in a fresh slice.
func Images() []Image {
	return append([]Image(nil), images...)
}

// images are the sample library's folder images. Corner Shop Chronicles
// has its cover in its files' tags instead (File.Picture); the other
// albums have none, and show how a page does without.
var images = []Image{
	{Path: "Sigur Rós/Hafgola/cover.jpg", Picture: "hafgola.jpg"},
}

// catalogue is the sample library. Album and track titles are invented.
var catalogue = []File{
	// ID3v2.3, ISO-8859-1.
	{Path: "The Streets/Corner Shop Chronicles/01 Bus Stop Philosophy.mp3", Tag: ID3v23Latin1, Artist: "The Streets", AlbumArtist: "The Streets", Album: "Corner Shop Chronicles", Title: "Bus Stop Philosophy", Genre: "Hip-Hop", TrackNo: 1, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 2004, Picture: "corner-shop-chronicles.jpg"},
	{Path: "The Streets/Corner Shop Chronicles/02 Chips at Midnight.mp3", Tag: ID3v23Latin1, Artist: "The Streets", AlbumArtist: "The Streets", Album: "Corner Shop Chronicles", Title: "Chips at Midnight", Genre: "Hip-Hop", TrackNo: 2, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 2004, Picture: "corner-shop-chronicles.jpg"},
	{Path: "The Streets/Corner Shop Chronicles/03 Forty Quid Tuesday.mp3", Tag: ID3v23Latin1, Artist: "The Streets", AlbumArtist: "The Streets", Album: "Corner Shop Chronicles", Title: "Forty Quid Tuesday", Genre: "Hip-Hop", TrackNo: 3, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 2004, Picture: "corner-shop-chronicles.jpg"},
	{Path: "Motörhead/Iron Weather/01 Engine Smoke.mp3", Tag: ID3v23Latin1, Artist: "Motörhead", Album: "Iron Weather", Title: "Engine Smoke", Genre: "Metal", TrackNo: 1, Year: 1983},
	{Path: "Motörhead/Iron Weather/02 Rattlesnake Highway.mp3", Tag: ID3v23Latin1, Artist: "Motörhead", Album: "Iron Weather", Title: "Rattlesnake Highway", Genre: "Metal", TrackNo: 2, Year: 1983},
	{Path: "Motörhead/Iron Weather/03 Loud Until Dawn.mp3", Tag: ID3v23Latin1, Artist: "Motörhead", Album: "Iron Weather", Title: "Loud Until Dawn", Genre: "Metal", TrackNo: 3, Year: 1983},

	// ID3v2.3, UTF-16. Sigur Rós has no year; The Beatles span two discs.
	{Path: "Sigur Rós/Hafgola/01 Snjóbráð.mp3", Tag: ID3v23UTF16, Artist: "Sigur Rós", AlbumArtist: "Sigur Rós", Album: "Hafgola", Title: "Snjóbráð", Genre: "Post-Rock", TrackNo: 1, TrackTotal: 3, Disc: 1, DiscTotal: 1},
	{Path: "Sigur Rós/Hafgola/02 Fjörusteinar.mp3", Tag: ID3v23UTF16, Artist: "Sigur Rós", AlbumArtist: "Sigur Rós", Album: "Hafgola", Title: "Fjörusteinar", Genre: "Post-Rock", TrackNo: 2, TrackTotal: 3, Disc: 1, DiscTotal: 1},
	{Path: "Sigur Rós/Hafgola/03 Hægur vindur.mp3", Tag: ID3v23UTF16, Artist: "Sigur Rós", AlbumArtist: "Sigur Rós", Album: "Hafgola", Title: "Hægur vindur", Genre: "Post-Rock", TrackNo: 3, TrackTotal: 3, Disc: 1, DiscTotal: 1},
	{Path: "The Beatles/Orchard Lane Sessions/1-01 Morning Tram.mp3", Tag: ID3v23UTF16, Artist: "The Beatles", AlbumArtist: "The Beatles", Album: "Orchard Lane Sessions", Title: "Morning Tram", Genre: "Rock", TrackNo: 1, TrackTotal: 2, Disc: 1, DiscTotal: 2, Year: 1968},
	{Path: "The Beatles/Orchard Lane Sessions/1-02 Letters to Margaret.mp3", Tag: ID3v23UTF16, Artist: "The Beatles", AlbumArtist: "The Beatles", Album: "Orchard Lane Sessions", Title: "Letters to Margaret", Genre: "Rock", TrackNo: 2, TrackTotal: 2, Disc: 1, DiscTotal: 2, Year: 1968},
	{Path: "The Beatles/Orchard Lane Sessions/2-01 Paper Lantern Parade.mp3", Tag: ID3v23UTF16, Artist: "The Beatles", AlbumArtist: "The Beatles", Album: "Orchard Lane Sessions", Title: "Paper Lantern Parade", Genre: "Rock", TrackNo: 1, TrackTotal: 2, Disc: 2, DiscTotal: 2, Year: 1968},
	{Path: "The Beatles/Orchard Lane Sessions/2-02 Biscuit Tin Blues.mp3", Tag: ID3v23UTF16, Artist: "The Beatles", AlbumArtist: "The Beatles", Album: "Orchard Lane Sessions", Title: "Biscuit Tin Blues", Genre: "Rock", TrackNo: 2, TrackTotal: 2, Disc: 2, DiscTotal: 2, Year: 1968},

	// ID3v2.4, UTF-8. AC/DC's folder cannot hold the slash; its tag does,
	// and so does one title. The compilation has one artist per track.
	{Path: "The National/Quiet Engines/01 Brooklyn Fog.mp3", Tag: ID3v24UTF8, Artist: "The National", Album: "Quiet Engines", Title: "Brooklyn Fog", Genre: "Indie Rock", TrackNo: 1, TrackTotal: 3, Year: 2010},
	{Path: "The National/Quiet Engines/02 Velvet Commute.mp3", Tag: ID3v24UTF8, Artist: "The National", Album: "Quiet Engines", Title: "Velvet Commute", Genre: "Indie Rock", TrackNo: 2, TrackTotal: 3, Year: 2010},
	{Path: "The National/Quiet Engines/03 Small Hours Again.mp3", Tag: ID3v24UTF8, Artist: "The National", Album: "Quiet Engines", Title: "Small Hours Again", Genre: "Indie Rock", TrackNo: 3, TrackTotal: 3, Year: 2010},
	{Path: "AC_DC/Copper Thunder/01 Amplifier Heart.mp3", Tag: ID3v24UTF8, Artist: "AC/DC", AlbumArtist: "AC/DC", Album: "Copper Thunder", Title: "Amplifier Heart", Genre: "Hard Rock", TrackNo: 1, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1979},
	{Path: "AC_DC/Copper Thunder/02 Twelve Bar Stampede.mp3", Tag: ID3v24UTF8, Artist: "AC/DC", AlbumArtist: "AC/DC", Album: "Copper Thunder", Title: "Twelve Bar Stampede", Genre: "Hard Rock", TrackNo: 2, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1979},
	{Path: "AC_DC/Copper Thunder/03 Volts_Amps.mp3", Tag: ID3v24UTF8, Artist: "AC/DC", AlbumArtist: "AC/DC", Album: "Copper Thunder", Title: "Volts/Amps", Genre: "Hard Rock", TrackNo: 3, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1979},
	{Path: "Various Artists/Night Drive Radio/01 Harbour Lights Dub.mp3", Tag: ID3v24UTF8, Artist: "Portishead", AlbumArtist: "Various Artists", Album: "Night Drive Radio", Title: "Harbour Lights Dub", Genre: "Electronic", TrackNo: 1, TrackTotal: 4, Disc: 1, DiscTotal: 1, Year: 2001},
	{Path: "Various Artists/Night Drive Radio/02 Signal Mast.mp3", Tag: ID3v24UTF8, Artist: "Kraftwerk", AlbumArtist: "Various Artists", Album: "Night Drive Radio", Title: "Signal Mast", Genre: "Electronic", TrackNo: 2, TrackTotal: 4, Disc: 1, DiscTotal: 1, Year: 2001},
	{Path: "Various Artists/Night Drive Radio/03 Northern Static.mp3", Tag: ID3v24UTF8, Artist: "Röyksopp", AlbumArtist: "Various Artists", Album: "Night Drive Radio", Title: "Northern Static", Genre: "Electronic", TrackNo: 3, TrackTotal: 4, Disc: 1, DiscTotal: 1, Year: 2001},
	{Path: "Various Artists/Night Drive Radio/04 Chrome Halo.mp3", Tag: ID3v24UTF8, Artist: "Beyoncé", AlbumArtist: "Various Artists", Album: "Night Drive Radio", Title: "Chrome Halo", Genre: "Electronic", TrackNo: 4, TrackTotal: 4, Disc: 1, DiscTotal: 1, Year: 2001},

	// ID3v2.4, UTF-16. The Cure's third title makes a frame of more than
	// 127 bytes, whose synchsafe size is not its plain size.
	{Path: "The Cure/Paper Moths/01 Lantern Rain.mp3", Tag: ID3v24UTF16, Artist: "The Cure", AlbumArtist: "The Cure", Album: "Paper Moths", Title: "Lantern Rain", Genre: "Post-Punk", TrackNo: 1, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1989},
	{Path: "The Cure/Paper Moths/02 Spider Silk Waltz.mp3", Tag: ID3v24UTF16, Artist: "The Cure", AlbumArtist: "The Cure", Album: "Paper Moths", Title: "Spider Silk Waltz", Genre: "Post-Punk", TrackNo: 2, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1989},
	{Path: "The Cure/Paper Moths/03 Café Somnambule (Long Version Recorded at the Seaside Ballroom).mp3", Tag: ID3v24UTF16, Artist: "The Cure", AlbumArtist: "The Cure", Album: "Paper Moths", Title: "Café Somnambule (Long Version Recorded at the Seaside Ballroom)", Genre: "Post-Punk", TrackNo: 3, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1989},
	{Path: "坂本龍一/静かな海/01 朝の光.mp3", Tag: ID3v24UTF16, Artist: "坂本龍一", AlbumArtist: "坂本龍一", Album: "静かな海", Title: "朝の光", Genre: "Ambient", TrackNo: 1, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1996},
	{Path: "坂本龍一/静かな海/02 雨の駅.mp3", Tag: ID3v24UTF16, Artist: "坂本龍一", AlbumArtist: "坂本龍一", Album: "静かな海", Title: "雨の駅", Genre: "Ambient", TrackNo: 2, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1996},
	{Path: "坂本龍一/静かな海/03 遠い灯台.mp3", Tag: ID3v24UTF16, Artist: "坂本龍一", AlbumArtist: "坂本龍一", Album: "静かな海", Title: "遠い灯台", Genre: "Ambient", TrackNo: 3, TrackTotal: 3, Disc: 1, DiscTotal: 1, Year: 1996},

	// ID3v1.1 only: ISO-8859-1 in 30-byte fields, so Radiohead's third
	// title is cut short, and Mötley Crüe's name holds bytes above 0x7F.
	{Path: "Radiohead/Signal Fires/01 Static Orchard.mp3", Tag: ID3v1Only, Artist: "Radiohead", Album: "Signal Fires", Title: "Static Orchard", Genre: "Alternative", TrackNo: 1, Year: 1997},
	{Path: "Radiohead/Signal Fires/02 Glass Elevator Hymn.mp3", Tag: ID3v1Only, Artist: "Radiohead", Album: "Signal Fires", Title: "Glass Elevator Hymn", Genre: "Alternative", TrackNo: 2, Year: 1997},
	{Path: "Radiohead/Signal Fires/03 The Weather Inside The Machine Room.mp3", Tag: ID3v1Only, Artist: "Radiohead", Album: "Signal Fires", Title: "The Weather Inside The Machine", Genre: "Alternative", TrackNo: 3, Year: 1997},
	{Path: "Mötley Crüe/Neon Gasoline/01 Chrome Heels.mp3", Tag: ID3v1Only, Artist: "Mötley Crüe", Album: "Neon Gasoline", Title: "Chrome Heels", Genre: "Hard Rock", TrackNo: 1, Year: 1985},
	{Path: "Mötley Crüe/Neon Gasoline/02 Sunset Strip Static.mp3", Tag: ID3v1Only, Artist: "Mötley Crüe", Album: "Neon Gasoline", Title: "Sunset Strip Static", Genre: "Hard Rock", TrackNo: 2, Year: 1985},

	// No tag: the three file name shapes a path fallback must read.
	{Path: "Björk/Glacier Songs/01 Tundra Light.mp3", Tag: NoTag, Artist: "Björk", Album: "Glacier Songs", Title: "Tundra Light", TrackNo: 1},
	{Path: "Björk/Glacier Songs/02 Moss Telephone.mp3", Tag: NoTag, Artist: "Björk", Album: "Glacier Songs", Title: "Moss Telephone", TrackNo: 2},
	{Path: "Daft Punk/Silver Circuitry/01 - Neon Relay.mp3", Tag: NoTag, Artist: "Daft Punk", Album: "Silver Circuitry", Title: "Neon Relay", TrackNo: 1},
	{Path: "Daft Punk/Silver Circuitry/02 - Robot Lullaby.mp3", Tag: NoTag, Artist: "Daft Punk", Album: "Silver Circuitry", Title: "Robot Lullaby", TrackNo: 2},
	{Path: "Nirvana/Rust Belt Demos/01_Flannel.mp3", Tag: NoTag, Artist: "Nirvana", Album: "Rust Belt Demos", Title: "Flannel", TrackNo: 1},
	{Path: "Nirvana/Rust Belt Demos/02_Sawdust.mp3", Tag: NoTag, Artist: "Nirvana", Album: "Rust Belt Demos", Title: "Sawdust", TrackNo: 2},
}
