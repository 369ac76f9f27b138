package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/sign"
)

// NewCmdKeygen is 'consign keygen'.
func NewCmdKeygen(deps *Deps) *cobra.Command {
	var (
		out, alg, output   string
		force, unencrypted bool
	)
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a new signing key pair (cosign-compatible files)",
		Long: `Make a new key pair: PREFIX.key (the private key, encrypted with a password, in
cosign's format) and PREFIX.pub (the public key, PEM). cosign reads these files and
consign reads cosign's.

The password comes from CONSIGN_PASSWORD, then COSIGN_PASSWORD, else a prompt when
standard input is a terminal. The key id printed is the hex SHA-256 of the public key's
DER SubjectPublicKeyInfo; policies and reports name keys by it.

Files are created with mode 0600 (.key) and 0644 (.pub) and never overwrite existing
files unless --force is given.`,
		Example: `  consign keygen                          # consign.key, consign.pub
  consign keygen --out keys/ci            # keys/ci.key, keys/ci.pub
  CONSIGN_PASSWORD=s3cret consign keygen --algorithm ed25519 --out alice`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out must not be empty")
			}
			if base := filepath.Base(out); strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) || base == "." || base == ".." {
				dir := strings.TrimRight(out, "/"+string(filepath.Separator)) + "/"
				return withHint(usagef("--out %q is a prefix with no name: keygen writes PREFIX.key and PREFIX.pub", out),
					fmt.Sprintf("give a prefix such as --out %sci (writes %sci.key and %sci.pub)", dir, dir, dir))
			}
			keyPath, pubPath := out+".key", out+".pub"
			for _, p := range []string{keyPath, pubPath} {
				if err := fsutil.CheckDest(p, force); refusedDest(err) {
					return err
				}
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			pass := passFunc(deps)
			if unencrypted {
				pass = nil
			}
			kp, err := sign.NewKeyPair(alg, pass)
			if errors.Is(err, sign.ErrUnsupportedKey) {
				return &Error{Code: ExitUsage, Err: err, Hint: "consign keygen makes " + sign.ECDSAP256 + " or " + sign.Ed25519 + " keys; an RSA key made elsewhere can still be used to verify"}
			} else if err != nil {
				return err
			}
			if unencrypted {
				fmt.Fprintln(deps.Stderr, "consign: warning: writing the private key UNENCRYPTED; anyone who can read it can sign as you")
			}
			// Both files or neither: never half a key pair, never a lost key.
			if err := fsutil.WriteFiles([]fsutil.File{
				{Path: keyPath, Data: kp.Private, Perm: 0o600},
				{Path: pubPath, Data: kp.Public, Perm: 0o644},
			}, force); err != nil {
				return err
			}
			if output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]string{
					"privateKey": keyPath, "publicKey": pubPath, "keyId": kp.KeyID, "algorithm": kp.Algorithm,
				})
			}
			fmt.Fprintf(deps.Stderr, "Private key written to %s\nPublic key written to %s\n", keyPath, pubPath)
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", kp.KeyID, kp.Algorithm)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "consign", "file name prefix: writes PREFIX.key and PREFIX.pub")
	cmd.Flags().StringVar(&alg, "algorithm", sign.ECDSAP256, "key algorithm: "+sign.ECDSAP256+" or "+sign.Ed25519)
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing key files")
	cmd.Flags().BoolVar(&unencrypted, "unencrypted-unsafe", false, "write the private key as plain PKCS #8 PEM, with no password (for throw-away keys only)")
	addOutputFlag(cmd, &output)
	return cmd
}

func addOutputFlag(cmd *cobra.Command, output *string) {
	cmd.Flags().StringVarP(output, "output", "o", "text", "output format: text or json")
}

func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return usagef("--output must be text or json, not %q", output)
	}
	return nil
}
