package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/policy"
)

// TestVerifyCancelledInChecks: a Ctrl-C while the stages' checks run ends
// Verify with the context's cause and no result, and no VSA signed. The
// checks' verdict used to be returned, and a VSA signed on it: a PASSED
// one where the checks ran on (a Ctrl-C must write nothing), or, where a
// Rego evaluation stopped on the cancel, a FAILED one (exit 3) about a
// check that was never let finish.
func TestVerifyCancelledInChecks(t *testing.T) {
	c := newChain(t)
	gate := newKey(t, "gate")
	mod := `package consign.t
import rego.v1
deny contains "never" if { false }
`
	extra := "    checks:\n      - rego:\n          name: t.rego\n          module: |\n" + indentLines(mod, 12)
	cfg := c.config(t, c.policyYAML(extra))
	cfg.VSA = &VSAOptions{Signer: gate.Signer, Version: "v1.2.3"}
	wantPass(t, mustVerify(t, cfg)) // the checks pass when let run

	cause := errors.New("interrupted by SIGINT")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	testOnlyCheckHook = func(kind string) {
		if kind == policy.CheckRego {
			cancel(cause)
		}
	}
	defer func() { testOnlyCheckHook = nil }()
	res, err := Verify(ctx, cfg)
	if !errors.Is(err, cause) || res != nil {
		var vsa bool
		if res != nil {
			vsa = res.VSA != nil
			t.Logf("failures: %q", res.Failures)
		}
		t.Errorf("Verify(cancelled in a check) = passed %v (VSA signed: %v), %v; want no result and the context's cause", res != nil && res.Passed, vsa, err)
	}
}
