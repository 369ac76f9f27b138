package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
)

// NewCmdDiscover is 'consign discover'.
func NewCmdDiscover(deps *Deps) *cobra.Command {
	var (
		keys   []string
		output string
		reg    registryFlags
	)
	cmd := &cobra.Command{
		Use:   "discover IMAGE [--key PUB] [--output json]",
		Short: "List the signatures, attestations and SBOMs attached to a container image",
		Long: `List everything attached to IMAGE's manifest digest: OCI 1.1 referrers (through the
referrers API and the referrers tag schema) and cosign's sha256-HEX.sig, .att and .sbom tags.

Each line gives the kind, where it was found, its digest and the predicate type of an
attestation. With --key, signatures and attestations are fetched and checked against the
trusted keys (the image's digest as the subject), and marked verified or not with the key
ids that verified them; without, they are listed from the manifests alone, unchecked, with
the predicate types their annotations claim.`,
		Example: `  consign discover registry.example/app:1.4.0
  consign discover --key release.pub --output json registry.example/app:1.4.0`,
		Args: oneImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			var kr *attest.Keyring
			if len(keys) > 0 {
				var err error
				if kr, err = loadKeyring(keys); err != nil {
					return err
				}
			}
			c, err := reg.client(deps)
			if err != nil {
				return err
			}
			img, entries, err := c.DiscoverImage(cmd.Context(), args[0], kr)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if output == "json" {
				return json.NewEncoder(w).Encode(struct {
					Image       string `json:"image"`
					Attachments any    `json:"attachments"`
				}{img.Ref.String(), entries})
			}
			fmt.Fprintln(w, img.Ref.String())
			for _, e := range entries {
				fmt.Fprintf(w, "  %-11s %-13s %s", e.Kind, e.Source, e.Layer[:19])
				if e.PredicateType != "" {
					fmt.Fprintf(w, " %s", attest.ShortName(e.PredicateType))
				} else if e.Kind == "sbom" || e.Kind == "other" {
					fmt.Fprintf(w, " %s", e.MediaType)
				}
				if len(e.KeyIDs) > 0 {
					fmt.Fprintf(w, " keys %s", shortIDs(e.KeyIDs))
				}
				fmt.Fprintf(w, " %s\n", e.Status)
			}
			fmt.Fprintf(w, "%d attachment(s)\n", len(entries))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file to check attachments against (repeatable)")
	addOutputFlag(cmd, &output)
	reg.add(cmd, false)
	return cmd
}
