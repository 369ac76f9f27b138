package ui_test

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/verify"
)

// writePack writes a real evidence pack of prod's artifact prod-version.tar
// into dir: a policy signed by owner with one stage, test, whose test
// result ci signs, checked with tests: all_passed.
func writePack(t testing.TB, dir, prod, version string, owner, ci *testkey.Key, now time.Time) string {
	t.Helper()
	name := prod + "-" + version + ".tar"
	yaml := fmt.Sprintf(`product: %s
version: 1
expires: %s
owner: {keyid: %s}
functionaries:
  ci:
    role: build system
    keys:
      - %s
stages:
  - name: test
    by: [ci]
    require: [test]
    checks: [{tests: all_passed}]
`, prod, now.AddDate(1, 0, 0).Format(time.RFC3339), owner.Signer.KeyID(), testkey.IndentPEM(ci.PEM, 8))
	env, _, err := policy.Sign([]byte(yaml), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	line := envelopeLine(t, statement(t, attest.PredicateTestResult, name,
		map[string]any{"result": "PASSED", "configuration": []any{}, "passedTests": []string{"unit"}, "warnedTests": []any{}, "failedTests": []any{}}), ci)
	plan, err := pack.Build(bg, pack.BuildConfig{
		Policy: pol, PolicyName: prod + ".policy.json", TrustRoots: []crypto.PublicKey{owner.Signer.Public()},
		Attestations: []verify.Input{{Name: "test.intoto.jsonl", Data: append(line, '\n')}},
		Artifacts:    []verify.Artifact{{Name: name, Digest: artifact(name)}},
		Now:          func() time.Time { return now },
	})
	if err != nil {
		t.Fatalf("building the pack of %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := pack.Write(&buf, plan.Manifest, plan.Files, pack.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, prod+"-"+version+".pack")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
