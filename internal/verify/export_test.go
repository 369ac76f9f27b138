package verify

import (
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
)

// What the external tests (package verify_test, which may import the
// packages that import verify) use of this package's fixtures.

// InspectionLayout is the config of the in-toto layout fixture (steps build
// and package, links signed, dist/app its product) with inspections added.
func InspectionLayout(t testing.TB, inspections ...in_toto.Inspection) LayoutConfig {
	f := newLayoutFixture(t)
	f.layout.Inspect = inspections
	return f.config(t)
}

// ChainConfig is the config of the policy fixture: a chain of stages that
// passes.
func ChainConfig(t testing.TB) Config {
	c := newChain(t)
	return c.config(t, c.policyYAML(""))
}

// MemState is a StateStore in memory, as a long-running verifier would keep one.
type MemState = memState

var (
	WantPass      = wantPass
	WantFail      = wantFail
	VerifyLayoutT = verifyLayoutT
	MustVerify    = mustVerify
)
