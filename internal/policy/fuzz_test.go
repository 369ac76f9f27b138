package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParsePolicy: the parser never panics, fails only with ErrInvalid, and
// a policy that parses parses again to the same decisions after Inline
// (which changes nothing in a policy that names no files).
func FuzzParsePolicy(f *testing.F) {
	owner := testKey(f, "owner")
	seeds, _ := filepath.Glob("../../policies/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	inline := strings.NewReplacer("{key: keys/owner.pub}", "{keyid: "+owner.Signer.KeyID()+"}").Replace(fmt.Sprintf(basePolicy, ""))
	f.Add(inline)
	f.Add("product: x\nexpires: 2030-01-01T00:00:00Z\nowner: {keyid: " + owner.Signer.KeyID() + "}\nfunctionaries:\n  a: {keys: [\"" + strings.ReplaceAll(owner.PEM, "\n", `\n`) + "\"]}\nstages:\n  - {name: s, by: [a], require: [link], products: [ALLOW '*', 'DISALLOW [!a]', [MATCH, x, IN, a, WITH, PRODUCTS, FROM, s]]}\n")
	f.Add("product: x\nexpires: 2030-01-01T00:00:00Z\nowner: {keyid: " + owner.Signer.KeyID() + "}\ntrusted_roots:\n  r: {root: '{\"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}'}\nfunctionaries:\n  u: {identities: [{issuer_regexp: 'https://.*', subject: a@example.com, github_workflow_ref: refs/heads/main}]}\nstages:\n  - {name: s, by: [u], threshold: 2, require: [slsa]}\n")
	f.Add("stages: *a\n")
	f.Add("a: &a [*a]\n")
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse([]byte(src), ParseOptions{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse() = %v, not ErrInvalid", err)
			}
			if p != nil {
				t.Fatalf("Parse() returned a policy with an error")
			}
			return
		}
		again, err := Inline([]byte(src), ParseOptions{})
		if err != nil {
			t.Fatalf("Inline() of a valid policy = %v", err)
		}
		if string(again) != src {
			t.Fatalf("Inline() changed a policy that names no file")
		}
		p2, err := Parse(again, ParseOptions{})
		if err != nil || summary(p2) != summary(p) {
			t.Fatalf("parsing twice differs: %v", err)
		}
		_ = Lint([]byte(src), ParseOptions{}, now)
	})
}
