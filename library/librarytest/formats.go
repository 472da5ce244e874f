package librarytest

import (
	"bytes"
	"encoding/binary"
)

// FLAC returns a FLAC file's metadata: STREAMINFO, a padding block of pad
// bytes if pad is above 0, and a Vorbis comment block holding the
// "KEY=value" comments.
func FLAC(pad int, comments ...string) []byte {
	b := []byte("fLaC")
	b = append(b, 0, 0, 0, 34)
	b = append(b, make([]byte, 34)...)
	if pad > 0 {
		b = append(b, 1, byte(pad>>16), byte(pad>>8), byte(pad))
		b = append(b, make([]byte, pad)...)
	}
	var vc []byte
	vc = binary.LittleEndian.AppendUint32(vc, 4)
	vc = append(vc, "test"...)
	vc = binary.LittleEndian.AppendUint32(vc, uint32(len(comments)))
	for _, c := range comments {
		vc = binary.LittleEndian.AppendUint32(vc, uint32(len(c)))
		vc = append(vc, c...)
	}
	b = append(b, 0x80|4, byte(len(vc)>>16), byte(len(vc)>>8), byte(len(vc)))
	return append(b, vc...)
}

// Atom returns an MP4 atom holding the given payload.
func Atom(name string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, name...), body...)
}

// MP4Item returns an ilst item, such as "\xa9nam" (the title), whose data
// atom has the given data type (1 text, 13 JPEG, 21 integer).
func MP4Item(name string, dataType byte, value []byte) []byte {
	return Atom(name, Atom("data", []byte{0, 0, 0, dataType, 0, 0, 0, 0}, value))
}

// MP4 returns an MP4 file's atoms: ftyp, an mdat atom of n bytes of
// silence if n is above 0, and the moov/udta/meta/ilst atoms holding the
// items.
func MP4(n int, items ...[]byte) []byte {
	var mdat []byte
	if n > 0 {
		mdat = Atom("mdat", Silence(n))
	}
	return bytes.Join([][]byte{
		Atom("ftyp", []byte("M4A \x00\x00\x00\x00")),
		mdat,
		Atom("moov", Atom("udta", Atom("meta", []byte{0, 0, 0, 0}, Atom("ilst", items...)))),
	}, nil)
}
