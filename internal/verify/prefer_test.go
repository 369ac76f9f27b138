package verify

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
)

// The keys an item's claimed type prefers are guessed once for all its
// signatures, not once a signature: the guess scans the whole payload,
// and an envelope of many signatures with no usable key id (each then
// tried against the preferred keys and the rest) had it scanned once for
// each. The signatures still count as before: the one by a key counts.
func TestSignedByGuessesOnce(t *testing.T) {
	var keys []*policy.Key
	var privs []ed25519.PrivateKey
	for range 3 {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		v, err := sign.NewVerifier(pub)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, &policy.Key{ID: v.KeyID(), Verifier: v})
		privs = append(privs, priv)
	}
	ix := newKeyIndex(keys, nil, false)
	msg := []byte("payload")
	var hints []string
	var sigs [][]byte
	for i := range 15 {
		hints, sigs = append(hints, ""), append(sigs, []byte{byte(i), 1, 2, 3})
	}
	hints, sigs = append(hints, "no such key"), append(sigs, ed25519.Sign(privs[2], msg))
	calls := 0
	ids := ix.signedBy(sign.NewMessage(msg), hints, sigs, nil, func() []*sign.Verifier {
		calls++
		return []*sign.Verifier{keys[1].Verifier}
	})
	if calls != 1 {
		t.Errorf("the preferred keys were guessed %d times for %d signatures, want once", calls, len(sigs))
	}
	if len(ids) != 1 || ids[0] != keys[2].ID {
		t.Errorf("signedBy = %v, want the one key that signed, %s", ids, keys[2].ID)
	}
}
