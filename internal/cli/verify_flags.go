package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sigstore"
	"github.com/consign-dev/consign/internal/verify"
)

// verifyFlags are the flags of 'consign verify'.
type verifyFlags struct {
	policy, layout, links, output, vsaKey, vsaOut, resourceURI, inspectionDir, logKey, logOrigin string
	roots, attestations, layoutKeys, sigstoreRoots                                               []string
	receipts, allowInspections                                                                   bool
	image                                                                                        imageVerify
	state                                                                                        stateFlags
}

func (f *verifyFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.policy, "policy", "", "the signed policy (consign policy sign)")
	fs.StringArrayVar(&f.roots, "trust-root", nil, "the product owner's public key, which signed the policy (repeatable)")
	fs.StringArrayVar(&f.attestations, "attestations", nil, "file or directory of attestations (repeatable)")
	addTrustedRootFlag(cmd, &f.sigstoreRoots)
	fs.StringVar(&f.layout, "layout", "", "an in-toto v0.9 root layout, instead of --policy")
	fs.StringArrayVar(&f.layoutKeys, "layout-key", nil, "public key that signed the layout (repeatable; each must have signed)")
	fs.StringVar(&f.links, "links", "", "directory of the layout's link files")
	fs.BoolVar(&f.allowInspections, "allow-inspections", false, "run the layout's inspection commands (they are commands the layout's author chose)")
	fs.StringVar(&f.inspectionDir, "inspection-dir", ".", "directory the inspections run in")
	fs.BoolVar(&f.receipts, "receipts", false, "check transparency-log receipts (NAME.receipts.jsonl beside each NAME.intoto.jsonl) with --log-key")
	fs.StringVar(&f.logKey, "log-key", "", "the transparency log's public key (log.vkey, or log.pub with --log-origin), for --receipts; never taken from a server")
	fs.StringVar(&f.logOrigin, "log-origin", "", "the log's origin: pins a PEM --log-key (log.pub); a verifier key line (log.vkey) names its own")
	fs.StringVar(&f.vsaKey, "vsa-key", "", "private key to sign a Verification Summary Attestation with")
	fs.StringVar(&f.vsaOut, "vsa-out", "", "where to write the VSA (with --vsa-key)")
	fs.StringVar(&f.resourceURI, "resource-uri", "", "the VSA's resourceUri (default: the first artifact's file name)")
	f.state.add(cmd)
	addOutputFlag(cmd, &f.output)
	f.image.add(cmd, "container image to verify: its manifest digest is an artifact, and its attached attestations are read too")
}

// receiptsNotArtifacts refuses a receipts file among the ARTIFACTs with
// --receipts: '--receipts build.receipts.jsonl' reads as a flag with its
// file, but --receipts takes no value, and the file became an artifact
// that no stage's subjects could match.
func (f *verifyFlags) receiptsNotArtifacts(args []string) error {
	if !f.receipts {
		return nil
	}
	for _, a := range args {
		if strings.HasSuffix(a, ".receipts.jsonl") {
			return withHint(usagef("%s is a receipts file, not an artifact: --receipts takes no file", a),
				"receipts are read from NAME.receipts.jsonl beside each NAME.intoto.jsonl of --attestations: keep them there (as publish and fetch write them), and give only the artifacts as arguments")
		}
	}
	return nil
}

// check rejects combinations of flags that cannot be meant.
func (f *verifyFlags) check() error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	if err := f.state.check(); err != nil {
		return err
	}
	if (f.vsaKey == "") != (f.vsaOut == "") {
		return usagef("--vsa-key and --vsa-out go together")
	}
	legacy := f.layout != ""
	switch {
	case legacy && f.policy != "":
		return usagef("give --policy or --layout, not both")
	case !legacy && f.policy == "":
		return usagef("--policy is required: the signed policy to verify against (or --layout for an in-toto layout)")
	case !legacy && len(f.roots) == 0:
		return withHint(usagef("--trust-root is required: the product owner's public key, which signed the policy"), "the owner's key comes from the vendor, out of band; never from the policy itself")
	case !legacy && len(f.attestations) == 0 && f.image.ref == "":
		return usagef("--attestations is required: the files or directories holding the attestations")
	case legacy && (len(f.layoutKeys) == 0 || f.links == ""):
		return usagef("--layout needs --layout-key and --links")
	case legacy && (len(f.roots) > 0 || len(f.attestations) > 0 || f.state.path != "" || f.state.off):
		return usagef("--trust-root, --attestations, --state and --no-state go with --policy; an in-toto layout takes --layout-key and --links")
	case !legacy && (len(f.layoutKeys) > 0 || f.links != "" || f.allowInspections):
		return usagef("--layout-key, --links and --allow-inspections go with --layout")
	}
	return nil
}

// policyConfig loads what the flags name into the engine's Config for a
// signed policy.
func (f *verifyFlags) policyConfig(ctx context.Context, deps *Deps, artifacts []verify.Artifact, vsa *verify.VSAOptions) (verify.Config, error) {
	var receipts verify.ReceiptChecker
	if f.receipts || f.logKey != "" {
		var err error
		if receipts, err = loadReceipts(ctx, deps, f.logKey, f.logOrigin, f.attestations); err != nil {
			return verify.Config{}, err
		}
	}
	cfg, err := readPolicyInputs(ctx, f.policy, f.roots, f.attestations, f.sigstoreRoots)
	if err != nil {
		return cfg, err
	}
	cfg.Artifacts, cfg.Now, cfg.VSA, cfg.Receipts = artifacts, deps.Now, vsa, receipts
	state, err := f.state.store(deps)
	if state != nil {
		cfg.State = state
	}
	return cfg, err
}

// readPolicyInputs reads what verify and pack both verify, in this order:
// the signed policy, the owner's keys, the Sigstore trusted roots and the
// attestations. Keyless bundles are verified by sigstore.PolicyVerifier.
func readPolicyInputs(ctx context.Context, policyPath string, roots, attestations, trustedRoots []string) (verify.Config, error) {
	cfg := verify.Config{PolicyName: filepath.ToSlash(policyPath), Bundles: sigstore.PolicyVerifier{}}
	for _, r := range trustedRoots {
		b, err := limits.ReadFile(r, policy.MaxTrustedRootSize)
		if err != nil {
			return cfg, fmt.Errorf("reading trusted root: %w", err)
		}
		cfg.TrustedRoots = append(cfg.TrustedRoots, b)
	}
	var err error
	if cfg.Policy, err = limits.ReadFile(policyPath, limits.LayoutFile); err != nil {
		return cfg, fmt.Errorf("reading policy: %w", err)
	}
	if err := notASignedPolicy(policyPath, cfg.Policy); err != nil {
		return cfg, err
	}
	if policy.Unsigned(cfg.Policy) {
		return cfg, withHint(fmt.Errorf("policy %s: this is an unsigned policy; sign it with consign policy sign", policyPath),
			fmt.Sprintf("'consign policy sign --key OWNER.key --out policy.signed.json %s' signs it with the owner's key; then verify with --policy policy.signed.json", policyPath))
	}
	if cfg.TrustRoots, err = loadPublicKeys(roots); err != nil {
		return cfg, err
	}
	cfg.Attestations, err = evidence.ReadAttestations(ctx, attestations)
	return cfg, err
}

// addTrustedRootFlag adds --trusted-root, the Sigstore trusted roots a
// policy names by digest.
func addTrustedRootFlag(cmd *cobra.Command, dst *[]string) {
	cmd.Flags().StringArrayVar(dst, "trusted-root", nil, "a Sigstore trusted_root.json the policy names by digest, for its keyless identities (repeatable; one whose digest the policy does not name is not used)")
}

// layoutConfig loads what the flags name into the engine's Config for an
// in-toto v0.9 layout.
func (f *verifyFlags) layoutConfig(deps *Deps, artifacts []verify.Artifact, vsa *verify.VSAOptions) (verify.LayoutConfig, error) {
	cfg := verify.LayoutConfig{LayoutName: filepath.ToSlash(f.layout), LinksName: filepath.ToSlash(f.links), Artifacts: artifacts, Now: deps.Now, VSA: vsa}
	var err error
	if cfg.Layout, err = limits.ReadFile(f.layout, limits.LayoutFile); err != nil {
		return cfg, fmt.Errorf("reading layout: %w", err)
	}
	if cfg.LayoutKeys, err = loadPublicKeys(f.layoutKeys); err != nil {
		return cfg, err
	}
	if cfg.Links, err = evidence.Links(f.links); errors.Is(err, evidence.ErrNotDir) {
		return cfg, usagef("--links must be a directory")
	} else if err != nil {
		return cfg, err
	}
	if f.allowInspections {
		cfg.Inspector = evidence.Inspector{Dir: f.inspectionDir}
	}
	return cfg, nil
}

// loadReceipts verifies, offline, the receipts kept beside the attestation
// files, with the log key the user gives: a log's key is never taken from
// the log. A receipt that does not verify is an error; an attestation
// without a receipt is left to the policy (its signatures then count only
// if the key is valid now).
func loadReceipts(ctx context.Context, deps *Deps, logKeyPath, logOrigin string, attestations []string) (verify.ReceiptChecker, error) {
	if logKeyPath == "" {
		return nil, usagef("--receipts needs --log-key: the log's public key (log.vkey), obtained out of band")
	}
	logKey, err := loadLogKey(logKeyPath, logOrigin)
	if err != nil {
		return nil, err
	}
	set, found, err := evidence.Receipts(ctx, logKey, attestations)
	if re := (*evidence.ReceiptError)(nil); errors.As(err, &re) {
		return nil, withHint(err, "a receipt that does not verify with the log key is never ignored; check --log-key, or fetch the receipts again")
	} else if err != nil {
		return nil, err
	}
	fmt.Fprintf(deps.Stderr, "consign: %d receipt(s) verified with log key %s\n", found, logKeyPath)
	return set, nil
}

// notASignedPolicy names what a --policy file is when it plainly cannot be
// the DSSE envelope 'consign policy sign' writes (an empty file, a PEM key):
// bad input (exit 1), not a verification failure about JSON.
func notASignedPolicy(path string, data []byte) error {
	trimmed := bytes.TrimSpace(data)
	const hint = "--policy takes the signed policy 'consign policy sign' wrote; the owner's public key goes to --trust-root"
	switch {
	case len(trimmed) == 0:
		return withHint(fmt.Errorf("policy %s is empty, not a signed policy", path), hint)
	case bytes.HasPrefix(trimmed, []byte("-----BEGIN ")):
		return withHint(fmt.Errorf("policy %s is a PEM key, not a signed policy", path), hint)
	}
	if isAttestationFile(trimmed) {
		return withHint(fmt.Errorf("policy %s holds in-toto attestations, not a signed policy", path),
			"--policy takes the signed policy 'consign policy sign' wrote; attestations go to --attestations")
	}
	return nil
}

// isAttestationFile reports whether data is an attestation file: its first
// line an in-toto DSSE envelope, as 'consign attest' and 'consign run' write.
func isAttestationFile(data []byte) bool {
	first, _, _ := bytes.Cut(bytes.TrimSpace(data), []byte("\n"))
	var env struct {
		PayloadType string `json:"payloadType"`
	}
	return json.Unmarshal(first, &env) == nil && env.PayloadType == attest.PayloadType
}
