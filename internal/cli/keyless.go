package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
)

// keylessFlags are the identity flags of a keyless (Fulcio certificate)
// signer, as cosign and the sigstore-conformance protocol spell them.
type keylessFlags struct {
	id sigstore.Identity
}

func (k *keylessFlags) add(f *pflag.FlagSet) {
	f.StringVar(&k.id.Subject, "certificate-identity", "", "the certificate's identity (SubjectAlternativeName), exactly")
	f.StringVar(&k.id.SubjectRegexp, "certificate-identity-regexp", "", "the certificate's identity, as an anchored regular expression")
	f.StringVar(&k.id.Issuer, "certificate-oidc-issuer", "", "the OIDC issuer that vouched for the identity, exactly")
	f.StringVar(&k.id.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "the OIDC issuer, as an anchored regular expression")
	f.StringVar(&k.id.WorkflowRepository, "certificate-github-workflow-repository", "", "GitHub workflow repository extension, e.g. acme/app")
	f.StringVar(&k.id.WorkflowRef, "certificate-github-workflow-ref", "", "GitHub workflow ref extension, e.g. refs/tags/v1.2.3")
	f.StringVar(&k.id.WorkflowSHA, "certificate-github-workflow-sha", "", "GitHub workflow commit extension")
	f.StringVar(&k.id.WorkflowTrigger, "certificate-github-workflow-trigger", "", "GitHub workflow trigger extension, e.g. push")
	f.StringVar(&k.id.WorkflowName, "certificate-github-workflow-name", "", "GitHub workflow name extension")
}

// given reports whether any identity flag was given.
func (k *keylessFlags) given(cmd *cobra.Command) bool {
	for _, n := range []string{"certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer", "certificate-oidc-issuer-regexp"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// imageKeyless is the keyless signer of bundles attached to an image:
// --trusted-root and the identity flags.
type imageKeyless struct {
	root string
	keylessFlags
}

func (k *imageKeyless) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.root, "trusted-root", "", "trusted_root.json for keyless Sigstore bundles (with the --certificate-* identity flags)")
	k.keylessFlags.add(cmd.Flags())
}

// keyless reads the flags: nil without identity flags, else the signer
// with its trusted root. haveKeys says whether --key was given.
func (k *imageKeyless) keyless(cmd *cobra.Command, haveKeys bool) (*oci.Keyless, error) {
	if !k.given(cmd) {
		if k.root != "" {
			return nil, usagef("--trusted-root goes with --certificate-identity and --certificate-oidc-issuer (a keyless signer)")
		}
		return nil, nil
	}
	switch {
	case haveKeys:
		return nil, usagef("give --key or the --certificate-* identity flags, not both")
	case k.root == "":
		return nil, &Error{Code: ExitUsage, Err: errors.New("a keyless signer needs --trusted-root"),
			Hint: "consign fetches no trust root: pass the trusted_root.json of the Sigstore instance that signed the bundles"}
	}
	if err := k.id.Validate(); err != nil {
		return nil, usageErr(err)
	}
	root, err := limits.ReadFile(k.root, limits.JSONFile)
	if err != nil {
		return nil, fmt.Errorf("reading trusted root: %w", err)
	}
	return &oci.Keyless{TrustedRoot: root, Identity: k.id}, nil
}
