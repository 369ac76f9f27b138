package slsa

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// TestVSA walks slsa-verifier's verify-vsa cases (Test_runVerifyVSA) and
// consign's own on the same VSA, a Google BCID summary of a GKE image.
func TestVSA(t *testing.T) {
	dir := filepath.Join(fixtures, "vsa/gce/v1")
	env := readFixture(t, filepath.Join(dir, "gke-gce-pre.bcid-vsa.jsonl"))
	key, _, err := sign.ParseVerifier(readFixture(t, filepath.Join(dir, "vsa_signing_public_key.pem")))
	if err != nil {
		t.Fatal(err)
	}
	good := VSAConfig{Envelope: env, Key: key, KeyID: "keystore://76574:prod:vsa_signing_public_key",
		Digests:  []string{"gce_image_id:8970095005306000053"},
		Verifier: "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1",
		Resource: "gce_image://gke-node-images:gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre",
		Levels:   []string{"BCID_L1", "SLSA_BUILD_LEVEL_2"}}
	tamper := strings.Replace(string(env), `"payload":"eyJf`, `"payload":"eyJg`, 1)
	tests := []struct {
		name string
		edit func(*VSAConfig)
		want error
	}{
		{"success: gke", func(*VSAConfig) {}, nil},
		{"fail: gke, empty public key id", func(c *VSAConfig) { c.KeyID = "" }, ErrVSA},
		{"fail: gke, wrong key id", func(c *VSAConfig) { c.KeyID = "my_key_id" }, ErrVSA},
		{"consign: lower SLSA level asked", func(c *VSAConfig) { c.Levels = []string{"SLSA_BUILD_LEVEL_1"} }, nil},
		{"consign: no level asked", func(c *VSAConfig) { c.Levels = nil }, nil},
		{"consign: higher SLSA level asked", func(c *VSAConfig) { c.Levels = []string{"SLSA_BUILD_LEVEL_3"} }, ErrVSA},
		{"consign: SLSA level of another track", func(c *VSAConfig) { c.Levels = []string{"SLSA_SOURCE_LEVEL_1"} }, ErrVSA},
		{"consign: other level absent", func(c *VSAConfig) { c.Levels = []string{"BCID_L2"} }, ErrVSA},
		{"consign: malformed SLSA level", func(c *VSAConfig) { c.Levels = []string{"SLSA_BUILD_2"} }, ErrVSA},
		{"consign: other subject digest", func(c *VSAConfig) { c.Digests = []string{"gce_image_id:1"} }, ErrVSA},
		{"consign: digest of another algorithm", func(c *VSAConfig) { c.Digests = []string{"sha256:8970095005306000053"} }, ErrVSA},
		{"consign: no subject digest", func(c *VSAConfig) { c.Digests = nil }, ErrConfig},
		{"consign: other verifier", func(c *VSAConfig) { c.Verifier += "x" }, ErrVSA},
		{"consign: other resource", func(c *VSAConfig) { c.Resource = "gce_image://other" }, ErrVSA},
		{"consign: payload changed", func(c *VSAConfig) { c.Envelope = []byte(tamper) }, ErrVSA},
		{"consign: not an envelope", func(c *VSAConfig) { c.Envelope = []byte(`{}`) }, attest.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			st, err := VerifyVSA(cfg)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("VerifyVSA() = %v, want %v", err, tt.want)
			}
			if err == nil && !strings.Contains(string(st), `"verificationResult":"PASSED"`) {
				t.Errorf("VerifyVSA() returned %s, want the statement", st)
			}
		})
	}
}
