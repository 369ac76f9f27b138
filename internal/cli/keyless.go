package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/attest"
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
		return nil, trustedRootRequired("a keyless signer needs --trusted-root", "the bundles")
	}
	if err := k.id.Validate(); err != nil {
		return nil, usageErr(err)
	}
	root, err := readTrustedRootFile(k.root, limits.JSONFile)
	if err != nil {
		return nil, err
	}
	return &oci.Keyless{TrustedRoot: root, Identity: k.id}, nil
}

// verifyKeyless is 'consign verify-attestation --image' with a keyless
// signer: the bundles attached to the image, each checked against the
// trusted root and identity with the image's digest as the subject.
func (v *imageVerify) verifyKeyless(cmd *cobra.Command, deps *Deps, kl *oci.Keyless, typ, output string, files []string, subject string, threshold int) error {
	switch {
	case v.ref == "" || len(files) > 0:
		return withHint(usagef("the --certificate-* identity flags check bundles attached to an image: give --image and no files"),
			"for a bundle file, use 'consign verify-bundle'")
	case subject != "":
		return usagef("--subject and --image exclude each other: with --image the image's digest is the subject")
	case threshold != 1:
		return usagef("--threshold counts keys; a keyless signer is one identity")
	}
	opts, _, err := verifyOptions(typ, "", 1) // no --subject: nothing hashed
	if err != nil {
		return err
	}
	c, err := v.reg.client(deps)
	if err != nil {
		return err
	}
	img, atts, err := c.AttachedAttestations(cmd.Context(), v.ref)
	if err != nil {
		return err
	}
	checked := oci.VerifyAttestationsKeyless(img, atts, kl, opts.PredicateTypes)
	fmt.Fprintf(deps.Stderr, "%s: %d attestation(s) attached\n", img.Ref, len(checked))
	results := make([]itemResult, len(checked))
	for i, k := range checked {
		results[i] = keylessResult(k)
	}
	return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
}

// keylessResult is one line of the report for a keyless check.
func keylessResult(k oci.KeylessResult) itemResult {
	r := itemResult{Source: k.Attachment.Name(), Format: string(k.Attachment.Kind)}
	switch {
	case k.Err == nil:
		r.Status, r.PredicateType = "passed", k.Result.PredicateType
		r.Identity = k.Result.Subject + " (issuer " + k.Result.Issuer + ")"
		if st, err := attest.ParseStatement(k.Result.Payload); err == nil {
			r.Subjects = len(st.Subject)
		}
	case errors.Is(k.Err, attest.ErrWrongType):
		r.Status, r.Reason = "skipped", "not the predicate type asked for"
	case errors.Is(k.Err, attest.ErrUnverified), errors.Is(k.Err, sigstore.ErrUnverified):
		r.Status, r.Reason, r.err = "failed", k.Err.Error(), k.Err
	default:
		r.Status, r.Reason = "invalid", k.Err.Error()
	}
	return r
}
