package ui_test

import (
	"crypto"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/verify"
)

// TestAuditStageEndToEnd: a policy whose last stage is an auditor's
// finding. The inspector signs a finding as the release page shows, uploads
// it through the portal, and downloads the logged envelope; verify passes
// with it, and fails without it, or with a failing one, saying why.
func TestAuditStageEndToEnd(t *testing.T) {
	p := newPortal(t)
	inspector := testkey.New(t, "auditor")
	c := p.client()
	csrf := p.signIn(t, c, p.inspectorWithKey("centre", time.Hour, inspector, product))
	name := product + "-1.0.tar"
	rel := p.url("/products/%s/releases/%d", product, p.chain[product].vsa)

	yaml := fmt.Sprintf(`product: %s
version: 1
expires: %s
owner: {keyid: %s}
functionaries:
  ci: {role: build system, keys: [%q]}
  centre: {role: certification centre, keys: [%q]}
stages:
  - name: test
    by: [ci]
    require: [test]
    checks: [{tests: all_passed}]
  - name: audit
    by: [centre]
    require: [audit]
    checks: [{audit: pass}]
`, product, p.now.AddDate(1, 0, 0).Format(time.RFC3339), p.owner.Signer.KeyID(), p.key.PEM, inspector.PEM)
	env, _, err := policy.Sign([]byte(yaml), policy.ParseOptions{}, p.owner.Signer)
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := json.Marshal(env)
	testLine := envelopeLine(t, statement(t, attest.PredicateTestResult, name,
		map[string]any{"result": "PASSED", "configuration": []any{}, "passedTests": []string{"unit"}, "warnedTests": []any{}, "failedTests": []any{}}), p.key)
	run := func(lines ...[]byte) *verify.Result {
		t.Helper()
		in := []verify.Input{{Name: "test.intoto.jsonl", Data: append(testLine, '\n')}}
		for i, l := range lines {
			in = append(in, verify.Input{Name: fmt.Sprintf("finding-%d.intoto.jsonl", i+1), Data: append(l, '\n')})
		}
		res, err := verify.Verify(bg, verify.Config{Policy: pol, PolicyName: "policy.json", TrustRoots: []crypto.PublicKey{p.owner.Signer.Public()},
			Attestations: in, Artifacts: []verify.Artifact{{Name: name, Digest: artifact(name)}}, Now: func() time.Time { return p.now }})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(); res.Passed || !strings.Contains(res.Err().Error(), "stage audit: no audit attestation signed by its functionaries (centre)") {
		t.Fatalf("verify without a finding = %v, want the audit stage to fail for want of a finding", res.Err())
	}

	// Upload a finding through the portal and take the logged envelope back.
	upload := func(result string) []byte {
		t.Helper()
		line := envelopeLine(t, audit(t, name, result, "Checked the chain."), inspector)
		code, h, _ := post(t, c, rel+"/findings", url.Values{"csrf": {csrf}, "envelope": {string(line)}})
		if code != http.StatusSeeOther {
			t.Fatalf("uploading a %s finding = %d", result, code)
		}
		idx := regexp.MustCompile(`#finding-([0-9]+)$`).FindStringSubmatch(h.Get("Location"))
		if idx == nil {
			t.Fatalf("the upload went to %q", h.Get("Location"))
		}
		code, _, logged := get(t, c, p.url("/products/%s/entries/%s/envelope", product, idx[1]))
		if code != http.StatusOK {
			t.Fatalf("downloading the logged finding = %d", code)
		}
		return []byte(strings.TrimSuffix(logged, "\n"))
	}
	if res := run(upload("pass")); !res.Passed {
		t.Errorf("verify with the logged passing finding failed: %v", res.Err())
	}
	if res := run(upload("fail")); res.Passed || !strings.Contains(res.Err().Error(), `the auditor's finding is "fail"; the policy accepts pass`) {
		t.Errorf("verify with a failing finding = %v, want the audit check to refuse it", res.Err())
	}
}
