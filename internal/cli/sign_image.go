package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// NewCmdSign is 'consign sign'.
func NewCmdSign(deps *Deps) *cobra.Command {
	var (
		keyPath   string
		recursive bool
		reg       registryFlags
		output    string
	)
	cmd := &cobra.Command{
		Use:   "sign --key KEY IMAGE",
		Short: "Sign a container image's manifest digest and attach the signature in its registry",
		Long: `Sign a container image with cosign's simple-signing format and attach the signature.

IMAGE is resolved to its manifest digest once; the digest is what is signed and printed.
For a multi-platform index, --recursive signs each platform's manifest as well.
--attach-mode says where the signature goes: referrers (OCI 1.1; the default), tag
(cosign's sha256-HEX.sig tag, which 'cosign verify --key' reads) or both.

Registry credentials come from the Docker configuration and its credential helpers, or
from --registry-username/--registry-password (or CONSIGN_REGISTRY_USERNAME and
CONSIGN_REGISTRY_PASSWORD).`,
		Example: `  consign sign --key release.key registry.example/app:1.4.0
  consign sign --key release.key --attach-mode both registry.example/app@sha256:...`,
		Args: oneImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			signer, err := loadSigner(deps, keyPath)
			if err != nil {
				return err
			}
			c, img, err := reg.resolve(cmd.Context(), deps, args[0])
			if err != nil {
				return err
			}
			imgs, err := withPlatforms(cmd.Context(), c, img, recursive)
			if err != nil {
				return err
			}
			signed := []writtenReport{}
			for _, img := range imgs {
				w, err := c.Sign(cmd.Context(), img, signer)
				if err != nil {
					return err
				}
				if output == "json" {
					signed = append(signed, newWrittenReport(img, w))
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), img.Ref.String())
				fmt.Fprintf(deps.Stderr, "Signed %s with key %s%s\n", img.Ref, signer.KeyID()[:12], describeWritten(w))
			}
			if output == "json" {
				return printJSON(cmd, struct {
					KeyID  string          `json:"keyId"`
					Signed []writtenReport `json:"signed"`
				}{signer.KeyID(), signed})
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key to sign with (cosign.key format or PKCS #8 PEM)")
	cmd.Flags().BoolVar(&recursive, "recursive", false, "for a multi-platform index, sign each platform's manifest too")
	reg.add(cmd, true)
	addOutputFlag(cmd, &output)
	return cmd
}

func oneImage(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one image reference (HOST/REPOSITORY:TAG or @sha256:HEX), got %d arguments", cmd.CommandPath(), len(args))
	}
	return nil
}
