package sbomspec

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// Config says what to scan and how. Its zero value, with a Target, is
// usable: no network, no Go toolchain, no file entries.
type Config struct {
	// Target is what to scan: a path (a directory, a file, a tar or zip
	// archive, an OCI image layout directory, an OCI archive or a
	// docker-archive tarball, told apart by their contents and names), or
	// SCHEME:TARGET to say which: dir:, file:, archive:, oci-dir:,
	// oci-archive:, docker-archive:, registry:HOST/REPO:TAG. Registry
	// credentials come from the Docker configuration (DOCKER_CONFIG or
	// ~/.docker/config.json, and its credential helpers); credentials written
	// into the reference (registry:USER:PASSWORD@HOST/REPO:TAG) are used and
	// never repeated anywhere.
	Target string
	// Name and Version name the SBOM's subject; by default the target's
	// base name (an image: its repository; a directory with a go.mod: the
	// module path, and the subject carries the module's package URL, with
	// Version) and, for an image, its tag.
	Name, Version string
	// Exclude holds syft's exclusion globs ("./testdata/**", "**/*.log").
	Exclude []string
	// IncludeFiles lists package-owned files, with their digests, as SBOM
	// entries (syft's default). By default they are left out: they bury
	// the package list and cost a hash of every owned file.
	IncludeFiles bool
	// UseGoToolchain lets syft run 'go list' on Go modules (syft's
	// golang.use-packages-lib, on by syft's default): it adds the Go module
	// dependency graph and the main module, costs several seconds per
	// module tree, and may download modules. Off by default.
	UseGoToolchain bool
	// GoModCache is the Go module cache read for what syft leaves out
	// without the toolchain: the licence files at each module's root, for
	// modules syft gave no licence, and each module's go.mod, for the
	// module requirement graph. "" is the go command's own cache
	// (GOMODCACHE, else GOPATH/pkg/mod, else ~/go/pkg/mod); a module it
	// does not hold gets neither. NoGoModCache reads none, for an SBOM
	// that depends on the target alone.
	GoModCache   string
	NoGoModCache bool
	// Epoch, when set, makes output reproducible: every timestamp is Epoch
	// and serial numbers and document namespaces derive from the content
	// (SOURCE_DATE_EPOCH). Otherwise timestamps come from Now and serial
	// numbers are random.
	Epoch *time.Time
	// Now is the clock when Epoch is nil; default time.Now.
	Now func() time.Time
	// ToolName and ToolVersion name the program making the SBOM, listed
	// next to syft (default "consign", "devel").
	ToolName, ToolVersion string
	// Profile names the profile of SBOM elements (sbomdoc.ProfileNTIA,
	// ProfileCISA, ProfileBSI, ProfileFSCT) the CycloneDX outputs should
	// meet where the scan knows the data. "" adds nothing.
	Profile string
	// Subjects asks the scan for the scanned artifacts, as attestation
	// subjects: every file of a directory (hashed), the file or archive
	// itself, an image's manifest digest.
	Subjects bool
	// Progress, if set, is called while the scan runs (see [Progress]).
	Progress func(Progress)
	// WorkDir, if set, is told of each directory the scan makes for its
	// own use (the private directory a file target is pinned in, an
	// archive's extraction): with made true as soon as it is made, before
	// anything is put in it, and with made false once the scan has
	// removed it. The scan removes them whatever happens, unless its
	// process is killed: a caller that outlives it (consign, whose
	// consign-sbom a second Ctrl-C stops at once) removes those it was
	// told of and not told removed. dir is an absolute path.
	WorkDir func(dir string, made bool)
	// MaxArchiveBytes and MaxArchiveEntries bound the extraction of an
	// archive target; 0 means limits.ArchiveBytes, limits.ArchiveEntries.
	MaxArchiveBytes   int64
	MaxArchiveEntries int
}

// ErrConfig is returned by [Config.Validate] and [Request.Validate] for a
// configuration that cannot be used.
var ErrConfig = errors.New("invalid SBOM configuration")

// ErrGoModCache is returned by [Config.Validate] for a [Config.GoModCache]
// that is not a directory; it wraps [ErrConfig].
var ErrGoModCache = fmt.Errorf("%w: Go module cache", ErrConfig)

// Validate rejects a configuration no scan can use: no target, negative
// limits, an unknown profile, or a module cache that is not a directory
// or is given with NoGoModCache. Errors wrap [ErrConfig].
func (c Config) Validate() error {
	switch {
	case c.Target == "":
		return fmt.Errorf("%w: no target", ErrConfig)
	case c.MaxArchiveBytes < 0 || c.MaxArchiveEntries < 0:
		return fmt.Errorf("%w: negative archive limits", ErrConfig)
	case c.Profile != "" && !slices.Contains(sbomdoc.ProfileNames(), c.Profile):
		return fmt.Errorf("%w: unknown profile %q (known: %s)", ErrConfig, c.Profile, strings.Join(sbomdoc.ProfileNames(), ", "))
	case c.GoModCache != "" && c.NoGoModCache:
		return fmt.Errorf("%w: a Go module cache given, and told to read none", ErrConfig)
	case c.GoModCache != "":
		if fi, err := os.Stat(c.GoModCache); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w %s: not a directory", ErrGoModCache, c.GoModCache)
		}
	}
	return nil
}

// Output is one SBOM to encode: a format, and the file it goes to.
type Output struct {
	Format Format
	// Path is the file the SBOM goes to; "" for standard output or, when
	// attesting, for the attestation alone.
	Path string
}

// Request is an SBOM job: the scan its Config describes, each of Outputs
// encoded from it, and with a Signer each JSON output that can be a
// predicate signed as an in-toto attestation.
type Request struct {
	Config
	Outputs []Output
	// Signer signs the attestations; nil makes none.
	Signer attest.Signer
	// Subjects are the attestations' subjects; nil for the scanned
	// artifacts ([Config.Subjects]).
	Subjects []attest.Subject
}

// Validate rejects a request that cannot be carried out: no outputs, two
// that go to the same file, more than one for standard output without a
// Signer, or a Signer and no output that can be attested. Errors wrap
// [ErrConfig]; the Config is checked apart ([Config.Validate]).
func (q *Request) Validate() error {
	if len(q.Outputs) == 0 {
		return fmt.Errorf("%w: no outputs", ErrConfig)
	}
	stdout, paths, attestable := 0, map[string]bool{}, false
	for _, o := range q.Outputs {
		if o.Path == "" {
			stdout++
		} else if paths[o.Path] {
			return fmt.Errorf("%w: two outputs to %q", ErrConfig, o.Path)
		}
		paths[o.Path] = true
		attestable = attestable || o.Format.PredicateType() != ""
	}
	switch {
	case q.Signer == nil && stdout > 1:
		return fmt.Errorf("%w: %d outputs to standard output", ErrConfig, stdout)
	case q.Signer != nil && !attestable:
		return fmt.Errorf("%w: a signer and no CycloneDX or SPDX JSON output to attest", ErrConfig)
	}
	return nil
}
