package verify_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/verify"
)

func init() { verify.SetRenderText(report.VerificationText) }

// TestResultMediaType: every result the engine returns, passed or failed,
// for a policy or a layout, says in its JSON what it is and which version.
func TestResultMediaType(t *testing.T) {
	pass := verify.MustVerify(t, verify.ChainConfig(t))
	failCfg := verify.ChainConfig(t)
	failCfg.Attestations = failCfg.Attestations[:1]
	fail := verify.MustVerify(t, failCfg)
	layout := verify.VerifyLayoutT(t, verify.InspectionLayout(t))
	for name, res := range map[string]*verify.Result{"passed": pass, "failed": fail, "layout": layout} {
		var b bytes.Buffer
		if err := report.Verification(&b, report.JSON, res); err != nil {
			t.Fatal(err)
		}
		var got struct {
			MediaType string `json:"mediaType"`
			Passed    bool   `json:"passed"`
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.MediaType != "application/vnd.consign.verification-result+json;version=1" {
			t.Errorf("%s: mediaType = %q, want the versioned verification result type", name, got.MediaType)
		}
		if got.Passed != (name != "failed") {
			t.Errorf("%s: passed = %v", name, got.Passed)
		}
	}
}
