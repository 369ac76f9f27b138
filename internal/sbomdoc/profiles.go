package sbomdoc

import (
	"slices"
	"strings"
)

// Element checks shared by the profiles.
func hasSupplier(c *Component) bool    { return strings.TrimSpace(c.Supplier) != "" }
func hasName(c *Component) bool        { return strings.TrimSpace(c.Name) != "" }
func hasVersion(c *Component) bool     { return strings.TrimSpace(c.Version) != "" }
func hasIdentifier(c *Component) bool  { return c.PURL != "" || len(c.CPEs) > 0 || len(c.OtherIDs) > 0 }
func inGraph(c *Component) bool        { return c.InDependencyGraph }
func hasHash(c *Component) bool        { return len(c.Hashes) > 0 }
func hasLicense(c *Component) bool     { return len(c.Licenses) > 0 }
func hasSHA512(c *Component) bool      { return c.Hashes["sha512"] != "" }
func hasCopyright(c *Component) bool   { return !SPDXNoValue(c.Copyright) }
func hasTimestamp(d *Document) bool    { return !d.Timestamp.IsZero() }
func hasAuthor(d *Document) bool       { return len(d.Authors) > 0 }
func hasTool(d *Document) bool         { return len(d.Tools) > 0 }
func hasLifecycle(d *Document) bool    { return len(d.Lifecycles) > 0 }
func hasSubject(d *Document) bool      { return d.Subject != nil }
func hasContact(d *Document) bool      { return len(d.Contacts) > 0 }
func hasDeclared(c *Component) bool    { return len(c.DeclaredLicenses) > 0 }
func hasConcluded(c *Component) bool   { return len(c.ConcludedLicenses) > 0 }
func hasFileName(c *Component) bool    { return c.FileName != "" }
func hasCompContact(c *Component) bool { return len(c.Contacts) > 0 }

// hasPersonAuthor: an author that is not (only) a tool.
func hasPersonAuthor(d *Document) bool {
	return slices.ContainsFunc(d.Authors, func(a string) bool { return !strings.HasPrefix(a, "Tool: ") })
}

// hasProperty reports whether a component holds a BSI taxonomy flag with
// one of its allowed values.
func hasProperty(name string, values ...string) func(c *Component) bool {
	return func(c *Component) bool { return slices.Contains(values, c.Properties[name]) }
}

// bsiFormat: BSI TR-03183-2 v2.1 accepts CycloneDX 1.6 or later and SPDX
// 3.0.1 or later.
func bsiFormat(d *Document) bool {
	switch d.Format {
	case FormatCycloneDXJSON, FormatCycloneDXXML:
		return d.SpecVersion >= "1.6"
	case FormatSPDXJSON:
		return d.SpecVersion == "3.0.1"
	}
	return false
}

func docElem(name, what string, f func(*Document) bool) ProfileElement {
	return ProfileElement{Name: name, What: what, doc: f}
}

func compElem(name, what string, f func(*Component) bool) ProfileElement {
	return ProfileElement{Name: name, What: what, Component: true, comp: f}
}

var profiles = map[string]*Profile{
	ProfileNTIA: {Name: ProfileNTIA, Title: "NTIA minimum elements (2021)", Elements: []ProfileElement{
		compElem("supplier", "a supplier name (CycloneDX supplier; SPDX PackageSupplier other than NOASSERTION)", hasSupplier),
		compElem("name", "a component name", hasName),
		compElem("version", "a component version", hasVersion),
		compElem("identifiers", "another unique identifier: a purl, a CPE, a SWID tag id, an OmniBOR id or a SWHID", hasIdentifier),
		compElem("dependencies", "the component is in the dependency graph (CycloneDX dependencies; SPDX DEPENDS_ON, CONTAINS, ...)", inGraph),
		docElem("author", "the author of the SBOM data: a person, an organisation or a tool", hasAuthor),
		docElem("timestamp", "when the SBOM data was assembled, a valid date-time", hasTimestamp),
	}},
	ProfileCISA: {Name: ProfileCISA, Title: "CISA minimum elements (2025)", Elements: []ProfileElement{
		docElem("sbom-author", "who made the SBOM: a person or organisation, not only a tool", hasPersonAuthor),
		compElem("software-producer", "the component's producer or supplier", hasSupplier),
		compElem("component-name", "a component name", hasName),
		compElem("component-version", "a component version", hasVersion),
		compElem("software-identifiers", "a purl, a CPE or another unique identifier", hasIdentifier),
		compElem("component-hash", "a cryptographic hash of the component", hasHash),
		compElem("license", "the component's licence", hasLicense),
		compElem("dependency-relationship", "the component is in the dependency graph", inGraph),
		docElem("tool-name", "the tool that made the SBOM (CycloneDX metadata.tools; SPDX Tool: creator)", hasTool),
		docElem("timestamp", "when the SBOM was made, a valid date-time", hasTimestamp),
		docElem("generation-context", "when in the software's life it was made (CycloneDX metadata.lifecycles; SPDX 3 software_sbomType; SPDX 2 cannot say)", hasLifecycle),
	}},
	ProfileBSI: {Name: ProfileBSI, Title: "BSI TR-03183-2 v2.1", Elements: []ProfileElement{
		docElem("format", "CycloneDX 1.6 or later, or SPDX 3.0.1", bsiFormat),
		docElem("sbom-creator", "an e-mail address or URL of the SBOM's creator (CycloneDX authors, manufacturer or supplier; SPDX creator \"(e-mail)\")", hasContact),
		docElem("timestamp", "when the SBOM was made, a valid date-time", hasTimestamp),
		compElem("component-creator", "an e-mail address or URL of the component's creator (CycloneDX supplier, manufacturer or authors; SPDX supplier or originator \"(e-mail)\")", hasCompContact),
		compElem("component-name", "a component name", hasName),
		compElem("component-version", "a component version", hasVersion),
		compElem("filename", "the component's file name (CycloneDX property bsi:component:filename; SPDX packageFileName)", hasFileName),
		compElem("dependencies", "the component is in the dependency graph", inGraph),
		compElem("distribution-licences", "declared licences (CycloneDX acknowledgement declared; SPDX licenseDeclared)", hasDeclared),
		compElem("concluded-licences", "concluded licences (CycloneDX acknowledgement concluded; SPDX licenseConcluded)", hasConcluded),
		compElem("hash-sha512", "a SHA-512 hash of the deployable component", hasSHA512),
		compElem("executable-property", "bsi:component:executable, executable or non-executable", hasProperty("bsi:component:executable", "executable", "non-executable")),
		compElem("archive-property", "bsi:component:archive, archive or no archive", hasProperty("bsi:component:archive", "archive", "no archive")),
		compElem("structured-property", "bsi:component:structured, structured or unstructured", hasProperty("bsi:component:structured", "structured", "unstructured")),
		compElem("uris", "where its source code or its deployable form is (CycloneDX vcs, source-distribution or distribution reference; SPDX downloadLocation)", func(c *Component) bool { return c.SourceURI != "" || c.DownloadURI != "" }),
	}},
	ProfileFSCT: {Name: ProfileFSCT, Title: "Framing Software Component Transparency, 3rd edition (2024), baseline", Elements: []ProfileElement{
		docElem("sbom-author", "the author of the SBOM data", hasAuthor),
		docElem("timestamp", "when the SBOM was made, a valid date-time", hasTimestamp),
		docElem("primary-component", "the component the SBOM describes (CycloneDX metadata.component; SPDX DESCRIBES)", hasSubject),
		compElem("component-name", "a component name", hasName),
		compElem("version", "a component version", hasVersion),
		compElem("supplier-name", "a supplier name", hasSupplier),
		compElem("unique-identifier", "a purl, a CPE or another unique identifier", hasIdentifier),
		compElem("cryptographic-hash", "a cryptographic hash of the component", hasHash),
		compElem("relationships", "the component is in the dependency graph", inGraph),
		compElem("license", "the component's licence", hasLicense),
		compElem("copyright-notice", "the component's copyright notice (CycloneDX copyright; SPDX copyrightText)", hasCopyright),
	}},
}
