package tags

import (
	"errors"
)

// ErrNotAudio is the error of a file that holds no tag and whose bytes are
// not audio either: a text, an image or random bytes under an audio name.
var ErrNotAudio = errors.New("no tag, and not audio")

// looksLikeAudio reports whether head, the start of a file of size bytes
// that holds no tag, is audio: a container's header (FLAC, Ogg, MP4, DSF,
// WAV, AIFF, ASF, APE, WavPack, Musepack) or two MPEG audio frames in a
// row.
func looksLikeAudio(head []byte, size int64) bool {
	for _, m := range []struct {
		at    int
		magic string
	}{
		{0, "fLaC"}, {0, "OggS"}, {4, "ftyp"}, {0, "DSD "}, {8, "WAVE"}, {8, "AIFF"}, {8, "AIFC"},
		{0, "\x30\x26\xb2\x75\x8e\x66\xcf\x11"}, // ASF (WMA)
		{0, "MAC "}, {0, "wvpk"}, {0, "MPCK"}, {0, "MP+"},
	} {
		if len(head) >= m.at+len(m.magic) && string(head[m.at:m.at+len(m.magic)]) == m.magic {
			return true
		}
	}
	return hasMPEGFrames(head, size)
}

// hasMPEGFrames reports whether head (the start of a file of size bytes)
// holds an MPEG audio frame header followed, where the frame ends, by
// another of the same version, layer and sample rate (or by the end of
// the file, or a file that starts with a frame and ends inside it): one
// header alone turns up in random bytes every few KiB, two in step do not.
func hasMPEGFrames(head []byte, size int64) bool {
	_, _, ok := firstFrame(head, size)
	return ok
}

// frameHeader is what hasMPEGFrames and mpegDuration need of an MPEG
// audio frame header.
type frameHeader struct {
	id      uint16 // version, layer and sample rate bits: equal in every frame of a stream
	length  int    // bytes, header included
	kbps    int    // bitrate
	hz      int    // sample rate
	samples int    // per channel in the frame
	side    int    // bytes of side information after the header (layer III), where a Xing header starts
}

var (
	// kbit/s by bitrate index 1-14: MPEG-1 layers I, II, III, then MPEG-2
	// and 2.5 layer I, then layers II and III.
	bitrates = [5][15]int{
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	}
	// Hz by sample rate index, for MPEG-1, 2 and 2.5.
	sampleRates = [3][3]int{{44100, 48000, 32000}, {22050, 24000, 16000}, {11025, 12000, 8000}}
)

// mpegHeader parses the frame header at the start of b.
func mpegHeader(b []byte) (frameHeader, bool) {
	if len(b) < 4 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return frameHeader{}, false
	}
	version := b[1] >> 3 & 3 // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
	layer := b[1] >> 1 & 3   // 3: I, 2: II, 1: III, 0: reserved
	bitrate := int(b[2] >> 4)
	rate := int(b[2] >> 2 & 3)
	if version == 1 || layer == 0 || bitrate == 0 || bitrate == 15 || rate == 3 {
		return frameHeader{}, false // reserved, or free format (no length to check)
	}
	pad := int(b[2] >> 1 & 1)
	var table, v int
	switch {
	case version == 3:
		table = int(3 - layer) // layers I, II, III: tables 0, 1, 2
	case layer == 3:
		table, v = 3, 1
	default:
		table, v = 4, 1
	}
	if version == 0 {
		v = 2
	}
	kbps := bitrates[table][bitrate]
	hz := sampleRates[v][rate]
	var n, samples int
	switch {
	case layer == 3: // layer I: slots of 4 bytes
		n, samples = (12*kbps*1000/hz+pad)*4, 384
	case layer == 1 && version != 3: // layer III, MPEG-2 and 2.5: half the samples
		n, samples = 72*kbps*1000/hz+pad, 576
	default:
		n, samples = 144*kbps*1000/hz+pad, 1152
	}
	side := 0
	if layer == 1 {
		mono := b[3]>>6 == 3
		switch {
		case version == 3 && mono:
			side = 17
		case version == 3:
			side = 32
		case mono:
			side = 9
		default:
			side = 17
		}
	}
	return frameHeader{id: uint16(b[1]&0xfe)<<8 | uint16(b[2]&0x0c), length: n, kbps: kbps, hz: hz,
		samples: samples, side: side}, n > 4
}
