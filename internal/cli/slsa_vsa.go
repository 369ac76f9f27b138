package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdSLSAVerifyVSA is 'consign slsa verify-vsa', with slsa-verifier's
// flags.
func NewCmdSLSAVerifyVSA(deps *Deps) *cobra.Command {
	var (
		cfg              slsa.VSAConfig
		attPath, keyPath string
		printAttestation bool
	)
	cmd := &cobra.Command{
		Use:   "verify-vsa --attestation-path A --public-key-path K --public-key-id ID --subject-digest ALG:VALUE --verifier-id V --resource-uri R [--verified-level L]...",
		Short: "Verify a SLSA Verification Summary (VSA) signed with a key, as slsa-verifier verify-vsa does",
		Long: `Verify a VSA (a DSSE envelope) signed by the key --public-key-path under the key id
--public-key-id (compared exactly with the signature's keyid), for every --subject-digest, from
--verifier-id about --resource-uri, with result PASSED and every --verified-level: a level
SLSA_<TRACK>_LEVEL_<N> is met by level N or higher on that track, any other level must be listed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if attPath == "" || keyPath == "" || cfg.Verifier == "" || cfg.Resource == "" {
				return usagef("--attestation-path, --public-key-path, --verifier-id and --resource-uri are required")
			}
			var err error
			if cfg.Envelope, err = limits.ReadFile(attPath, limits.JSONFile); err != nil {
				return fmt.Errorf("reading attestation: %w", err)
			}
			data, err := limits.ReadFile(keyPath, limits.KeyFile)
			if err != nil {
				return fmt.Errorf("reading public key: %w", err)
			}
			if cfg.Key, _, err = sign.ParseVerifier(data); err != nil {
				return fmt.Errorf("public key %q: %w", keyPath, err)
			}
			st, err := slsa.VerifyVSA(cfg)
			if err != nil {
				return err
			}
			if printAttestation {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", st); err != nil {
					return err
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Verifying VSA: PASSED")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&attPath, "attestation-path", "", "path to the VSA (a DSSE envelope)")
	f.StringVar(&keyPath, "public-key-path", "", "public key (PEM) that signed the VSA")
	f.StringVar(&cfg.KeyID, "public-key-id", "", "the signature's key id, exactly")
	f.StringArrayVar(&cfg.Digests, "subject-digest", nil, "subject digest ALG:VALUE the VSA must be about (repeatable)")
	f.StringVar(&cfg.Verifier, "verifier-id", "", "expected verifier id")
	f.StringVar(&cfg.Resource, "resource-uri", "", "expected resource URI")
	f.StringArrayVar(&cfg.Levels, "verified-level", nil, "level the VSA must show (repeatable)")
	f.BoolVar(&printAttestation, "print-attestation", false, "print the verified VSA statement on stdout")
	return cmd
}
