package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/oci"
)

// NewCmdVerifyImage is 'consign verify-image'.
func NewCmdVerifyImage(deps *Deps) *cobra.Command {
	var (
		keys   []string
		output string
		reg    registryFlags
	)
	cmd := &cobra.Command{
		Use:   "verify-image --key PUB IMAGE",
		Short: "Check a container image's signatures (cosign's or consign's) against trusted keys",
		Long: `Check the signatures attached to a container image against the trusted key(s).

IMAGE is resolved to its manifest digest once, and the digest is printed; every signature
is looked for by that digest (OCI 1.1 referrers, the referrers tag schema, and cosign's
sha256-HEX.sig tag) and must name that digest in its payload. A tag alone proves nothing.

Exit codes: 0 at least one signature by a trusted key; 3 none; 1 registry or input error.`,
		Example: `  consign verify-image --key release.pub registry.example/app:1.4.0`,
		Args:    oneImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			kr, err := loadKeyring(keys)
			if err != nil {
				return err
			}
			c, err := reg.client(deps)
			if err != nil {
				return err
			}
			res, verr := c.VerifyImage(cmd.Context(), args[0], kr)
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
	reg.add(cmd, false)
	return cmd
}

type signatureLine struct {
	Source   oci.Source `json:"source"`
	Manifest string     `json:"manifest"`
	Status   string     `json:"status"`
	Signers  []string   `json:"signers,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

func printImageSignatures(cmd *cobra.Command, output string, res *oci.ImageSignatures, ok bool) error {
	var lines []signatureLine
	for _, r := range res.Results {
		l := signatureLine{Source: r.Attachment.Source, Manifest: r.Attachment.Manifest.String(), Status: "passed"}
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
	for _, l := range lines {
		mark := map[string]string{"passed": "PASS", "failed": "FAIL"}[l.Status]
		fmt.Fprintf(w, "%s signature in %s (%s)", mark, l.Source, l.Manifest[:19])
		if len(l.Signers) > 0 {
			fmt.Fprintf(w, ", signed by %s", shortIDs(l.Signers))
		}
		fmt.Fprintln(w)
		if l.Reason != "" {
			fmt.Fprintf(w, "     %s\n", l.Reason)
		}
	}
	return nil
}
