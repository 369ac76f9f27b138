package attest

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzDecodeBase64 holds decodeBase64 and decodeBase64Bytes to the rule they
// replaced: no white space; the URL-safe alphabet if "-" or "_" occurs;
// unpadded if the length is no multiple of 4; strict (canonical) decoding.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "QQ==", "QQ", "QR==", "_-8", "_-8=", "e30=", "e30", "a b=", "QQ==\n", "////", "____", "-/==", "A", "AA=", "AAA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := func() ([]byte, error) {
			if strings.ContainsAny(s, "\r\n \t") {
				return nil, errBase64Space
			}
			enc := base64.StdEncoding
			if strings.ContainsAny(s, "-_") {
				enc = base64.URLEncoding
			}
			if len(s)%4 != 0 {
				enc = enc.WithPadding(base64.NoPadding)
			}
			b, err := enc.Strict().DecodeString(s)
			if err != nil {
				return nil, errBase64
			}
			return b, nil
		}()
		for name, decode := range map[string]func(string) ([]byte, error){
			"decodeBase64":      decodeBase64,
			"decodeBase64Bytes": func(s string) ([]byte, error) { return decodeBase64Bytes([]byte(s)) },
		} {
			got, err := decode(s)
			if err != wantErr || !bytes.Equal(got, want) {
				t.Fatalf("%s(%q) = %x, %v; want %x, %v", name, s, got, err, want, wantErr)
			}
		}
	})
}

// FuzzAppendBase64 holds appendBase64 to encoding/base64: the same bytes
// appended, for any input and any bytes already in dst.
func FuzzAppendBase64(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "abc", "abcdef", "abcdefg", "abcdefgh", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7", strings.Repeat("\x00\xff\x80", 40)} {
		f.Add([]byte("prefix"), []byte(s))
	}
	f.Fuzz(func(t *testing.T, prefix, src []byte) {
		want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
		if got := appendBase64(bytes.Clone(prefix), src); !bytes.Equal(got, want) {
			t.Fatalf("appendBase64(%q, %x) = %q, want %q", prefix, src, got, want)
		}
	})
}

// TestAppendBase64 covers every length up to past a few loop rounds, and
// every 12-bit value at each of the four places of a round.
func TestAppendBase64(t *testing.T) {
	src := make([]byte, 0, 1<<14)
	for v := range 1 << 12 { // 4096 values, 12 bits each: 6 KiB
		if v%2 == 0 {
			src = append(src, byte(v>>4), byte(v<<4))
		} else {
			src[len(src)-1] |= byte(v >> 8)
			src = append(src, byte(v))
		}
	}
	for _, shift := range []int{0, 1, 2, 3, 4, 5} { // each value at each place, and the tail's
		s := src[shift:]
		if got, want := appendBase64(nil, s), base64.StdEncoding.AppendEncode(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendBase64 of the 12-bit values from byte %d differs from encoding/base64", shift)
		}
	}
	for n := range 40 {
		s := src[:n]
		dst := []byte("x")
		if got, want := appendBase64(dst, s), base64.StdEncoding.AppendEncode([]byte("x"), s); !bytes.Equal(got, want) {
			t.Errorf("appendBase64(%q, %x) = %q, want %q", dst, s, got, want)
		}
	}
}

func BenchmarkAppendBase64(b *testing.B) {
	src := bytes.Repeat([]byte(`{"uri":"tree/d00/s00/f000000.bin","digest":{"sha256":"0123456789abcdef"}},`), 1<<14)
	dst := make([]byte, 0, base64.StdEncoding.EncodedLen(len(src)))
	b.SetBytes(int64(len(src)))
	b.Run("consign", func(b *testing.B) {
		for b.Loop() {
			dst = appendBase64(dst[:0], src)
		}
	})
	b.Run("encoding/base64", func(b *testing.B) {
		for b.Loop() {
			dst = base64.StdEncoding.AppendEncode(dst[:0], src)
		}
	})
}
