package cli

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
)

// NewCmdSLSA is 'consign slsa', slsa-verifier's commands under consign:
// the same flags and verdicts, offline.
func NewCmdSLSA(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slsa",
		Short: "Verify SLSA provenance as slsa-verifier does, offline (add 'consign slsa' in front of a slsa-verifier command)",
		Long: `Verify SLSA provenance from the SLSA GitHub generators with slsa-verifier's flags and
verdicts. Where slsa-verifier fetches the Sigstore trusted root and searches Rekor, consign
reads --trusted-root and fetches nothing: provenance that only an online Rekor search can
verify (a bare DSSE envelope, as the generators wrote before v2.1.0) is refused.

Exit codes: 0 verified; 3 not verified; 1 bad input; 2 usage.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(NewCmdSLSAVerifyArtifact(deps), NewCmdSLSAVerifyImage(deps), NewCmdSLSAVerifyGitHubAttestation(deps), NewCmdSLSAVerifyNpmPackage(deps), NewCmdSLSAVerifyVSA(deps))
	return cmd
}

// readTrustedRoot reads --trusted-root, which consign never fetches.
func readTrustedRoot(path string) ([]byte, error) {
	if path == "" {
		return nil, trustedRootRequired("--trusted-root is required", "the provenance (the public-good instance for GitHub's public repositories)")
	}
	return readTrustedRootFile(path, limits.JSONFile)
}

// trustedRootRequired is the usage error msg for a missing --trusted-root,
// whose hint says what to pass (the trusted root of the Sigstore instance
// that signed what, which names the signed thing) and the exact line that
// makes one.
func trustedRootRequired(msg, what string) error {
	return &Error{Code: ExitUsage, Err: errors.New(msg),
		Hint: "consign fetches no trust root: pass the trusted_root.json of the Sigstore instance that signed " + what +
			"; make the public-good instance's (fetched and verified through TUF) with: consign trust-root update --out trusted_root.json" +
			" (another instance: add its --tuf-url and --tuf-root)"}
}

// readTrustedRootFile reads a --trusted-root file, and names what it is when it
// plainly is not a trusted_root.json (an empty file, a PEM key): bad input.
func readTrustedRootFile(path string, limit int64) ([]byte, error) {
	b, err := limits.ReadFile(path, limit)
	if err != nil {
		return nil, fmt.Errorf("reading trusted root: %w", err)
	}
	const hint = "--trusted-root takes the Sigstore trusted_root.json ('consign trust-root update' fetches it through TUF); a signer's public key goes to --key"
	switch trimmed := bytes.TrimSpace(b); {
	case len(trimmed) == 0:
		return nil, withHint(fmt.Errorf("trusted root %s is empty, not a trusted_root.json", path), hint)
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN ")):
		return nil, withHint(fmt.Errorf("trusted root %s is a PEM key, not a trusted_root.json", path), hint)
	}
	return b, nil
}

// sha256File hashes a regular file.
func sha256File(path string) ([]byte, error) { return hashFile(path, "artifact", sha256.New()) }

// hashFile hashes the regular file path (an artifact, a tarball) with h.
func hashFile(path, what string, h hash.Hash) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reading %s %q: %w", what, path, limits.ErrNotFile)
	}
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", what, path, err)
	}
	return h.Sum(nil), nil
}

// parseInputs reads --build-workflow-input key=value pairs.
func parseInputs(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, usagef("--build-workflow-input takes key=value, got %q", p)
		}
		m[k] = v
	}
	return m, nil
}

// optional returns a pointer to the flag's value if it was given.
func optional(cmd *cobra.Command, name, value string) *string {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	return &value
}
