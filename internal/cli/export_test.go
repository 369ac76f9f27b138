package cli

// For the tests of package cli_test, which link the SBOM generator
// (internal/cli/syftgen imports this package).
var (
	ParseOutputs     = parseOutputs
	Classify         = classify
	StderrIsTerminal = stderrIsTerminal
)
