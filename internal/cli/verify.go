package cli

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// NewCmdVerify is 'consign verify'.
func NewCmdVerify(deps *Deps) *cobra.Command {
	var (
		policyPath, layoutPath, linksDir, output, vsaKey, vsaOut, resourceURI, statePath, inspectionDir string
		logKeyPath, logOrigin                                                                           string
		useReceipts                                                                                     bool
		roots, attestations, layoutKeys                                                                 []string
		allowInspections                                                                                bool
		image                                                                                           imageVerify
	)
	cmd := &cobra.Command{
		Use:   "verify --policy SIGNED_POLICY --trust-root OWNER.pub --attestations PATH... ARTIFACT...",
		Short: "Check artifacts against a signed policy and every stage's attestations",
		Long: `Check that ARTIFACT(s) may ship: the policy is signed by the owner key given with
--trust-root and has not expired; for each stage, enough distinct functionary keys
(valid now, not revoked) signed attestations of the types it requires; the in-toto
artifact rules tie each stage's materials to the products of the stages before it; the
SBOM, provenance, test and Rego checks pass; and every ARTIFACT is a subject of the
final stage, by digest.

--attestations takes files or directories (repeat the flag). In a directory, files named
*.jsonl, *.link, *.intoto.json, *.dsse.json, *.dsse, *.sigstore.json and *.bundle are read.
An attestation that cannot be read fails verification; one signed by no key the policy
names is listed and ignored.

ARTIFACT is a file (hashed here), sha256:HEX, or NAME=sha256:HEX. With --image, the
image is resolved to its manifest digest once; that digest is an artifact, and the
attestations attached to it in its registry are read beside any --attestations.

With --vsa-key and --vsa-out, a SLSA Verification Summary Attestation (PASSED or FAILED)
about the artifacts is signed and written.

Legacy in-toto: --layout ROOT.layout --layout-key OWNER.pub --links DIR verifies an in-toto
v0.9 layout and its links instead (sublayouts too). Inspections run only with
--allow-inspections.

The report is a tree: policy, stages, their attestations and signers, rules and checks,
then the artifacts. --output json prints it for machines.

Exit codes: 0 everything passed; 3 verification failed; 1 bad input; 2 usage.`,
		Example: `  consign verify --policy release.signed.json --trust-root keys/owner.pub \
      --attestations att dist/acme-app-1.0.tar
  consign verify --policy release.signed.json --trust-root keys/owner.pub --attestations att \
      --vsa-key keys/gate.key --vsa-out release.vsa.intoto.jsonl dist/acme-app-1.0.tar
  consign verify --layout root.layout --layout-key owner.pub --links links dist/app`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && image.ref == "" {
				return usagef("name at least one artifact to verify (a file, or sha256:HEX), or an image with --image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if (vsaKey == "") != (vsaOut == "") {
				return usagef("--vsa-key and --vsa-out go together")
			}
			legacy := layoutPath != ""
			switch {
			case legacy && policyPath != "":
				return usagef("give --policy or --layout, not both")
			case !legacy && policyPath == "":
				return usagef("--policy is required: the signed policy to verify against (or --layout for an in-toto layout)")
			case !legacy && len(roots) == 0:
				return withHint(usagef("--trust-root is required: the product owner's public key, which signed the policy"), "the owner's key comes from the vendor, out of band; never from the policy itself")
			case !legacy && len(attestations) == 0 && image.ref == "":
				return usagef("--attestations is required: the files or directories holding the attestations")
			case legacy && (len(layoutKeys) == 0 || linksDir == ""):
				return usagef("--layout needs --layout-key and --links")
			case legacy && (len(roots) > 0 || len(attestations) > 0 || statePath != ""):
				return usagef("--trust-root, --attestations and --state go with --policy; an in-toto layout takes --layout-key and --links")
			case !legacy && (len(layoutKeys) > 0 || linksDir != "" || allowInspections):
				return usagef("--layout-key, --links and --allow-inspections go with --layout")
			}
			artifacts, err := parseArtifacts(args)
			if err != nil {
				return err
			}
			imageArtifacts, imageInputs, err := image.release(cmd.Context(), deps)
			if err != nil {
				return err
			}
			artifacts = append(artifacts, imageArtifacts...)
			var vsa *verify.VSAOptions
			if vsaKey != "" {
				signer, err := loadSigner(deps, vsaKey)
				if err != nil {
					return err
				}
				vsa = &verify.VSAOptions{Signer: signer, Version: Version(), ResourceURI: resourceURI}
			}
			var res *verify.Result
			if legacy {
				res, err = runLayoutVerify(cmd, deps, layoutPath, layoutKeys, linksDir, inspectionDir, allowInspections, artifacts, vsa)
			} else {
				var receipts verify.ReceiptChecker
				if useReceipts || logKeyPath != "" {
					if receipts, err = loadReceipts(deps, logKeyPath, logOrigin, attestations); err != nil {
						return err
					}
				}
				res, err = runPolicyVerify(cmd, deps, policyPath, roots, attestations, imageInputs, statePath, artifacts, vsa, receipts)
			}
			if err != nil {
				return err
			}
			if output == "json" {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
					return err
				}
			} else {
				fmt.Fprint(cmd.OutOrStdout(), res.Text())
			}
			if res.VSA != nil {
				b, err := json.Marshal(res.VSA)
				if err != nil {
					return err
				}
				if err := fsutil.WriteFile(vsaOut, append(b, '\n'), 0o644, true); err != nil {
					return fmt.Errorf("writing the VSA: %w", err)
				}
				result := verify.VSAFailed
				if res.Passed {
					result = verify.VSAPassed
				}
				fmt.Fprintf(deps.Stderr, "Signed a VSA (%s) about %d artifact(s) with key %s; written to %s\n", result, len(artifacts), vsa.Signer.KeyID()[:12], vsaOut)
			}
			if err := res.Err(); err != nil {
				return verifyNo(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "the signed policy (consign policy sign)")
	f.StringArrayVar(&roots, "trust-root", nil, "the product owner's public key, which signed the policy (repeatable)")
	f.StringArrayVar(&attestations, "attestations", nil, "file or directory of attestations (repeatable)")
	f.StringVar(&statePath, "state", "", "file remembering policy versions and times per product; refuses rollbacks")
	f.StringVar(&layoutPath, "layout", "", "an in-toto v0.9 root layout, instead of --policy")
	f.StringArrayVar(&layoutKeys, "layout-key", nil, "public key that signed the layout (repeatable; each must have signed)")
	f.StringVar(&linksDir, "links", "", "directory of the layout's link files")
	f.BoolVar(&allowInspections, "allow-inspections", false, "run the layout's inspection commands (they are commands the layout's author chose)")
	f.StringVar(&inspectionDir, "inspection-dir", ".", "directory the inspections run in")
	f.BoolVar(&useReceipts, "receipts", false, "check transparency-log receipts (NAME.receipts.jsonl beside each NAME.intoto.jsonl) with --log-key")
	f.StringVar(&logKeyPath, "log-key", "", "the transparency log's public key (log.vkey, or log.pub with --log-origin), for --receipts; never taken from a server")
	f.StringVar(&logOrigin, "log-origin", "", "the log's origin: pins a PEM --log-key (log.pub); a verifier key line (log.vkey) names its own")
	f.StringVar(&vsaKey, "vsa-key", "", "private key to sign a Verification Summary Attestation with")
	f.StringVar(&vsaOut, "vsa-out", "", "where to write the VSA (with --vsa-key)")
	f.StringVar(&resourceURI, "resource-uri", "", "the VSA's resourceUri (default: the first artifact's file name)")
	addOutputFlag(cmd, &output)
	image.add(cmd, "container image to verify: its manifest digest is an artifact, and its attached attestations are read too")
	return cmd
}

func runPolicyVerify(cmd *cobra.Command, deps *Deps, policyPath string, rootPaths, attestations []string, imageInputs []verify.Input, statePath string, artifacts []verify.Artifact, vsa *verify.VSAOptions, receipts verify.ReceiptChecker) (*verify.Result, error) {
	pol, err := limits.ReadFile(policyPath, limits.Envelope)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	roots, err := loadPublicKeys(rootPaths)
	if err != nil {
		return nil, err
	}
	inputs, err := verify.ReadInputs(attestations)
	if err != nil {
		return nil, err
	}
	inputs = append(inputs, imageInputs...)
	cfg := verify.Config{
		Policy: pol, PolicyName: filepath.ToSlash(policyPath), TrustRoots: roots,
		Attestations: inputs, Artifacts: artifacts, Now: deps.Now, VSA: vsa,
	}
	if receipts != nil {
		cfg.Receipts = receipts
	}
	if statePath != "" {
		cfg.State = &verify.FileState{Path: statePath}
	}
	return verify.Verify(cmd.Context(), cfg)
}

func runLayoutVerify(cmd *cobra.Command, deps *Deps, layoutPath string, keyPaths []string, linksDir, inspectionDir string, allow bool, artifacts []verify.Artifact, vsa *verify.VSAOptions) (*verify.Result, error) {
	layout, err := limits.ReadFile(layoutPath, limits.Envelope)
	if err != nil {
		return nil, fmt.Errorf("reading layout: %w", err)
	}
	keys, err := loadPublicKeys(keyPaths)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(linksDir); err != nil {
		return nil, fmt.Errorf("reading links: %w", err)
	} else if !fi.IsDir() {
		return nil, usagef("--links must be a directory")
	}
	return verify.VerifyLayout(cmd.Context(), verify.LayoutConfig{
		Layout: layout, LayoutName: filepath.ToSlash(layoutPath), LayoutKeys: keys,
		Links: os.DirFS(linksDir), LinksName: filepath.ToSlash(linksDir),
		Artifacts: artifacts, Now: deps.Now, AllowInspections: allow, InspectionDir: inspectionDir, VSA: vsa,
	})
}

func loadPublicKeys(paths []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, p := range paths {
		k, err := loadPublicKey(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// parseArtifacts reads ARTIFACT arguments: a file (hashed), sha256:HEX, or
// NAME=sha256:HEX.
func parseArtifacts(args []string) ([]verify.Artifact, error) {
	var out []verify.Artifact
	for _, a := range args {
		if _, err := os.Stat(a); err == nil {
			d, err := digest.File(a, digest.SHA256)
			if err != nil {
				return nil, fmt.Errorf("artifact %q: %w", a, err)
			}
			out = append(out, verify.Artifact{Name: filepath.ToSlash(a), Digest: d})
			continue
		}
		name, d, ok := strings.Cut(a, "=")
		if !ok {
			name, d = a, a
		}
		if !strings.Contains(d, ":") {
			return nil, fmt.Errorf("artifact %q: %w", a, os.ErrNotExist)
		}
		set, err := digest.Parse(d)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a, err)
		}
		out = append(out, verify.Artifact{Name: name, Digest: set})
	}
	return out, nil
}

// loadReceipts verifies, offline, the receipts kept beside the attestation
// files (receipt.PathFor), with the log key the user gives: a log's key is
// never taken from the log (SECURITY-CASES 39). A receipt that does not
// verify is an error; an attestation without a receipt is left to the policy
// (its signatures then count only if the key is valid now).
func loadReceipts(deps *Deps, logKeyPath, logOrigin string, attestations []string) (verify.ReceiptChecker, error) {
	if logKeyPath == "" {
		return nil, usagef("--receipts needs --log-key: the log's public key (log.vkey), obtained out of band")
	}
	logKey, err := loadLogKey(logKeyPath, logOrigin)
	if err != nil {
		return nil, err
	}
	set := receipt.NewSet(logKey, tlog.CheckpointOptions{})
	files, err := receiptFiles(attestations)
	if err != nil {
		return nil, err
	}
	found := 0
	for _, f := range files {
		data, err := limits.ReadFile(f, limits.AttestationFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading receipts: %w", err)
		}
		n, err := set.Add(data, f)
		if err != nil {
			return nil, withHint(fmt.Errorf("receipts in %s: %w", f, err), "a receipt that does not verify with the log key is never ignored; check --log-key, or fetch the receipts again")
		}
		found += n
	}
	fmt.Fprintf(deps.Stderr, "consign: %d receipt(s) verified with log key %s\n", found, logKeyPath)
	return set, nil
}

// receiptFiles names where the receipts of attestation files are kept
// (receipt.PathFor, which may not exist) and every *.receipts.jsonl in the
// directories among them.
func receiptFiles(attestations []string) ([]string, error) {
	var files []string
	for _, a := range attestations {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, receipt.PathFor(a))
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".receipts.jsonl") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
