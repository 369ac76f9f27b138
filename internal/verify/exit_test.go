package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
)

// chainWithBuild is the chain with its build link recording byproducts.
func chainWithBuild(t *testing.T, byproducts map[string]any) *chain {
	t.Helper()
	c := newChain(t)
	c.inputs[1] = input("build.intoto.jsonl",
		envLine(t, linkStatementBy(t, "build", c.src, c.app, byproducts), c.ci),
		envLine(t, statement(t, attest.PredicateSLSAProvenance, c.app, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app@refs/heads/main")), c.ci))
	return c
}

// exitCheck returns the exit check of a stage, or nil.
func exitCheck(res *Result, stage string) *CheckResult {
	for _, sr := range res.Stages {
		if sr.Name != stage {
			continue
		}
		for i, c := range sr.Checks {
			if c.Kind == CheckExit {
				return &sr.Checks[i]
			}
		}
	}
	return nil
}

// TestFailedStepFailsItsStage: a link recording that its command exited
// 1 (as 'consign run' records a failing command) fails its stage, naming
// the step, the status and the link, in the result, its JSON and the VSA.
func TestFailedStepFailsItsStage(t *testing.T) {
	for _, key := range []string{"exitCode", "return-value"} {
		t.Run(key, func(t *testing.T) {
			c := chainWithBuild(t, map[string]any{key: 1})
			cfg := c.config(t, c.policyYAML(""))
			res := mustVerify(t, cfg)
			wantFail(t, res, "stage build: exit check failed: step build exited with status 1 (link build.intoto.jsonl:1): its command failed; fix the step and record it again")
			ec := exitCheck(res, "build")
			if ec == nil || ec.Status != StatusFail {
				t.Fatalf("build stage exit check = %+v, want a failure", ec)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `{"kind":"exit","status":"fail","reason":"step build exited with status 1`) {
				t.Errorf("JSON report lacks the exit check:\n%s", b)
			}
			st, err := VSAStatement(res, cfg.Artifacts, VSAOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(st.Predicate), `"verificationResult":"FAILED"`) {
				t.Errorf("VSA predicate = %s, want FAILED", st.Predicate)
			}
		})
	}
}

// TestStepExitStatusClaims: byproducts without a status claim nothing (a
// link from another tool), a status of 0 passes unreported, and a status
// that is no integer, or two that disagree, fail the stage as bad input.
func TestStepExitStatusClaims(t *testing.T) {
	for _, tc := range []struct {
		name       string
		byproducts map[string]any
		want       string // "" to pass
	}{
		{"none", nil, ""},
		{"empty", map[string]any{}, ""},
		{"other members", map[string]any{"stdout": "ok"}, ""},
		{"zero", map[string]any{"return-value": 0}, ""},
		{"string", map[string]any{"return-value": "1"}, `link build.intoto.jsonl:1 of step build: the link's byproducts give return-value "1", not an integer; record the step again`},
		{"fraction", map[string]any{"exitCode": 1.5}, "give exitCode 1.5, not an integer"},
		{"null", map[string]any{"return-value": nil}, "give return-value null, not an integer"},
		{"disagree", map[string]any{"return-value": 0, "exitCode": 2}, "give return-value 0 and exitCode 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chainWithBuild(t, tc.byproducts)
			res := mustVerify(t, c.config(t, c.policyYAML("")))
			if tc.want == "" {
				wantPass(t, res)
				if ec := exitCheck(res, "build"); ec != nil {
					t.Errorf("exit check reported for a clean step: %+v", ec)
				}
				return
			}
			wantFail(t, res, "stage build: exit check failed: ")
			wantFail(t, res, tc.want)
		})
	}
}

// TestAllowExitCodes: a stage whose policy lists a status passes a link
// recording it, and says so; any other non-zero status still fails.
func TestAllowExitCodes(t *testing.T) {
	for _, tc := range []struct {
		code int
		want string
	}{{1, ""}, {2, "step release exited with status 2 (link release-alice.intoto.jsonl)"}} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			c := newChain(t)
			c.inputs[2] = input("release-alice.intoto.jsonl", envLine(t, linkStatementBy(t, "release", c.app, c.app, map[string]any{"exitCode": tc.code}), c.alice))
			res := mustVerify(t, c.config(t, c.policyYAML("    allow_exit_codes: [1]\n")))
			ec := exitCheck(res, "release")
			if tc.want != "" {
				wantFail(t, res, tc.want)
				return
			}
			wantPass(t, res)
			if ec == nil || ec.Status != StatusPass || !strings.Contains(ec.Reason, "records exit status 1, which the policy allows for the stage") {
				t.Errorf("release exit check = %+v, want a pass that names the allowed status", ec)
			}
		})
	}
}
