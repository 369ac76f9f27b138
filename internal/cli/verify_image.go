package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
)

// kindName is how a signature's kind is shown: a bundle signature says so.
func kindName(k oci.Kind) string {
	if k == oci.KindBundle {
		return "bundle signature"
	}
	return "signature"
}

// NewCmdVerifyImage is 'consign verify-image'.
func NewCmdVerifyImage(deps *Deps) *cobra.Command {
	var (
		keys   []string
		output string
		reg    registryFlags
		kl     imageKeyless
	)
	cmd := &cobra.Command{
		Use:   "verify-image (--key PUB | --trusted-root T --certificate-identity I --certificate-oidc-issuer U) IMAGE",
		Short: "Check a container image's signatures (cosign's or consign's) against trusted keys",
		Long: `Check the signatures attached to a container image against the trusted key(s).

IMAGE is resolved to its manifest digest once, and the digest is printed; every signature
is looked for by that digest (OCI 1.1 referrers, the referrers tag schema, and cosign's
sha256-HEX.sig tag) and must name that digest in its payload. A tag alone proves nothing.

cosign's Sigstore bundle signatures (cosign sign --new-bundle-format, cosign v3's default: an
in-toto statement of type https://sigstore.dev/cosign/sign/v1 about the digest, attached as a
referrer) are read too: with --key, the signature in the bundle; keyless, with --trusted-root
and the --certificate-* identity flags, the whole bundle as 'consign verify-bundle' checks it
(certificate chain, timestamps, log entries, identity).

Exit codes: 0 at least one signature by a trusted key; 3 none; 1 registry or input error.`,
		Example: `  consign verify-image --key release.pub registry.example/app:1.4.0
  consign verify-image --trusted-root trusted_root.json \
      --certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0 \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com registry.example/app:1.4.0`,
		Args: oneImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			signer, err := kl.keyless(cmd, len(keys) > 0)
			if err != nil {
				return err
			}
			var kr *attest.Keyring
			if signer == nil {
				if kr, err = loadKeyring(keys); err != nil {
					return err
				}
			}
			c, err := reg.client(deps)
			if err != nil {
				return err
			}
			var (
				res  *oci.ImageSignatures
				verr error
			)
			if signer != nil {
				res, verr = c.VerifyImageKeyless(cmd.Context(), args[0], signer)
			} else {
				res, verr = c.VerifyImage(cmd.Context(), args[0], kr)
			}
			if res == nil {
				return verr
			}
			if err := printImageSignatures(cmd, output, res, verr == nil); err != nil {
				return err
			}
			return verr
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file (repeatable)")
	addOutputFlag(cmd, &output)
	kl.add(cmd)
	reg.add(cmd, false)
	return cmd
}

type signatureLine struct {
	Source   oci.Source `json:"source"`
	Manifest string     `json:"manifest"`
	Status   string     `json:"status"`
	Signers  []string   `json:"signers,omitempty"`
	Identity string     `json:"identity,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

func printImageSignatures(cmd *cobra.Command, output string, res *oci.ImageSignatures, ok bool) error {
	var lines []signatureLine
	for i := range res.Results {
		r := &res.Results[i]
		l := signatureLine{Source: r.Attachment.Source, Manifest: r.Attachment.Manifest.String(), Status: "passed", Identity: r.Identity}
		for _, s := range r.Signers {
			l.Signers = append(l.Signers, s.KeyID())
		}
		if r.Err != nil {
			l.Status, l.Reason = "failed", r.Err.Error()
		}
		lines = append(lines, l)
	}
	w := cmd.OutOrStdout()
	if output == "json" {
		return json.NewEncoder(w).Encode(struct {
			Image      string          `json:"image"`
			Verified   bool            `json:"verified"`
			Signatures []signatureLine `json:"signatures"`
		}{res.Image.Ref.String(), ok, lines})
	}
	fmt.Fprintln(w, res.Image.Ref.String())
	for i, l := range lines {
		r := &res.Results[i]
		mark := map[string]string{"passed": "PASS", "failed": "FAIL"}[l.Status]
		fmt.Fprintf(w, "%s %s in %s (%s)", mark, kindName(r.Attachment.Kind), l.Source, l.Manifest[:19])
		if len(l.Signers) > 0 {
			fmt.Fprintf(w, ", signed by %s", shortIDs(l.Signers))
		}
		if l.Identity != "" {
			fmt.Fprintf(w, ", signed by %s", l.Identity)
		}
		fmt.Fprintln(w)
		if l.Reason != "" {
			fmt.Fprintf(w, "     %s\n", l.Reason)
		}
	}
	return nil
}
