package attest

import (
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// appendBase64 appends the standard base64 (padded) of src to dst: the
// bytes base64.StdEncoding.AppendEncode appends, six input bytes at a time
// with a 12-bit table rather than three at a time with a 6-bit one. An
// envelope's payload is most of what a step of many files writes, and
// encoding it with encoding/base64 took 16 instructions a byte
// (cachegrind), nearly a third of the user-space work of 'consign run' besides
// SHA-256.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	// Eight bytes are loaded for the six encoded, so the loop runs while
	// eight remain; what is left starts at a multiple of three bytes, so
	// its encoding continues this one's.
	for len(src) >= 8 && len(out) >= 8 {
		v := binary.BigEndian.Uint64(src)
		binary.BigEndian.PutUint64(out,
			uint64(base64Pairs[v>>52])<<48|
				uint64(base64Pairs[v>>40&0xfff])<<32|
				uint64(base64Pairs[v>>28&0xfff])<<16|
				uint64(base64Pairs[v>>16&0xfff]))
		src, out = src[6:], out[8:]
	}
	base64.StdEncoding.Encode(out, src)
	return dst[:len(dst)+n]
}

// base64Pairs[v] is the two characters of the standard alphabet for the
// 12-bit value v, the first in the high byte.
var base64Pairs = func() (t [1 << 12]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for v := range t {
		t[v] = uint16(alphabet[v>>6])<<8 | uint16(alphabet[v&63])
	}
	return t
}()
