package policy

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
)

// FuzzOpen fuzzes what lies under a signed policy's signature: the fuzzer
// picks the payload (policy YAML), the payload type and the signer, and the
// harness signs it for real, so each input reaches Open's checks past the
// signature (payload type, parse, owner, expiry) instead of stopping at a
// signature that does not verify. Open accepts exactly the policies that
// parse, name the key that signed them as owner, are of the policy payload
// type and have not expired.
func FuzzOpen(f *testing.F) {
	owner, other := testKey(f, "owner"), testKey(f, "other")
	inline := strings.NewReplacer("{key: keys/owner.pub}", "{keyid: "+owner.Signer.KeyID()+"}").Replace(fmt.Sprintf(basePolicy, ""))
	f.Add(inline, uint8(0), uint8(0))
	f.Add(inline, uint8(1), uint8(0))
	f.Add(inline, uint8(0), uint8(1))
	f.Add(strings.Replace(inline, "2027-06-30", "2026-01-01", 1), uint8(0), uint8(0))
	f.Add(strings.Replace(inline, owner.Signer.KeyID(), other.Signer.KeyID(), 1), uint8(0), uint8(0))
	f.Add("product: x\n", uint8(0), uint8(0))
	types := []string{PayloadType, attest.PayloadType, "application/vnd.consign.policy+YAML", ""}
	signers := []*key{owner, other}
	roots := []crypto.PublicKey{owner.Signer.Public()}
	f.Fuzz(func(t *testing.T, payload string, typ, by uint8) {
		pt, signer := types[int(typ)%len(types)], signers[int(by)%len(signers)]
		env, err := attest.SignPayload(pt, []byte(payload), signer.Signer)
		if err != nil {
			t.Fatalf("SignPayload: %v", err)
		}
		data, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(data, roots, now)
		p, perr := Parse([]byte(payload), ParseOptions{})
		want := perr == nil && pt == PayloadType && signer == owner && p.Owner.KeyID == owner.Signer.KeyID() && !p.Expired(now)
		if (err == nil) != want {
			t.Fatalf("Open(type %q, signed by %s) = %v; want accepted %v (parse: %v)", pt, signer.Signer.KeyID()[:8], err, want, perr)
		}
		if err != nil {
			if s != nil || !(errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnverified) || errors.Is(err, attest.ErrInvalid)) {
				t.Fatalf("Open = %v, %v; want nil and a typed error", s, err)
			}
			return
		}
		if s.SignedBy != owner.Signer.KeyID() || summary(s.Policy) != summary(p) {
			t.Fatalf("Open gave another policy than the one signed")
		}
	})
}
