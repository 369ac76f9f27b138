package cli

import (
	"crypto/sha256"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
)

// NewCmdDownload is 'consign download'.
func NewCmdDownload(deps *Deps) *cobra.Command {
	var (
		typ, out, output string
		reg              registryFlags
	)
	cmd := &cobra.Command{
		Use:   "download IMAGE --type TYPE [--out FILE]",
		Short: "Fetch a container image's attestations of one predicate type as .intoto.jsonl",
		Long: `Fetch the DSSE envelopes attached to IMAGE's manifest digest whose statement has the
predicate type --type, and write them as JSON Lines to --out (appended, atomically) or
standard output. Nothing is verified here: 'consign verify-attestation --key PUB --subject
sha256:HEX FILE' checks the file, with the digest this command prints on standard error.
With --out, -o json prints a report instead: the image's digest, the file, the predicate
type and the digest of each envelope appended.`,
		Example: `  consign download registry.example/app:1.4.0 --type slsa --out build.intoto.jsonl`,
		Args:    oneImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if typ == "" {
				return usagef("--type is required: the predicate type to download")
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			if output == "json" && (out == "" || out == "-") {
				return usagef("-o json needs --out FILE: without it the envelopes themselves go to standard output")
			}
			predType, err := resolveTypeFlag(typ)
			if err != nil {
				return err
			}
			c, err := reg.client(deps)
			if err != nil {
				return err
			}
			img, items, err := c.Attestations(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var envs []*attest.Envelope
			for i := range items {
				if oci.PredicateType(&items[i]) == predType {
					envs = append(envs, items[i].Envelope)
				}
			}
			if output != "json" {
				fmt.Fprintf(deps.Stderr, "%s: %d attestation(s) of type %s\n", img.Ref, len(envs), attest.ShortName(predType))
			}
			if len(envs) == 0 {
				return withHint(fmt.Errorf("no attestations of type %s attached to %s", typ, img.Ref), "'consign discover IMAGE' lists what is attached")
			}
			if err := writeEnvelopes(cmd, out, envs...); err != nil || output != "json" {
				return err
			}
			digests := make([]string, len(envs))
			for i, env := range envs {
				digests[i] = fmt.Sprintf("sha256:%x", sha256.Sum256(env.AppendJSON(nil)))
			}
			return printJSON(cmd, struct {
				Image         string   `json:"image"`
				Out           string   `json:"out"`
				PredicateType string   `json:"predicateType"`
				Envelopes     []string `json:"envelopes"` // SHA-256 of each line appended, without its newline
			}{img.Ref.String(), out, predType, digests})
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", typeFlagHelp())
	cmd.Flags().StringVar(&out, "out", "", "append the envelopes to this .intoto.jsonl file (default: standard output)")
	reg.add(cmd, false)
	addOutputFlag(cmd, &output)
	return cmd
}
