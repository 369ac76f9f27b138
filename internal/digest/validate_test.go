package digest

import (
	"strings"
	"testing"
)

// FuzzValidateQuick: Validate's quick path for a lone sha256 answers as
// the general check does, error message included.
func FuzzValidateQuick(f *testing.F) {
	f.Add("sha256", strings.Repeat("ab", 32), "", "")
	f.Add("sha256", strings.Repeat("aB", 32), "", "")
	f.Add("sha256", strings.Repeat("a", 63)+"g", "sha512", strings.Repeat("0", 128))
	f.Add("sha1", strings.Repeat("0", 40), "", "")
	f.Fuzz(func(t *testing.T, alg1, v1, alg2, v2 string) {
		d := Set{alg1: v1}
		if alg2 != "" {
			d[alg2] = v2
		}
		checkValidateQuick(t, d)
	})
}

func checkValidateQuick(t *testing.T, d Set) {
	t.Helper()
	got, want := d.Validate(), d.validate()
	if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
		t.Fatalf("Validate(%q) = %v, the general check %v", d, got, want)
	}
}

// Every byte at every position of a sha256, and every length around 64.
func TestValidateQuick(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for i := range 64 {
		for c := range 256 {
			v := hex[:i] + string([]byte{byte(c)}) + hex[i+1:]
			checkValidateQuick(t, Set{SHA256: v})
		}
	}
	for n := range 130 {
		checkValidateQuick(t, Set{SHA256: strings.Repeat("f", n)})
	}
	checkValidateQuick(t, Set{})
	checkValidateQuick(t, Set{SHA256: hex, SHA512: hex + hex})
	checkValidateQuick(t, Set{SHA256: hex, "sha1": hex})
	checkValidateQuick(t, Set{"sha1": hex[:40]})
}

// FuzzMatchesValidated: for valid sets, MatchesValidated is Matches, and
// the answer does not depend on the order of its arguments.
func FuzzMatchesValidated(f *testing.F) {
	h := strings.Repeat("ab", 32)
	f.Add(SHA256, h, "", "", SHA256, h, "", "")
	f.Add(SHA256, h, "sha1", strings.Repeat("0", 40), SHA256, h, "sha1", strings.Repeat("1", 40))
	f.Add("sha1", strings.Repeat("0", 40), "", "", "sha1", strings.Repeat("0", 40), "", "")
	f.Add(SHA256, h, "", "", SHA512, h+h, "", "")
	f.Add(SHA256, h, SHA512, h+h, SHA512, h+h, "", "")
	f.Fuzz(func(t *testing.T, a1, v1, a2, v2, b1, w1, b2, w2 string) {
		a, b := Set{a1: v1}, Set{b1: w1}
		if a2 != "" {
			a[a2] = v2
		}
		if b2 != "" {
			b[b2] = w2
		}
		if a.Validate() != nil || b.Validate() != nil {
			return
		}
		if got, want := MatchesValidated(a, b), Matches(a, b); got != want {
			t.Fatalf("MatchesValidated(%q, %q) = %v, Matches %v", a, b, got, want)
		}
		if MatchesValidated(a, b) != MatchesValidated(b, a) {
			t.Fatalf("MatchesValidated(%q, %q) depends on the order", a, b)
		}
	})
}
