package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/sigstore"
)

// NewCmdVerifyBundle is 'consign verify-bundle', the verify-bundle command
// of the sigstore-conformance CLI protocol.
func NewCmdVerifyBundle(deps *Deps) *cobra.Command {
	var (
		bundlePath, rootPath, keyPath, output string
		kf                                    keylessFlags
	)
	cmd := &cobra.Command{
		Use:   "verify-bundle --bundle B --trusted-root T (--key K | --certificate-identity I --certificate-oidc-issuer U) ARTIFACT|sha256:HEX",
		Short: "Verify a Sigstore bundle (keyless or key-signed) against a trusted root, offline",
		Long: `Verify a Sigstore bundle v0.1-v0.3 (a message signature or a DSSE envelope) for ARTIFACT,
or for the artifact with the SHA-256 digest sha256:HEX (when no file has that name). For a DSSE
bundle holding an in-toto statement, the artifact must be one of the statement's subjects.
The bundle file may hold several bundles, one per line (JSON Lines, as GitHub's attestation
API and 'gh attestation download' give them): each is verified on its own, and the artifact
passes if at least one verifies.

The trusted root is a trusted_root.json (the Sigstore protobuf-specs format) naming the Fulcio
certificate authorities, Rekor logs, certificate transparency logs and timestamp authorities
to trust. consign never fetches one.

What is checked: the certificate chain up to a Fulcio CA of the trusted root, at every verified
time the signature was observed (a Rekor v1 signed entry timestamp, an RFC 3161 timestamp from
a trusted TSA; at least one is required, and every timestamp the bundle carries must verify);
an SCT from a trusted CT log; the Rekor v1 inclusion promise and proof, or the Rekor v2
checkpoint and inclusion proof; that the log entry commits to this artifact (or DSSE payload),
signature and certificate; the signature; and the certificate's identity.

A keyless bundle needs the identity (--certificate-identity or -regexp) and the OIDC issuer
(--certificate-oidc-issuer or -regexp); regular expressions match the whole value (they are
anchored). The --certificate-github-workflow-* flags also compare the GitHub workflow
extensions Fulcio records. A key-signed bundle needs --key instead.

Exit codes: 0 verified; 3 not verified (the answer is no); 1 bad input (unreadable or malformed
files); 2 usage.`,
		Example: `  consign verify-bundle --bundle app.sigstore.json --trusted-root trusted_root.json \
      --certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3 \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com app.tar.gz
  consign verify-bundle --bundle app.sigstore.json --trusted-root trusted_root.json \
      --certificate-identity-regexp 'https://github.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*' \
      --certificate-oidc-issuer https://token.actions.githubusercontent.com sha256:0b5c...
  consign verify-bundle --bundle blob.sigstore.json --trusted-root trusted_root.json --key cosign.pub blob`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give exactly one artifact (a file, or sha256:HEX), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			cfg, closeArtifact, err := bundleConfig(kf.given(cmd), bundlePath, rootPath, keyPath, kf.id, args[0])
			if err != nil {
				return err
			}
			defer closeArtifact()
			outs, err := sigstore.VerifyEach(cfg)
			if len(outs) > 1 || err == nil {
				if perr := printBundleResults(cmd.OutOrStdout(), output, bundlePath, outs, err == nil); perr != nil {
					return perr
				}
			}
			if keyPath != "" && errors.Is(err, sigstore.ErrUnverified) {
				// sigstore-go reports a key that did not sign the bundle as
				// a log entry or signature that does not match.
				return withHint(err, "check that --key is the public key that signed the bundle (a keyless bundle takes the --certificate-* identity flags instead), that the artifact is the one signed, and that --trusted-root is the Sigstore instance that logged it")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&bundlePath, "bundle", "", "the Sigstore bundle (JSON) to verify")
	f.StringVar(&rootPath, "trusted-root", "", "trusted_root.json: the CAs, logs and timestamp authorities to trust")
	f.StringVar(&keyPath, "key", "", "public key (PEM) of a key-signed bundle")
	kf.add(f)
	addOutputFlag(cmd, &output)
	return cmd
}

// bundleConfig reads the files the flags name into one sigstore.Config.
func bundleConfig(keyless bool, bundlePath, rootPath, keyPath string, id sigstore.Identity, artifact string) (sigstore.Config, func(), error) {
	var cfg sigstore.Config
	noop := func() {}
	switch {
	case bundlePath == "":
		return cfg, noop, usagef("--bundle is required")
	case rootPath == "":
		return cfg, noop, trustedRootRequired("--trusted-root is required", "the bundle")
	case keyPath != "" && keyless:
		return cfg, noop, usagef("give --key or the --certificate-* identity flags, not both")
	case keyPath == "" && !keyless:
		return cfg, noop, usagef("give --key for a key-signed bundle, or --certificate-identity and --certificate-oidc-issuer for a keyless one")
	case keyless:
		if err := id.Validate(); err != nil {
			return cfg, noop, usageErr(err)
		}
		cfg.Identity = &id
	}
	var err error
	if cfg.Bundle, err = limits.ReadFile(bundlePath, limits.JSONFile); err != nil {
		return cfg, noop, fmt.Errorf("reading bundle: %w", err)
	}
	if cfg.TrustedRoot, err = readTrustedRootFile(rootPath, limits.JSONFile); err != nil {
		return cfg, noop, err
	}
	if keyPath != "" {
		data, err := limits.ReadFile(keyPath, limits.KeyFile)
		if err != nil {
			return cfg, noop, fmt.Errorf("reading key: %w", err)
		}
		if cfg.Key, err = sign.ParsePublicKey(data); err != nil {
			return cfg, noop, fmt.Errorf("key %q: %w", keyPath, err)
		}
	}
	// The conformance protocol: sha256:HEX is a digest unless a file has that name.
	if d, ok := sigstore.ParseDigest(artifact); ok {
		if _, err := os.Stat(artifact); errors.Is(err, fs.ErrNotExist) {
			cfg.Digest = d
			return cfg, noop, nil
		}
	}
	f, err := os.Open(artifact)
	if err != nil {
		return cfg, noop, fmt.Errorf("reading artifact: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return cfg, noop, fmt.Errorf("reading artifact %q: %w", artifact, limits.ErrNotFile)
	}
	cfg.Artifact = f
	return cfg, func() { f.Close() }, nil
}

func printBundleResults(w io.Writer, output, bundlePath string, outs []sigstore.Outcome, verified bool) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(struct {
			Verified bool               `json:"verified"`
			Bundle   string             `json:"bundle"`
			Results  []sigstore.Outcome `json:"results"`
		}{verified, bundlePath, outs})
	}
	for _, o := range outs {
		name := bundlePath
		if len(outs) > 1 {
			name = fmt.Sprintf("%s:%d", bundlePath, o.Line)
		}
		if o.Err != nil {
			fmt.Fprintf(w, "FAIL %s: %v\n", name, o.Err)
			continue
		}
		printBundleResult(w, name, o.Result)
	}
	return nil
}

func printBundleResult(w io.Writer, name string, res *sigstore.Result) {
	kind := "message signature"
	if res.DSSE {
		kind = "DSSE envelope, predicate type " + res.PredicateType
	}
	fmt.Fprintf(w, "Verified OK: %s (%s)\n", name, kind)
	if res.KeyID != "" {
		fmt.Fprintf(w, "  signed by key %s\n", res.KeyID)
	} else {
		fmt.Fprintf(w, "  signed by %s (issuer %s)\n", res.Subject, res.Issuer)
	}
	for _, t := range res.Timestamps {
		fmt.Fprintf(w, "  observed %s by %s (%s)\n", t.Time.UTC().Format("2006-01-02T15:04:05Z"), t.URI, t.Source)
	}
}
