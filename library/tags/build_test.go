package tags

import (
	"bytes"
	"math/rand/v2"
	"strings"

	"github.com/trackfeed/trackfeed/library/librarytest"
)

// The tests build their files with librarytest, and these few that only a
// test would write.

// audio is n bytes of MPEG audio, which hold no tag.
func audio(n int) []byte { return librarytest.Silence(n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// bytes8 returns n empty MP4 atoms of the given name.
func bytes8(name string, n int) []byte {
	return []byte(strings.Repeat("\x00\x00\x00\x08"+name, n))
}

// randomBytes returns n random bytes, the same for the same n.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{}).Read(b)
	return b
}

// hugeFrame is an MP3 whose tag holds a frame that claims 0x7FFFFFFF
// bytes, in front of 1 MiB of audio.
var hugeFrame = cat(librarytest.ID3v2Header(3, 100), []byte("TIT2\x7f\xff\xff\xff\x00\x00\x00Hi"), make([]byte, 87),
	audio(1<<20))
