package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/consign-dev/consign/internal/policy"
)

// TestKeylessSetRoots: identities are grouped by the trusted root they
// name; a root the policy carries is used as carried, one named by digest
// only is taken from the roots given when, and only when, one has that
// SHA-256.
func TestKeylessSetRoots(t *testing.T) {
	root, err := os.ReadFile("../../testdata/sigstore/public-good.trusted_root.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(root)
	digest := hex.EncodeToString(sum[:])
	owner := newKey(t, "owner")
	src := fmt.Sprintf(`product: acme
expires: 2030-01-01T00:00:00Z
owner: {key: %s}
trusted_roots:
  carried: {root: %s}
  named: {sha256: %s}
functionaries:
  a:
    identities:
      - {issuer: https://token.actions.githubusercontent.com, subject: x, trusted_root: carried}
      - {issuer: https://token.actions.githubusercontent.com, subject: y, trusted_root: named}
  b:
    identities: [{issuer: https://accounts.google.com, subject: z@example.com, trusted_root: named}]
stages:
  - {name: intake, by: [a, b], require: [slsa]}
`, strconv.Quote(owner.PEM), strconv.Quote(string(root)), digest)
	p, err := policy.Parse([]byte(src), policy.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		given     [][]byte
		wantNamed bool
	}{
		{"none given", nil, false},
		{"another file given", [][]byte{[]byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)}, false},
		{"the named file given", [][]byte{[]byte("{}"), root}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ks := newKeylessSet(p, tt.given, nil)
			if ks == nil || len(ks.groups) != 2 {
				t.Fatalf("newKeylessSet() = %+v, want two root groups", ks)
			}
			carried, named := ks.groups[0], ks.groups[1]
			if carried.root.Name != "carried" || string(carried.data) != string(root) || len(carried.ids) != 1 {
				t.Errorf("carried group = %+v", carried)
			}
			if named.root.Name != "named" || len(named.ids) != 2 || named.holders[0].Name != "a" || named.holders[1].Name != "b" {
				t.Errorf("named group = %+v", named)
			}
			if got := named.data != nil; got != tt.wantNamed {
				t.Errorf("named root resolved = %v, want %v", got, tt.wantNamed)
			}
		})
	}
	if ks := newKeylessSet(mustParseKeyOnly(t, owner), nil, nil); ks != nil {
		t.Errorf("newKeylessSet(no identities) = %+v, want nil", ks)
	}
}

func mustParseKeyOnly(t *testing.T, owner *testKey) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(fmt.Sprintf(`product: acme
expires: 2030-01-01T00:00:00Z
owner: {key: %s}
functionaries:
  ci: {keys: [%s]}
stages:
  - {name: build, by: [ci], require: [link]}
`, strconv.Quote(owner.PEM), strconv.Quote(owner.PEM))), policy.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIdentityKey: one signer per issuer and subject; the separator keeps
// two different pairs from sharing a key.
func TestIdentityKey(t *testing.T) {
	if identityKey("https://a", "b c") == identityKey("https://a b", "c") || identityKey("a\x00b", "c") == identityKey("a", "b\x00c") {
		t.Error("identityKey does not separate issuer from subject")
	}
	if identityKey("i", "s") != identityKey("i", "s") {
		t.Error("identityKey is not a function of issuer and subject")
	}
}
