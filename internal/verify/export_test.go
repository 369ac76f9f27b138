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
	WriteFile     = writeFile
)

// renderText is the report package's renderer (report.VerificationText),
// set by the external tests: report imports verify, so this package's own
// tests reach it only through package verify_test.
var renderText func(*Result) string

// Text renders the result as the commands print it, for the tests'
// messages and the tests of what the report says.
func (r *Result) Text() string { return renderText(r) }

// SetRenderText sets the renderer the tests' Text uses.
func SetRenderText(f func(*Result) string) { renderText = f }
