package cli

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sigstore/tufroot"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdTrustRoot is 'consign trust-root', the Sigstore trusted root's
// one way onto the machine.
func NewCmdTrustRoot(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust-root",
		Short: "Fetch the Sigstore trusted root through TUF (the only command that goes online for it)",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdTrustRootUpdate(deps))
	return cmd
}

func newCmdTrustRootUpdate(deps *Deps) *cobra.Command {
	var cfg tufroot.Config
	var out, rootPath, output, npmKeysOut string
	cmd := &cobra.Command{
		Use:   "update [--tuf-url U] [--tuf-root root.json] [--out F] [--cache-dir D]",
		Short: "Fetch trusted_root.json through TUF, verify it, and write it to --out",
		Long: `Fetch the Sigstore trusted root (trusted_root.json) from a TUF repository, verified with
sigstore-go's TUF client from a TUF root consign trusts: by default the public-good
instance's repository and its root as sigstore-go embeds it; for another instance (GitHub's,
for attestations from private repositories) its --tuf-url and its --tuf-root. Every role's
signatures, expiry and version and the target's hash are checked; metadata seen before is
kept in --cache-dir (by default $XDG_CACHE_HOME/consign/tuf or ~/.cache/consign/tuf), so a
repository that serves older metadata than before is refused. With --npm-keys-out, the npm
registry's keys (the registry.npmjs.org/keys.json target, which 'consign slsa
verify-npm-package --npm-keys' reads) come through TUF the same way. The files are written whole
or not at all. Verifiers never fetch them: pass them with --trusted-root and --npm-keys.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out is empty")
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			if cfg.CacheDir == "" {
				dir, err := defaultCacheDir(deps)
				if err != nil {
					return err
				}
				cfg.CacheDir = dir
			}
			if rootPath != "" {
				b, err := limits.ReadFile(rootPath, limits.JSONFile)
				if err != nil {
					return fmt.Errorf("reading TUF root: %w", err)
				}
				cfg.Root = b
			}
			var extra []string
			if npmKeysOut != "" {
				extra = append(extra, slsa.NpmKeysTarget)
			}
			b, targets, err := tufroot.FetchTargets(cmd.Context(), cfg, extra...)
			if err != nil {
				return err
			}
			files := []fsutil.File{{Path: out, Data: b, Perm: 0o644}}
			if npmKeysOut != "" {
				if err := slsa.CheckNpmKeys(targets[0]); err != nil {
					return fmt.Errorf("the repository's %s target: %w", slsa.NpmKeysTarget, err)
				}
				files = append(files, fsutil.File{Path: npmKeysOut, Data: targets[0], Perm: 0o644})
			}
			if err := fsutil.WriteFiles(files, true); err != nil {
				return fmt.Errorf("writing %q: %w", out, err)
			}
			if output == "json" {
				return printJSON(cmd, struct {
					Out     string `json:"out"`
					Bytes   int    `json:"bytes"`
					SHA256  string `json:"sha256"`
					TUFURL  string `json:"tufUrl"`
					NpmKeys string `json:"npmKeys,omitempty"`
				}{out, len(b), fmt.Sprintf("%x", sha256.Sum256(b)), repoURL(cfg.URL), npmKeysOut})
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes), verified through TUF from %s\n", out, len(b), repoURL(cfg.URL))
			if npmKeysOut != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d bytes), the npm registry's keys, verified through TUF from %s\n", npmKeysOut, len(targets[0]), repoURL(cfg.URL))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "tuf-url", tufroot.DefaultURL, "TUF repository base URL")
	f.StringVar(&rootPath, "tuf-root", "", "TUF root.json to trust for the repository (default: the public-good instance's, embedded)")
	f.StringVar(&out, "out", "trusted_root.json", "file to write the trusted root to")
	f.StringVar(&npmKeysOut, "npm-keys-out", "", "also write the npm registry's keys ("+slsa.NpmKeysTarget+" target) to this file")
	f.StringVar(&cfg.CacheDir, "cache-dir", "", "directory keeping the TUF metadata seen (default: the user's cache directory)")
	addOutputFlag(cmd, &output)
	return cmd
}

// defaultCacheDir is consign's TUF cache in $XDG_CACHE_HOME (or ~/.cache).
func defaultCacheDir(deps *Deps) (string, error) {
	dir := deps.getenv("XDG_CACHE_HOME")
	if dir == "" {
		home := deps.getenv("HOME")
		if home == "" {
			return "", usagef("no HOME or XDG_CACHE_HOME for the TUF cache; pass --cache-dir D")
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "consign", "tuf"), nil
}

func repoURL(u string) string {
	if u == "" {
		return tufroot.DefaultURL
	}
	return u
}
