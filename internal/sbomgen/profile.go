package sbomgen

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/artifact"
	syftsbom "github.com/anchore/syft/syft/sbom"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

// What [sbomspec.Config.Profile] adds to consign's SBOMs, where the scan knows it:
//
//   - every profile: the generation context (CycloneDX 1.5+ metadata
//     lifecycles: pre-build for a directory, which holds sources and
//     manifests; post-build for a file, an archive or an image), next to
//     the timestamp and the tools consign always writes;
//   - every profile: the SHA-512 of a file or archive target, the SBOM's
//     subject;
//   - bsi-tr-03183-2: for each component that is a file of its own in the
//     scanned tree (an archive or an executable that no other package was
//     also found in), the SHA-512 of that file, and for it and a file or
//     archive subject, the file's name and whether it is an executable and
//     an archive (the bsi:component:* properties).
//
// What the scan cannot know (who made the SBOM and how to reach them, the
// licences a person concluded, whether a component is "structured") is
// left out, and [Make] reports it, from a check of the output itself.

// deployable is a file that is a component's deployable form.
type deployable struct {
	name       string // base name
	sha512     string
	executable bool
	archive    bool
}

// maxProbe is how much of a file is read to tell what it is.
const maxProbe = 8

// probeDeployable hashes the regular file at p if it is an archive or an
// executable; ok is false for any other file, or one that cannot be read.
func probeDeployable(p string) (d deployable, ok bool) {
	d, ok = probeFile(p)
	return d, ok && (d.executable || d.archive)
}

// probeFile hashes the regular file at p and tells whether it is an
// archive or an executable; ok is false if it cannot be read.
func probeFile(p string) (d deployable, ok bool) {
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return d, false
	}
	f, err := os.Open(p)
	if err != nil {
		return d, false
	}
	defer f.Close()
	head := make([]byte, maxProbe)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	d.executable, d.archive = kindOf(head, filepath.Base(p))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return d, false
	}
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return d, false
	}
	d.name, d.sha512 = filepath.Base(p), hex.EncodeToString(h.Sum(nil))
	return d, true
}

// kindOf tells executables (ELF, PE, Mach-O) and archives (zip and the
// Java, Python and Android archives that are zips, gzip, bzip2, xz, zstd,
// tar) apart by their first bytes; a tar by its name, as its magic is at
// offset 257.
func kindOf(head []byte, name string) (executable, archive bool) {
	for _, m := range [][]byte{{0x7f, 'E', 'L', 'F'}, {'M', 'Z'}, {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}} {
		if bytes.HasPrefix(head, m) {
			return true, false
		}
	}
	for _, m := range [][]byte{{'P', 'K', 3, 4}, {0x1f, 0x8b}, {'B', 'Z', 'h'}, {0xfd, '7', 'z', 'X', 'Z', 0}, {0x28, 0xb5, 0x2f, 0xfd}} {
		if bytes.HasPrefix(head, m) {
			return false, true
		}
	}
	return false, strings.HasSuffix(name, ".tar")
}

// findDeployables returns, for each package found in exactly one file
// under root that no other package was found in, that file when it is an
// archive or an executable: a Go binary or a fat jar holds many packages
// and is the deployable form of none of them alone.
func findDeployables(s *syftsbom.SBOM, root string) map[artifact.ID]deployable {
	owners := map[string][]artifact.ID{}
	for p := range s.Artifacts.Packages.Enumerate() {
		paths := map[string]bool{}
		for _, l := range p.Locations.ToSlice() {
			paths[l.RealPath] = true
		}
		if len(paths) != 1 {
			continue
		}
		for rp := range paths {
			owners[rp] = append(owners[rp], p.ID())
		}
	}
	out := map[artifact.ID]deployable{}
	for rp, ids := range owners {
		if len(ids) != 1 {
			continue
		}
		clean := path.Clean("/" + rp) // RealPath is relative to root; never outside it
		if d, ok := probeDeployable(filepath.Join(root, filepath.FromSlash(clean))); ok {
			out[ids[0]] = d
		}
	}
	return out
}

// BSI TR-03183-2's CycloneDX property names.
const (
	bsiFilename   = "bsi:component:filename"
	bsiExecutable = "bsi:component:executable"
	bsiArchive    = "bsi:component:archive"
)

// addDeployable writes d into a CycloneDX component: its SHA-512 (unless
// it has one) and, with bsi, the BSI file properties.
func addDeployable(c *cyclonedx.Component, d deployable, bsi bool) {
	hashes := []cyclonedx.Hash{}
	if c.Hashes != nil {
		hashes = *c.Hashes
	}
	has := false
	for _, h := range hashes {
		has = has || h.Algorithm == cyclonedx.HashAlgoSHA512
	}
	if !has {
		hashes = append(hashes, cyclonedx.Hash{Algorithm: cyclonedx.HashAlgoSHA512, Value: d.sha512})
		c.Hashes = &hashes
	}
	if !bsi {
		return
	}
	props := []cyclonedx.Property{}
	if c.Properties != nil {
		props = *c.Properties
	}
	exe, arc := "non-executable", "no archive"
	if d.executable {
		exe = "executable"
	}
	if d.archive {
		arc = "archive"
	}
	props = append(props,
		cyclonedx.Property{Name: bsiFilename, Value: d.name},
		cyclonedx.Property{Name: bsiExecutable, Value: exe},
		cyclonedx.Property{Name: bsiArchive, Value: arc})
	c.Properties = &props
}

// lifecycle is the generation context of a scan of kind.
func lifecycle(kind string) cyclonedx.LifecyclePhase {
	if kind == KindDir {
		return cyclonedx.LifecyclePhasePreBuild
	}
	return cyclonedx.LifecyclePhasePostBuild
}

// improveForProfile adds to a CycloneDX BOM what [sbomspec.Config.Profile] asks
// for and the scan knows (see the top of this file).
func (r *Result) improveForProfile(bom *cyclonedx.BOM) {
	if r.profile == "" {
		return
	}
	md := bom.Metadata
	md.Lifecycles = &[]cyclonedx.Lifecycle{{Phase: lifecycle(r.Kind)}}
	if r.subjectFile != nil && md.Component != nil {
		addDeployable(md.Component, *r.subjectFile, r.profile == sbomdoc.ProfileBSI)
	}
	// The components' files are added where improveCycloneDX matches
	// components to packages.
}
