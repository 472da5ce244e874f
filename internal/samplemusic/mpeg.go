package samplemusic

import "encoding/binary"

// Every sample file is MPEG-1 Layer III at 44.1 kHz and 64 kbit/s, so every
// frame is 208 or 209 bytes long and lasts 1152 samples (about 26 ms).
const (
	sampleRate      = 44100
	bitrate         = 64000
	bitrateIndex    = 5 // 64 kbit/s in the MPEG-1 Layer III bitrate table
	samplesPerFrame = 1152

	// frameSlots is the unpadded frame length in bytes; frameRemainder
	// says how often a frame needs the padding byte to keep the bitrate.
	frameSlots     = samplesPerFrame / 8 * bitrate / sampleRate
	frameRemainder = samplesPerFrame / 8 * bitrate % sampleRate

	// toneGain is the global_gain of a tone granule: a quantised value of 1
	// scaled by 2^((toneGain-210)/4), an eighth, which decodes to a tone
	// that peaks about 18 dB below full scale.
	toneGain = 198
)

// stream describes the audio of one sample file.
type stream struct {
	frames int  // audio frames, not counting the Info frame in front of them
	stereo bool // joint stereo (plain left/right) rather than mono
	line   int  // the MDCT line that carries the tone in every granule
}

// appendStream appends s as MPEG frames: first an Info frame (a silent
// frame that carries the frame count, as LAME writes for CBR files) so
// readers need not estimate the duration, then the audio frames.
func appendStream(dst []byte, s stream) []byte {
	acc := 0
	for i := 0; i <= s.frames; i++ {
		padded := false
		if acc += frameRemainder; acc >= sampleRate {
			acc -= sampleRate
			padded = true
		}
		dst = appendFrame(dst, s, padded, i == 0)
	}
	return dst
}

// appendFrame appends one frame of s, or the Info frame when info is set.
func appendFrame(dst []byte, s stream, padded, info bool) []byte {
	n := frameSlots
	var pad, mode byte = 0, 0b11 // mono
	if padded {
		n++
		pad = 1
	}
	if s.stereo {
		mode = 0b01 // joint stereo, mode extension 0: no M/S, no intensity
	}
	frame := make([]byte, n)
	// Sync, MPEG-1, Layer III, no CRC; bitrate, 44.1 kHz, padding; mode,
	// not copyrighted, original.
	frame[0] = 0xFF
	frame[1] = 0xFB
	frame[2] = bitrateIndex<<4 | pad<<1
	frame[3] = mode<<6 | 1<<2

	channels := 1
	if s.stereo {
		channels = 2
	}
	sideInfoLen := 17
	if s.stereo {
		sideInfoLen = 32
	}
	body := frame[4+sideInfoLen:]

	if info {
		// An all-zero side info is a silent frame; decoders that know
		// the Info tag skip it, the others play 26 ms of silence.
		copy(body, "Info")
		binary.BigEndian.PutUint32(body[4:], 1) // flags: frame count present
		binary.BigEndian.PutUint32(body[8:], uint32(s.frames))
		return append(dst, frame...)
	}

	// Main data: every granule of every channel holds the same one line,
	// so it fits in this frame and main_data_begin stays 0 (no bit
	// reservoir).
	var main bitWriter
	for range 2 * channels {
		appendTone(&main, s.line)
	}
	copy(body, main.buf)
	part23 := main.n / (2 * channels)

	var side bitWriter
	side.write(0, 9) // main_data_begin
	if s.stereo {
		side.write(0, 3) // private bits
		side.write(0, 8) // scfsi, 4 bands per channel
	} else {
		side.write(0, 5)
		side.write(0, 4)
	}
	for range 2 * channels { // granules × channels
		side.write(uint32(part23), 12) // part2_3_length: no scalefactors, only count1
		side.write(0, 9)               // big_values
		side.write(toneGain, 8)        // global_gain
		side.write(0, 4)               // scalefac_compress: slen1 = slen2 = 0
		side.write(0, 1)               // window_switching_flag: long blocks
		side.write(0, 15)              // table_select ×3, unused without big values
		side.write(0, 4)               // region0_count
		side.write(0, 3)               // region1_count
		side.write(0, 1)               // preflag
		side.write(0, 1)               // scalefac_scale
		side.write(1, 1)               // count1table_select: table B
	}
	copy(frame[4:], side.buf)
	return append(dst, frame...)
}

// appendTone writes the Huffman data of one granule whose only non-zero
// quantised value is +1 at MDCT line. All of it is in the count1 region,
// coded with table B, which is a plain 4-bit code: the complement of the
// quadruple's bits, followed by a sign bit per non-zero value. The lines
// after the last quadruple are zero. Lines 0–9 of subband 0 are outside the
// alias-reduction butterflies, so the same line in every granule decodes to
// one steady tone at line × 44100/1152 Hz (38.3 Hz a line; measured with
// ffmpeg, no harmonics above the noise).
func appendTone(w *bitWriter, line int) {
	for range line / 4 {
		w.write(0b1111, 4) // quadruple 0000
	}
	quad := uint32(0b1000) >> (line % 4)
	w.write(^quad&0b1111, 4)
	w.write(0, 1) // sign: positive
}

// bitWriter appends bits most significant first, as MPEG streams are read.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

// write appends the low width bits of v.
func (w *bitWriter) write(v uint32, width int) {
	for i := width - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		if v>>i&1 == 1 {
			w.buf[len(w.buf)-1] |= 0x80 >> (w.n % 8)
		}
		w.n++
	}
}
