package librarytest

import "encoding/binary"

// Audio is MPEG-1 Layer III audio at 44.1 kHz: a stream of frames of
// 1152 samples (about 26 ms) each.
type Audio struct {
	Frames  int  // audio frames, not counting the Info frame
	Bitrate int  // in kbit/s, one of the Layer III bitrates from 32 to 320
	Stereo  bool // joint stereo (plain left/right) rather than mono

	// Tone is the MDCT line that carries a steady tone in every granule,
	// line × 44100/1152 Hz (38.3 Hz a line); 0 makes the frames silent.
	Tone int

	// Info puts an Info frame in front of the audio: a silent frame that
	// carries the frame count, as LAME writes for CBR files, so that
	// readers need not estimate the duration.
	Info bool

	// Pad adds the padding byte to the frames that need it to keep the
	// bitrate exact; without it every frame is rounded down.
	Pad bool
}

const (
	sampleRate      = 44100
	samplesPerFrame = 1152

	// toneGain is the global_gain of a tone granule: a quantised value of 1
	// scaled by 2^((toneGain-210)/4), an eighth, which decodes to a tone
	// that peaks about 18 dB below full scale.
	toneGain = 198
)

// bitrateIndex returns the index of a Layer III bitrate in kbit/s, as a
// frame header holds it.
func bitrateIndex(kbps int) byte {
	for i, r := range [...]int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320} {
		if r == kbps {
			return byte(i + 1)
		}
	}
	panic("librarytest: no MPEG-1 Layer III bitrate of that many kbit/s")
}

// Append appends the stream's frames to dst.
func (a Audio) Append(dst []byte) []byte {
	// A frame holds 1152/8 bytes at the bitrate, in whole bytes (slots).
	size := samplesPerFrame / 8 * a.Bitrate * 1000
	slots, remainder := size/sampleRate, size%sampleRate
	acc, first := 0, 1
	if a.Info {
		first = 0
	}
	for i := first; i <= a.Frames; i++ {
		padded := false
		if acc += remainder; a.Pad && acc >= sampleRate {
			acc -= sampleRate
			padded = true
		}
		dst = a.appendFrame(dst, slots, padded, i == 0)
	}
	return dst
}

// Silence returns n bytes of silent 128 kbit/s joint stereo frames, the
// last one cut short: audio that holds no tag, for a test that wants a file
// of a given size.
func Silence(n int) []byte {
	a := Audio{Frames: n/417 + 1, Bitrate: 128, Stereo: true}
	return a.Append(nil)[:n]
}

// appendFrame appends one frame of slots bytes, one more if padded, or
// the Info frame when info is set.
func (a Audio) appendFrame(dst []byte, slots int, padded, info bool) []byte {
	n := slots
	var pad, mode byte = 0, 0b11 // mono
	if padded {
		n++
		pad = 1
	}
	if a.Stereo {
		mode = 0b01 // joint stereo, mode extension 0: no M/S, no intensity
	}
	frame := make([]byte, n)
	// Sync, MPEG-1, Layer III, no CRC; bitrate, 44.1 kHz, padding; mode,
	// not copyrighted, original.
	frame[0] = 0xFF
	frame[1] = 0xFB
	frame[2] = bitrateIndex(a.Bitrate)<<4 | pad<<1
	frame[3] = mode<<6 | 1<<2

	channels := 1
	if a.Stereo {
		channels = 2
	}
	sideInfoLen := 17
	if a.Stereo {
		sideInfoLen = 32
	}
	body := frame[4+sideInfoLen:]

	if info {
		// An all-zero side info is a silent frame; decoders that know
		// the Info tag skip it, the others play 26 ms of silence.
		copy(body, "Info")
		binary.BigEndian.PutUint32(body[4:], 1) // flags: frame count present
		binary.BigEndian.PutUint32(body[8:], uint32(a.Frames))
		return append(dst, frame...)
	}
	if a.Tone == 0 {
		return append(dst, frame...) // all-zero side info: silence
	}

	// Main data: every granule of every channel holds the same one line,
	// so it fits in this frame and main_data_begin stays 0 (no bit
	// reservoir).
	var main bitWriter
	for range 2 * channels {
		appendTone(&main, a.Tone)
	}
	copy(body, main.buf)
	part23 := main.n / (2 * channels)

	var side bitWriter
	side.write(0, 9) // main_data_begin
	if a.Stereo {
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
