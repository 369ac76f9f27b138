package demo

import "embed"

// intakeFiles are a third party's component and its keyless provenance, as
// the release chain's intake stage receives them: a.txt, a SLSA provenance
// about it in a Sigstore bundle (signed in GitHub Actions with a Fulcio
// certificate, logged in Rekor), and the Sigstore public good instance's
// trusted root. They are fixtures of the sigstore-conformance suite (see
// testdata/README.md).
//
//go:embed intake/a.txt intake/a.txt.sigstore.json intake/public-good.trusted_root.json
var intakeFiles embed.FS

// intakeProject maps the project paths the intake files are written to.
var intakeProject = map[string]string{
	"release/vendor/a.txt":                           "intake/a.txt",
	"release/intake/a.txt.sigstore.json":             "intake/a.txt.sigstore.json",
	"release/sigstore/public-good.trusted_root.json": "intake/public-good.trusted_root.json",
}

// upstreamWorkflow is the identity the third party's certificate names.
const upstreamWorkflow = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
