package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/sbomspec"
)

const sbomLong = `Make a software bill of materials with syft, improved where syft's defaults leave gaps.

TARGET is one of
  DIR                       a directory (an OCI image layout directory is read as an image)
  FILE                      a file; a .tar, .tar.gz, .tgz, .zip, ... archive is scanned as its contents,
                            and a tar holding an image (docker save, OCI archive) as that image
  registry:HOST/REPO:TAG    an image in a registry; credentials come from the Docker configuration
                            (DOCKER_CONFIG or ~/.docker/config.json and its credential helpers)
  dir:, file:, archive:, oci-dir:, oci-archive:, docker-archive:PATH   to say what PATH is

Formats (-o, repeatable, FORMAT or FORMAT=FILE; at most one without FILE goes to standard output):
  cyclonedx-json (default), cyclonedx-xml   CycloneDX 1.7; @1.6 ... @1.2 for older versions
  spdx-json, spdx-tagvalue                  SPDX 2.3; @2.2 for SPDX 2.2; spdx-json@3.0.1 for SPDX 3.0.1 JSON-LD
  syft-json                                 syft's own format

Compared with syft's defaults, the SBOM records the dependency edges from the scanned subject to
its components (so every component is in the dependency graph), fills each component's supplier
from what its package metadata says (Debian and Alpine maintainers, Python and npm authors, ...),
adds the package hashes lock files carry, and leaves out the file entries that bury the package
list (--include-files keeps them). Nothing reaches the network except a registry pull: remote
licence lookups are off.

Go modules are read from go.mod/go.sum without running the Go toolchain; the local Go module cache
(GOMODCACHE, else GOPATH/pkg/mod) gives each module its licence (the licence files at its root)
and its requirements (its go.mod), so the modules form a graph, as 'go mod graph' prints it.
--go-mod-cache DIR names another cache; --no-go-mod-cache reads none, for an SBOM that depends on
the target alone. --go-toolchain runs 'go list' instead, as syft does by default: the graph from
the packages' imports and the modules only dependencies' tests need; slower, and it may download.

--profile ntia|cisa-2025|bsi-tr-03183-2|fsct makes the CycloneDX outputs meet the profile where the
scan knows the data: the generation context (lifecycle), a file or archive target's SHA-512, and for
bsi-tr-03183-2 the SHA-512, file name and executable and archive properties of each component that is
a file of its own (a jar, an executable). Each output is then checked against the profile, and what
it still misses (who made the SBOM, licences, ...) is said on stderr; --strict-profile makes that
exit 3 and write nothing.

With SOURCE_DATE_EPOCH set, the output is reproducible: the same input gives the same bytes (the
module cache is input too).

--attest signs each CycloneDX or SPDX JSON output as an in-toto attestation (predicate type
https://cyclonedx.org/bom or https://spdx.dev/Document) about the scanned artifact: every file of
a directory, the archive or file itself, an image's manifest digest, or the --subject given. The
envelope is appended to --out (a .intoto.jsonl file), or printed on standard output. With
--attach and a registry: image, the image is resolved to its manifest digest once, that digest is
scanned, and the attestations are attached to it (--attach-mode, as for 'consign attest --image'),
where 'consign verify-attestation --image' and cosign verify-attestation read them.

SBOM generation is in a second binary, consign-sbom (consign with syft linked), so that consign
itself, which verifies, links no syft: 'consign sbom TARGET' runs consign-sbom of the same version,
from next to consign or from PATH ('go install github.com/consign-dev/consign/cmd/...@VERSION'
installs both), with the same arguments.

Subcommands: 'consign sbom check FILE' measures an SBOM's NTIA minimum elements, 'consign sbom
diff OLD NEW' lists what changed. A target named check or diff is written ./check or dir:check.`

const sbomExample = `  consign sbom . -o cyclonedx-json=sbom.cdx.json -o spdx-json=sbom.spdx.json
  consign sbom dist/app.tar.gz -o cyclonedx-json@1.6=sbom.json
  consign sbom registry:registry.example/acme/app:3.2.0 --attest --key ci.key --out app.intoto.jsonl
  consign sbom registry:registry.example/acme/app:3.2.0 --attest --key ci.key --attach
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) consign sbom . -o cyclonedx-xml=sbom.xml`

// NewCmdSBOM is 'consign sbom' and its 'check' and 'diff' subcommands.
func NewCmdSBOM(deps *Deps) *cobra.Command {
	var (
		fl  sbomFlags
		att sbomAttach
	)
	cmd := &cobra.Command{
		Use:     "sbom TARGET [-o FORMAT[=FILE]]... [--attest --key KEY [--out FILE]]",
		Short:   "Make an SBOM of a directory, file, archive or image, optionally signed as an attestation (runs consign-sbom)",
		Long:    sbomLong,
		Example: sbomExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				err := usagef("consign sbom takes one TARGET (a directory, file, archive or image), got %d arguments", len(args))
				if len(args) > 1 && (args[0] == "scan" || args[0] == "packages") {
					// syft scan TARGET, typed by habit.
					return withHint(err, fmt.Sprintf("syft's %s is 'consign sbom' itself: consign sbom %s", args[0], args[1]))
				}
				return err
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if deps.SBOM == nil {
				return runSBOMTool(cmd.Context(), deps)
			}
			target, err := att.pin(cmd.Context(), deps, args[0], fl.attest, fl.subjects)
			if err != nil {
				return err
			}
			req, err := fl.request(cmd.Context(), deps, target)
			if err != nil {
				return err
			}
			if stderrIsTerminal(deps) {
				req.Progress = (&progressLine{w: deps.Stderr}).update
			}
			req.WorkDir = announceWorkDirs(deps)
			made, err := deps.SBOM.Make(cmd.Context(), req)
			if err != nil {
				return err
			}
			printWarnings(deps.Stderr, made.Warnings)
			if err := fl.profile.report(deps.Stderr, made.Profiles); err != nil {
				return err
			}
			if err := writeSBOMs(cmd, deps, made, req.Signer, fl.out); err != nil {
				return err
			}
			return att.attach(cmd.Context(), deps, made.Envelopes)
		},
	}
	fl.register(cmd.Flags())
	att.add(cmd)
	cmd.AddCommand(newCmdSBOMCheck(deps), newCmdSBOMDiff(deps))
	return cmd
}

// sbomFlags are the flags of 'consign sbom'.
type sbomFlags struct {
	outputs             []string
	attest              bool
	key, out            string
	subjects            []string
	includeFiles, useGo bool
	modCache            string
	noModCache          bool
	name, version       string
	excludes            []string
	profile             sbomProfile
}

func (fl *sbomFlags) register(f *pflag.FlagSet) {
	f.StringArrayVarP(&fl.outputs, "output", "o", nil, "FORMAT or FORMAT=FILE (repeatable; default cyclonedx-json to standard output)")
	f.BoolVar(&fl.attest, "attest", false, "sign the SBOM as an in-toto attestation")
	f.StringVar(&fl.key, "key", "", "private key to sign the attestation with")
	f.StringVar(&fl.out, "out", "", "append the attestation to this .intoto.jsonl file (default: standard output)")
	f.StringArrayVar(&fl.subjects, "subject", nil, "the attestation's subject instead of the scanned artifact: FILE, DIRECTORY or NAME=sha256:HEX (repeatable)")
	f.BoolVar(&fl.includeFiles, "include-files", false, "list package-owned files, with digests, as SBOM entries")
	f.BoolVar(&fl.useGo, "go-toolchain", false, "run the Go toolchain ('go list') for Go module relationships (slower; may download)")
	f.StringVar(&fl.modCache, "go-mod-cache", "", "read Go module licences from the module cache `DIR` (default: the go command's, GOMODCACHE or GOPATH/pkg/mod)")
	f.BoolVar(&fl.noModCache, "no-go-mod-cache", false, "read no Go module cache: Go modules get only the licences the target itself holds")
	f.StringVar(&fl.name, "source-name", "", "name of the SBOM's subject (default: the target's base name or image repository)")
	f.StringVar(&fl.version, "source-version", "", "version of the SBOM's subject")
	fl.profile.register(f)
	f.StringArrayVar(&fl.excludes, "exclude", nil, "leave out paths matching this glob, as syft reads it (e.g. './testdata/**'; repeatable)")
}

// request checks the flags' combinations and turns them, the signing key
// and SOURCE_DATE_EPOCH into what [SBOMGenerator.Make] is asked to do.
func (fl *sbomFlags) request(ctx context.Context, deps *Deps, target string) (sbomspec.Request, error) {
	outs, err := parseOutputs(fl.outputs, fl.attest)
	if err != nil {
		return sbomspec.Request{}, err
	}
	if !fl.attest && (fl.key != "" || fl.out != "" || len(fl.subjects) > 0) {
		return sbomspec.Request{}, usagef("--key, --out and --subject go with --attest")
	}
	if fl.modCache != "" && fl.noModCache {
		return sbomspec.Request{}, usagef("--go-mod-cache names a module cache to read and --no-go-mod-cache reads none: give one")
	}
	if err := fl.profile.check(); err != nil {
		return sbomspec.Request{}, err
	}
	req := sbomspec.Request{Outputs: outs}
	if fl.attest {
		if !slices.ContainsFunc(outs, func(o sbomspec.Output) bool { return o.Format.PredicateType() != "" }) {
			return sbomspec.Request{}, withHint(usageErr(errors.New("--attest signs a CycloneDX or SPDX JSON SBOM, and no -o asks for one")),
				"add -o cyclonedx-json (or spdx-json)")
		}
		s, err := loadSigner(deps, fl.key)
		if err != nil {
			return sbomspec.Request{}, err
		}
		req.Signer = s
	}
	epoch, err := sourceDateEpoch(deps)
	if err != nil {
		return sbomspec.Request{}, err
	}
	if fl.attest && len(fl.subjects) > 0 {
		if req.Subjects, err = resolveSubjects(ctx, fl.subjects); err != nil {
			return sbomspec.Request{}, err
		}
	}
	req.Target, req.Name, req.Version, req.Exclude = target, fl.name, fl.version, fl.excludes
	req.IncludeFiles, req.UseGoToolchain = fl.includeFiles, fl.useGo
	req.GoModCache, req.NoGoModCache = fl.modCache, fl.noModCache
	req.Epoch, req.Now, req.ToolName, req.ToolVersion, req.Profile = epoch, deps.Now, "consign", Version(), fl.profile.name
	return req, nil
}
