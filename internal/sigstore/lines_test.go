package sigstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
)

// jsonLines compacts the bundles of the named suite cases into one JSON
// Lines file, the way GitHub's attestation API gives bundles.
func jsonLines(t *testing.T, cases ...string) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, c := range cases {
		if err := json.Compact(&out, loadCase(t, c).bundle); err != nil {
			t.Fatal(err)
		}
		out.WriteString("\n")
	}
	return out.Bytes()
}

func TestVerifyEach(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3")
	sum := sha256.Sum256(f.artifact)
	tests := []struct {
		name    string
		bundle  []byte
		digest  bool
		want    error
		outs    int
		okLines []int
	}{
		{"one pretty-printed bundle", loadCase(t, "dsse-invalid-sig_fail").bundle, false, ErrUnverified, 1, nil},
		{"one good line of two", jsonLines(t, "bundle-from-wrong-instance_fail", "happy-path-v0.3"), false, nil, 2, []int{2}},
		{"one good line of two, by digest", jsonLines(t, "happy-path-v0.3", "signature-mismatch_fail"), true, nil, 2, []int{1}},
		{"two good lines and blank ones", append(append([]byte("\n"), jsonLines(t, "happy-path-v0.3", "happy-path-v0.2")...), '\n'), false, nil, 2, []int{2, 3}},
		{"no good line", jsonLines(t, "bundle-from-wrong-instance_fail", "wrong-hashedrekord-entry_fail", "message-digest-mismatch_fail"), false, ErrUnverified, 3, nil},
		{"a line for another signer only", jsonLines(t, "managed-key-happy-path", "rekor2-happy-path"), false, ErrUnverified, 2, nil},
		{"a line that is not JSON", append(jsonLines(t, "happy-path-v0.3"), "{not json\n"...), false, ErrBundle, 0, nil},
		{"too many lines", bytes.Repeat(jsonLines(t, "happy-path-v0.3"), maxBundles+1), true, ErrBundle, 0, nil},
		{"blank", []byte("\n \n"), false, ErrConfig, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.config(beaconIdentity())
			cfg.Bundle = tt.bundle
			if tt.digest {
				cfg.Artifact, cfg.Digest = nil, sum[:]
			}
			outs, err := VerifyEach(cfg)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("VerifyEach = %v, want %v", err, tt.want)
			}
			if len(outs) != tt.outs {
				t.Fatalf("%d outcomes, want %d", len(outs), tt.outs)
			}
			var ok []int
			for _, o := range outs {
				if (o.Err == nil) != (o.Result != nil) {
					t.Errorf("line %d: result %v with error %v", o.Line, o.Result, o.Err)
				}
				if o.Err == nil {
					ok = append(ok, o.Line)
				}
			}
			if !slices.Equal(ok, tt.okLines) {
				t.Errorf("verified lines %v, want %v", ok, tt.okLines)
			}
		})
	}
}

// TestVerifyEachRereadsArtifact checks that each bundle of a JSON Lines
// file sees the whole artifact, and that an artifact that cannot be read
// twice is refused rather than verified against nothing.
func TestVerifyEachRereadsArtifact(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3")
	cfg := f.config(beaconIdentity())
	cfg.Bundle = jsonLines(t, "happy-path-v0.3", "happy-path-v0.2")
	outs, err := VerifyEach(cfg)
	if err != nil || outs[0].Err != nil || outs[1].Err != nil {
		t.Fatalf("VerifyEach = %v, %+v; want both lines verified", err, outs)
	}
	cfg = f.config(beaconIdentity())
	cfg.Bundle = jsonLines(t, "happy-path-v0.3", "happy-path-v0.2")
	cfg.Artifact = io.MultiReader(bytes.NewReader(f.artifact))
	if _, err := VerifyEach(cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("VerifyEach(artifact read once) = %v, want ErrConfig", err)
	}
}
