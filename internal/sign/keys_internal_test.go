package sign

import (
	"bytes"
	"encoding/pem"
	"testing"
)

// encodePEM writes what encoding/pem writes, whatever the length.
func TestEncodePEM(t *testing.T) {
	der := make([]byte, 700)
	for i := range der {
		der[i] = byte(i * 7)
	}
	for n := range len(der) {
		got := encodePEM(PEMPublic, der[:n])
		want := pem.EncodeToMemory(&pem.Block{Type: PEMPublic, Bytes: der[:n]})
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: encodePEM\n%s\nencoding/pem\n%s", n, got, want)
		}
	}
}
