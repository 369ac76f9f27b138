package sbomgen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/anchore/syft/syft/format/common/cyclonedxhelpers"
	"github.com/anchore/syft/syft/pkg"
	"github.com/google/uuid"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// serialPlaceholder stands in for a reproducible SBOM's serial number
// until the content it is derived from is known.
const serialPlaceholder = "urn:uuid:00000000-0000-5000-8000-000000000000"

// consignNamespace is the UUID namespace of the serial numbers and SPDX
// document namespaces consign derives from content (RFC 9562 name-based
// UUIDs, version 5, as CycloneDX's serialNumber pattern requires).
var consignNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://consign.dev/sbom"))

// contentUUID is the version-5 UUID of content.
func contentUUID(content []byte) uuid.UUID { return uuid.NewSHA1(consignNamespace, content) }

func (r *Result) encodeCycloneDX(f sbomspec.Format) ([]byte, error) {
	version, ok := sbomdoc.CycloneDXVersion(f.Version)
	if !ok {
		return nil, fmt.Errorf("%w %q", sbomdoc.ErrUnsupportedFormat, f.String())
	}
	bom := cyclonedxhelpers.ToFormatModel(*r.s)
	r.improveCycloneDX(bom)
	if version < cyclonedx.SpecVersion1_6 {
		// cyclonedx-go does not downgrade this 1.6 reference type (as syft's own encoder does).
		dropExternalReferenceType(bom.Components, cyclonedx.ERTypeSourceDistribution)
	}
	if r.reproducible {
		bom.SerialNumber = serialPlaceholder
	}
	fileFormat := cyclonedx.BOMFileFormatJSON
	if f.Name == sbomspec.FormatCycloneDXXML {
		fileFormat = cyclonedx.BOMFileFormatXML
	}
	var buf bytes.Buffer
	enc := cyclonedx.NewBOMEncoder(&buf, fileFormat)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	// EncodeVersion copies the whole document (a gob round trip) so as not
	// to change the caller's while converting it; this document is ours, and
	// syft made it in the latest version, which needs no conversion.
	encode := func() error { return enc.EncodeVersion(bom, version) }
	if version == bom.SpecVersion {
		encode = func() error { return enc.Encode(bom) }
	}
	if err := encode(); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", f, err)
	}
	out := buf.Bytes()
	if r.reproducible {
		serial := contentUUID(out).URN()
		out = bytes.Replace(out, []byte(serialPlaceholder), []byte(serial), 1)
	}
	return out, nil
}

// improveCycloneDX fills what syft's CycloneDX writer leaves out: the
// subject's dependency edges, suppliers and hashes from package metadata,
// consign as a tool, the scan's warnings, and the chosen timestamp; and it
// keeps file entries out unless they were asked for.
func (r *Result) improveCycloneDX(bom *cyclonedx.BOM) {
	if bom.Metadata == nil {
		bom.Metadata = &cyclonedx.Metadata{}
	}
	md := bom.Metadata
	md.Timestamp = r.timestamp.Format(time.RFC3339)
	if md.Tools == nil {
		md.Tools = &cyclonedx.ToolsChoice{}
	}
	if md.Tools.Components == nil {
		md.Tools.Components = &[]cyclonedx.Component{}
	}
	*md.Tools.Components = append(*md.Tools.Components, cyclonedx.Component{
		Type: cyclonedx.ComponentTypeApplication, Name: r.toolName, Version: r.toolVersion,
	})
	if md.Component == nil {
		md.Component = &cyclonedx.Component{BOMRef: "subject", Type: cyclonedx.ComponentTypeApplication, Name: r.s.Source.Name, Version: r.s.Source.Version}
	}
	if r.mainModule != "" {
		md.Component.Type = cyclonedx.ComponentTypeApplication
		md.Component.PackageURL = goModulePURL(r.mainModule, r.s.Source.Version)
	}
	if len(r.Warnings) > 0 {
		props := []cyclonedx.Property{}
		if md.Properties != nil {
			props = *md.Properties
		}
		for _, w := range capWarnings(r.Warnings) {
			props = append(props, cyclonedx.Property{Name: "consign:scan:warning", Value: w})
		}
		md.Properties = &props
	}
	if bom.Components == nil {
		bom.Components = &[]cyclonedx.Component{}
	}
	if !r.includeFiles {
		cs := slices.DeleteFunc(*bom.Components, func(c cyclonedx.Component) bool { return c.Type == cyclonedx.ComponentTypeFile })
		bom.Components = &cs
	}
	comps := *bom.Components
	pkgs := r.s.Artifacts.Packages.Sorted()
	var dropped []string // bom-refs of components that are the subject
	var direct []string  // bom-refs of the subject's direct Go module requirements
	for i := range comps {
		p, ok := packageFor(comps, pkgs, i)
		if !ok {
			continue
		}
		c := &comps[i]
		if r.goDirect[p.ID()] {
			direct = append(direct, c.BOMRef)
		}
		if r.isMainModulePackage(p) {
			dropped = append(dropped, c.BOMRef)
			continue
		}
		if c.Supplier == nil {
			if s, ok := supplierOf(p); ok {
				c.Supplier = &cyclonedx.OrganizationalEntity{Name: s.name}
				if s.name == "" {
					c.Supplier.Name = s.email
				}
				if s.email != "" {
					c.Supplier.Contact = &[]cyclonedx.OrganizationalContact{{Email: s.email}}
				}
			}
		}
		if c.Hashes == nil {
			if hs := hashesOf(p); len(hs) > 0 {
				c.Hashes = cycloneDXHashes(hs)
			}
		}
		if d, ok := r.deployables[p.ID()]; ok {
			addDeployable(c, d, true)
		}
	}
	if len(dropped) > 0 {
		comps = slices.DeleteFunc(comps, func(c cyclonedx.Component) bool { return slices.Contains(dropped, c.BOMRef) })
		bom.Components = &comps
		bom.Dependencies = withoutRefs(bom.Dependencies, dropped)
	}
	if len(comps) == 0 {
		// Nothing found: no components array at all, rather than an empty one.
		bom.Components = nil
	}
	bom.Dependencies = subjectDependencies(md.Component.BOMRef, comps, bom.Dependencies, direct)
	r.improveForProfile(bom)
}

// packageFor returns the syft package component i was made from: syft's
// writer emits one component per package, in sorted order, before the
// operating system and any file entries.
func packageFor(comps []cyclonedx.Component, pkgs []pkg.Package, i int) (pkg.Package, bool) {
	if i >= len(pkgs) {
		return pkg.Package{}, false
	}
	p := pkgs[i]
	c := comps[i]
	if c.Type == cyclonedx.ComponentTypeFile || c.Type == cyclonedx.ComponentTypeOS || c.PackageURL != p.PURL || c.Version != p.Version {
		return pkg.Package{}, false
	}
	return p, true
}

var cycloneDXAlgorithms = map[string]cyclonedx.HashAlgorithm{
	"md5": cyclonedx.HashAlgoMD5, "sha1": cyclonedx.HashAlgoSHA1, "sha256": cyclonedx.HashAlgoSHA256,
	"sha384": cyclonedx.HashAlgoSHA384, "sha512": cyclonedx.HashAlgoSHA512,
}

func cycloneDXHashes(hs map[string]string) *[]cyclonedx.Hash {
	var out []cyclonedx.Hash
	for _, alg := range []string{"md5", "sha1", "sha256", "sha384", "sha512"} {
		if v, ok := hs[alg]; ok {
			out = append(out, cyclonedx.Hash{Algorithm: cycloneDXAlgorithms[alg], Value: v})
		}
	}
	return &out
}

// subjectDependencies returns syft's dependency entries plus the one syft
// drops (anchore/syft#3071): the subject depends on the components direct
// names (what its own manifest requires, when consign knows it), on every
// component that no other component depends on, and on any component only
// reachable through a cycle, so that every component is in the graph.
// Entries are sorted by ref, as syft sorts them.
func subjectDependencies(root string, comps []cyclonedx.Component, deps *[]cyclonedx.Dependency, direct []string) *[]cyclonedx.Dependency {
	var entries []cyclonedx.Dependency
	if deps != nil {
		entries = slices.Clone(*deps)
	}
	edges := map[string][]string{}
	dependedOn := map[string]bool{}
	for _, d := range entries {
		if d.Dependencies != nil {
			edges[d.Ref] = append(edges[d.Ref], *d.Dependencies...)
			for _, to := range *d.Dependencies {
				dependedOn[to] = true
			}
		}
	}
	var refs, top []string
	for _, c := range comps {
		if c.BOMRef == "" || c.Type == cyclonedx.ComponentTypeFile {
			continue
		}
		refs = append(refs, c.BOMRef)
		if !dependedOn[c.BOMRef] || slices.Contains(direct, c.BOMRef) {
			top = append(top, c.BOMRef)
		}
	}
	reached := map[string]bool{}
	var walk func(string)
	walk = func(ref string) {
		stack := []string{ref}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if reached[n] {
				continue
			}
			reached[n] = true
			stack = append(stack, edges[n]...)
		}
	}
	for _, t := range top {
		walk(t)
	}
	for _, ref := range refs {
		if !reached[ref] {
			top = append(top, ref)
			walk(ref)
		}
	}
	if len(top) == 0 && len(entries) == 0 {
		return nil
	}
	slices.Sort(top)
	top = slices.Compact(top)
	var dependsOn *[]string // none: the subject's entry has no dependsOn
	if len(top) > 0 {
		dependsOn = &top
	}
	entries = slices.DeleteFunc(entries, func(d cyclonedx.Dependency) bool { return d.Ref == root })
	entries = append(entries, cyclonedx.Dependency{Ref: root, Dependencies: dependsOn})
	slices.SortFunc(entries, func(a, b cyclonedx.Dependency) int { return strings.Compare(a.Ref, b.Ref) })
	return &entries
}

// withoutRefs is deps without the entries of refs and without edges to
// them: what the subject stands for depends on what they depended on.
func withoutRefs(deps *[]cyclonedx.Dependency, refs []string) *[]cyclonedx.Dependency {
	if deps == nil {
		return nil
	}
	var out []cyclonedx.Dependency
	for _, d := range *deps {
		if slices.Contains(refs, d.Ref) {
			continue
		}
		if d.Dependencies != nil {
			to := slices.DeleteFunc(slices.Clone(*d.Dependencies), func(ref string) bool { return slices.Contains(refs, ref) })
			d.Dependencies = &to
		}
		out = append(out, d)
	}
	return &out
}

func dropExternalReferenceType(components *[]cyclonedx.Component, refType cyclonedx.ExternalReferenceType) {
	if components == nil {
		return
	}
	for i := range *components {
		c := &(*components)[i]
		dropExternalReferenceType(c.Components, refType)
		if c.ExternalReferences == nil {
			continue
		}
		refs := slices.DeleteFunc(*c.ExternalReferences, func(r cyclonedx.ExternalReference) bool { return r.Type == refType })
		if len(refs) == 0 {
			c.ExternalReferences = nil
			continue
		}
		c.ExternalReferences = &refs
	}
}
