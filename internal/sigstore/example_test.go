package sigstore_test

import (
	"fmt"
	"os"

	"github.com/consign-dev/consign/internal/sigstore"
)

// Verify a keyless bundle made by a GitHub Actions workflow, offline,
// against the public good instance's trusted root.
func ExampleVerify() {
	bundle, _ := os.ReadFile("../../testdata/sigstore-conformance/happy-path-v0.3/bundle.sigstore.json")
	root, _ := os.ReadFile("../../testdata/sigstore/public-good.trusted_root.json")
	artifact, err := os.Open("../../testdata/sigstore-conformance/a.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer artifact.Close()

	res, err := sigstore.Verify(sigstore.Config{
		Bundle:      bundle,
		TrustedRoot: root,
		Identity: &sigstore.Identity{
			SubjectRegexp:      `https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\.github/workflows/.*`,
			Issuer:             "https://token.actions.githubusercontent.com",
			WorkflowRepository: "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
			WorkflowRef:        "refs/heads/main",
		},
		Artifact: artifact,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Issuer)
	for _, t := range res.Timestamps {
		fmt.Println(t.Source, t.URI, t.Time.UTC())
	}
	// Output:
	// https://token.actions.githubusercontent.com
	// Tlog https://rekor.sigstore.dev 2024-03-19 17:26:26 +0000 UTC
}
