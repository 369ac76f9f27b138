package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
)

// NewCmdAttach is 'consign attach'.
func NewCmdAttach(deps *Deps) *cobra.Command {
	var (
		reg    registryFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "attach IMAGE FILE.intoto.jsonl",
		Short: "Attach attestations made elsewhere to a container image in its registry",
		Long: `Attach every DSSE envelope in FILE (a .intoto.jsonl, one envelope per line) to IMAGE.

IMAGE is resolved to its manifest digest once. Each envelope must be an in-toto statement
with that digest among its subjects; an envelope about anything else stops the command
before it is attached. Signatures are not checked here ('consign verify-attestation
--image' does that). --attach-mode says where they go: referrers (the default), tag
(cosign's sha256-HEX.att tag, which 'cosign verify-attestation' reads) or both.`,
		Example: `  consign attach registry.example/app:1.4.0 build.intoto.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("attach takes an image and a .intoto.jsonl file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			items, err := readAttestationFile(cmd.Context(), args[1])
			if err != nil && unreadable(err) {
				return fmt.Errorf("reading attestations: %w", err)
			}
			if err != nil {
				return err
			}
			var envs []*attest.Envelope
			for _, it := range items {
				if it.Err != nil {
					return fmt.Errorf("%s: %w", it.Source, it.Err)
				}
				if it.Envelope == nil {
					return withHint(fmt.Errorf("%s holds a %s, not a DSSE envelope", it.Source, it.Format), "attach takes DSSE envelopes (.intoto.jsonl), as 'consign attest' writes")
				}
				envs = append(envs, it.Envelope)
			}
			c, img, err := reg.resolve(cmd.Context(), deps, args[0])
			if err != nil {
				return err
			}
			if err := c.CheckSubjects(img, envs); err != nil {
				return err
			}
			attached := []writtenReport{}
			for _, env := range envs {
				w, err := c.Attach(cmd.Context(), img, env)
				if err != nil {
					return err
				}
				if output == "json" {
					r := newWrittenReport(img, w)
					// CheckSubjects parsed every statement already.
					if st, err := attest.ParseStatement(env.Payload); err == nil {
						r.PredicateType = st.PredicateType
					}
					attached = append(attached, r)
					continue
				}
				fmt.Fprintf(deps.Stderr, "Attached an attestation to %s%s\n", img.Ref, describeWritten(w))
			}
			if output == "json" {
				return printJSON(cmd, struct {
					Image    string          `json:"image"`
					File     string          `json:"file"`
					Attached []writtenReport `json:"attached"`
				}{img.Ref.String(), args[1], attached})
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.Ref.String())
			return nil
		},
	}
	reg.add(cmd, true)
	addOutputFlag(cmd, &output)
	return cmd
}
