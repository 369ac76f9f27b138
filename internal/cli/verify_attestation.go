package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
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
		kl       imageKeyless
	)
	cmd := &cobra.Command{
		Use:   "verify-attestation --key PUB [--type TYPE] [--subject FILE|sha256:HEX] FILE|DIR... [--image IMAGE]",
		Short: "Check attestations' signatures, predicate types and subjects against trusted keys",
		Long: `Check every attestation in each FILE against the trusted public key(s) given with --key.

FILE may be a .intoto.jsonl (one DSSE envelope per line), a single DSSE envelope, a
cosign bundle (cosign attest-blob/sign-blob --bundle), a Sigstore bundle v0.1-v0.3 with a
public key, a cosign sign-blob signature file, or an in-toto v0.9 .link file. A directory
is read as verify --attestations reads one: every *.jsonl, *.link, *.intoto.json,
*.dsse.json, *.dsse, *.sigstore.json and *.bundle file under it (not *.receipts.jsonl),
in lexical order.

Each envelope is checked for: a signature by a trusted key over the exact DSSE PAE; an
in-toto payloadType; a strictly valid statement (duplicate keys and wrong-case field names
are rejected); with --type, its predicate type; with --subject, that the artifact's
digest is among its subjects. Key ids in a file are hints only: every trusted key is tried.

With --type, attestations of other types are listed as skipped, and at least one of the
type asked for must pass. Without --type every attestation must pass.

With --image, the attestations attached to the image in its registry are checked too,
with the image's manifest digest (resolved once, and printed) as the subject. Sigstore
bundles attached as referrers (cosign attest --new-bundle-format) are read with --key, or
keyless with --trusted-root and the --certificate-* identity flags (then only bundles can
pass: a bare DSSE envelope carries no certificate).

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
			signer, err := kl.keyless(cmd, len(keys) > 0)
			if err != nil {
				return err
			}
			if signer != nil {
				return image.verifyKeyless(cmd, deps, signer, typ, output, files, subject, treshold)
			}
			kr, err := loadKeyring(keys)
			if err != nil {
				return err
			}
			if treshold > len(keys) {
				return usagef("--threshold %d needs at least %d --key files, got %d", treshold, treshold, len(keys))
			}
			opts, subj, err := verifyOptions(typ, subject, treshold)
			if err != nil {
				return err
			}
			results, err := image.verify(cmd.Context(), deps, kr, &opts, subject)
			if err != nil {
				return err
			}
			read, err := readFiles(cmd.Context(), files)
			if err != nil {
				return err
			}
			if subj != nil {
				if opts.Subject, err = subj.digest(needsSHA512(read)); err != nil {
					return err
				}
			}
			fileResults, err := verifyFiles(cmd.Context(), read, kr, opts)
			if err != nil {
				return err
			}
			results = append(results, fileResults...)
			return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file (repeatable)")
	cmd.Flags().StringVar(&typ, "type", "", "required "+typeFlagHelp())
	cmd.Flags().StringVar(&subject, "subject", "", "artifact that must be a subject: a FILE, or sha256:HEX")
	cmd.Flags().IntVar(&treshold, "threshold", 1, "distinct trusted keys that must have signed each attestation")
	addOutputFlag(cmd, &output)
	image.add(cmd, "container image whose attached attestations are checked, its manifest digest as the subject")
	kl.add(cmd)
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
