package sign

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// TestPrecomputedEd25519Wycheproof runs Wycheproof's Ed25519 verification
// vectors (testdata/wycheproof_ed25519_test.json: small-order and
// non-canonical R, S ≥ L, truncated and overlong signatures, known
// edge-case keys) through the table verifier and a plain one: both give
// each vector's expected verdict, as ed25519.Verify does.
func TestPrecomputedEd25519Wycheproof(t *testing.T) {
	raw, err := os.ReadFile("testdata/wycheproof_ed25519_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		NumberOfTests int
		TestGroups    []struct {
			PublicKey struct{ PK string }
			Tests     []struct {
				TcID    int
				Comment string
				Msg     string
				Sig     string
				Result  string
			}
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	run, valid := 0, 0
	for _, g := range file.TestGroups {
		pub, err := hex.DecodeString(g.PublicKey.PK)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("key %q: %v", g.PublicKey.PK, err)
		}
		plain, pre := precomputed(t, pub)
		for _, tc := range g.Tests {
			msg, err1 := hex.DecodeString(tc.Msg)
			sig, err2 := hex.DecodeString(tc.Sig)
			if err1 != nil || err2 != nil {
				t.Fatalf("tcId %d: %v %v", tc.TcID, err1, err2)
			}
			want := tc.Result == "valid"
			if tc.Result != "valid" && tc.Result != "invalid" {
				t.Fatalf("tcId %d: result %q", tc.TcID, tc.Result)
			}
			if got := pre.ed.verify(nil, msg, sig); got != want {
				t.Errorf("tcId %d (%s): table verify = %v, want %v", tc.TcID, tc.Comment, got, want)
			}
			if got := pre.Verify(msg, sig) == nil; got != want {
				t.Errorf("tcId %d (%s): precomputed Verify = %v, want %v", tc.TcID, tc.Comment, got, want)
			}
			if got := plain.Verify(msg, sig) == nil; got != want {
				t.Errorf("tcId %d (%s): plain Verify = %v, want %v", tc.TcID, tc.Comment, got, want)
			}
			run++
			if want {
				valid++
			}
		}
	}
	if run != file.NumberOfTests || valid == 0 || valid == run {
		t.Fatalf("%d of %d vectors run, %d valid", run, file.NumberOfTests, valid)
	}
}
