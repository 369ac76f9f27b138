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
