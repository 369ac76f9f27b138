package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
)

// NewCmdVerifyAttestation is 'consign verify-attestation'.
func NewCmdVerifyAttestation(deps *Deps) *cobra.Command {
	var (
		keys     []string
		typ      string
		subject  string
		output   string
		treshold int
		image    imageVerify
	)
	cmd := &cobra.Command{
		Use:   "verify-attestation --key PUB [--type TYPE] [--subject FILE|sha256:HEX] FILE... [--image IMAGE]",
		Short: "Check attestations' signatures, predicate types and subjects against trusted keys",
		Long: `Check every attestation in each FILE against the trusted public key(s) given with --key.

FILE may be a .intoto.jsonl (one DSSE envelope per line), a single DSSE envelope, a
cosign bundle (cosign attest-blob/sign-blob --bundle), a Sigstore bundle v0.1-v0.3 with a
public key, a cosign sign-blob signature file, or an in-toto v0.9 .link file.

Each envelope is checked for: a signature by a trusted key over the exact DSSE PAE; an
in-toto payloadType; a strictly valid statement (duplicate keys and wrong-case field names
are rejected); with --type, its predicate type; with --subject, that the artifact's
digest is among its subjects. Key ids in a file are hints only: every trusted key is tried.

With --type, attestations of other types are listed as skipped, and at least one of the
type asked for must pass. Without --type every attestation must pass.

With --image, the attestations attached to the image in its registry are checked too,
with the image's manifest digest (resolved once, and printed) as the subject.

Exit codes: 0 every check passed; 3 a check failed (the answer is no); 1 bad input
(unreadable or malformed files, bad keys); 2 usage.`,
		Example: `  consign verify-attestation --key ci.pub build.intoto.jsonl
  consign verify-attestation --key ci.pub --type slsa --subject dist/app build.intoto.jsonl
  consign verify-attestation --key cosign.pub --subject blob.txt blob.sigstore.json
  consign verify-attestation --key ci.pub --type slsa --image registry.example/app:1.4.0`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && image.ref == "" {
				return usagef("name at least one attestation file to verify, or an image with --image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if treshold < 1 {
				return usagef("--threshold must be at least 1")
			}
			kr, err := loadKeyring(keys)
			if err != nil {
				return err
			}
			if treshold > len(keys) {
				return usagef("--threshold %d needs at least %d --key files, got %d", treshold, treshold, len(keys))
			}
			opts, err := verifyOptions(typ, subject, treshold)
			if err != nil {
				return err
			}
			results, err := image.verify(cmd.Context(), deps, kr, &opts, subject)
			if err != nil {
				return err
			}
			fileResults, err := verifyFiles(files, kr, opts)
			if err != nil {
				return err
			}
			results = append(results, fileResults...)
			return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file (repeatable)")
	cmd.Flags().StringVar(&typ, "type", "", "required predicate type: a short name ("+attest.ShortNameList()+") or a URI")
	cmd.Flags().StringVar(&subject, "subject", "", "artifact that must be a subject: a FILE, or sha256:HEX")
	cmd.Flags().IntVar(&treshold, "threshold", 1, "distinct trusted keys that must have signed each attestation")
	addOutputFlag(cmd, &output)
	image.add(cmd, "container image whose attached attestations are checked, its manifest digest as the subject")
	return cmd
}

// verify checks the attestations attached to the image, if one was named,
// with its manifest digest as the subject.
func (v *imageVerify) verify(ctx context.Context, deps *Deps, kr *attest.Keyring, opts *attest.VerifyOptions, subject string) ([]itemResult, error) {
	if v.ref == "" {
		return nil, nil
	}
	items, err := v.items(ctx, deps, opts, subject)
	if err != nil {
		return nil, err
	}
	results := make([]itemResult, 0, len(items))
	for i := range items {
		results = append(results, verifyOne(&items[i], kr, *opts))
	}
	return results, nil
}

// subjectDigest reads --subject: a digest, or a file to hash (sha256 and
// sha512, the latter for Ed25519ph blob signatures).
func subjectDigest(s string) (digest.Set, error) {
	if _, err := os.Stat(s); err != nil && strings.Contains(s, ":") {
		return digest.Parse(s)
	}
	d, err := digest.File(s, digest.SHA256, digest.SHA512)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return d, nil
}

// verifyOptions are --type, --subject and --threshold as attest options.
func verifyOptions(typ, subject string, threshold int) (attest.VerifyOptions, error) {
	opts := attest.VerifyOptions{Threshold: threshold}
	if typ != "" {
		t, err := attest.ResolveType(typ)
		if err != nil {
			return opts, withHint(usageErr(err), "use a short name ("+attest.ShortNameList()+") or an absolute URI")
		}
		opts.PredicateTypes = []string{t}
	}
	if subject != "" {
		var err error
		if opts.Subject, err = subjectDigest(subject); err != nil {
			return opts, err
		}
		if fi, err := os.Stat(subject); err == nil && fi.Mode().IsRegular() {
			opts.Artifact = func() ([]byte, error) { return limits.ReadFile(subject, limits.PureEd25519Blob) }
		}
	}
	return opts, nil
}

// verifyFiles verifies every item of every file; a file that does not
// read as attestations is one invalid result.
func verifyFiles(files []string, kr *attest.Keyring, opts attest.VerifyOptions) ([]itemResult, error) {
	var results []itemResult
	for _, f := range files {
		data, err := limits.ReadFile(f, limits.AttestationFile)
		if err != nil {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		items, err := attest.Read(data, f)
		if err != nil {
			results = append(results, itemResult{Source: f, Status: "invalid", Reason: err.Error()})
			continue
		}
		for i := range items {
			results = append(results, verifyOne(&items[i], kr, opts))
		}
	}
	return results, nil
}
