package sbomdoc

import (
	"time"
)

// SBOM formats, as [Document.Format] names them.
const (
	FormatCycloneDXJSON = "cyclonedx-json"
	FormatCycloneDXXML  = "cyclonedx-xml"
	FormatSPDXJSON      = "spdx-json"
	FormatSPDXTagValue  = "spdx-tagvalue"
	FormatSyftJSON      = "syft-json" // syft's own format, read for check and diff
)

// Document is an SBOM of any supported format, reduced to what consign
// checks and compares. It is what [Decode] returns; nothing in it is
// trusted beyond "the SBOM says so".
type Document struct {
	Format      string `json:"format"`      // FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTagValue or FormatSyftJSON
	SpecVersion string `json:"specVersion"` // "1.6", "2.3", ...; syft JSON's schema version
	// Authors are who made the SBOM data: CycloneDX metadata.authors,
	// manufacturer and tools; SPDX creators ("Tool: syft-1.57.1",
	// "Organization: ACME"), as written.
	Authors   []string  `json:"authors,omitempty"`
	Timestamp time.Time `json:"timestamp"` // zero if absent
	// Tools are the tools that made the SBOM, "NAME VERSION" (CycloneDX
	// metadata.tools, SPDX "Tool:" creators); they are among Authors too.
	Tools []string `json:"tools,omitempty"`
	// Contacts are e-mail addresses and URLs of who made the SBOM data
	// (CycloneDX authors, manufacturer and supplier; SPDX creators'
	// "(e-mail)").
	Contacts []string `json:"contacts,omitempty"`
	// Lifecycles say when in the software's life the SBOM was made, the
	// generation context (CycloneDX metadata.lifecycles: "build",
	// "post-build", ...). SPDX 2 has no such field.
	Lifecycles []string `json:"lifecycles,omitempty"`
	// URI names this SBOM (CycloneDX serialNumber, SPDX documentNamespace).
	URI string `json:"uri,omitempty"`
	// Subject is what the SBOM describes (CycloneDX metadata.component, the
	// SPDX package the document DESCRIBES when it contains others); nil if
	// the SBOM names none. It is not among Components.
	Subject *Component `json:"subject,omitempty"`
	// Components are the software components the SBOM lists, nested ones
	// included, in document order. CycloneDX components of type "file" are
	// file entries, not components, and are counted in Files instead, as
	// SPDX keeps its files apart from its packages.
	Components []Component `json:"components"`
	Files      int         `json:"files"`
}

// Component is one component (CycloneDX) or package (SPDX).
type Component struct {
	Ref      string   `json:"ref,omitempty"`  // bom-ref or SPDXID
	Type     string   `json:"type,omitempty"` // CycloneDX component type ("library", "application", ...); SPDX primaryPackagePurpose lowercased ("operating-system"), else "package"
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	Supplier string   `json:"supplier,omitempty"`
	Group    string   `json:"group,omitempty"` // CycloneDX group (Maven groupId, npm scope, ...); empty for SPDX
	PURL     string   `json:"purl,omitempty"`
	CPEs     []string `json:"cpes,omitempty"`
	// OtherIDs are other unique identifiers: SWID tag ids, OmniBOR ids,
	// SWHIDs, and SPDX persistent-id/swh/gitoid references.
	OtherIDs []string `json:"otherIds,omitempty"`
	Licenses []string `json:"licenses,omitempty"` // SPDX ids or expressions as written (CycloneDX: id, name or expression)
	// DeclaredLicenses and ConcludedLicenses split Licenses by who says so:
	// the component's authors (SPDX licenseDeclared; CycloneDX licences
	// acknowledged "declared", or not acknowledged at all) or whoever
	// analysed it (SPDX licenseConcluded; CycloneDX "concluded").
	DeclaredLicenses  []string `json:"declaredLicenses,omitempty"`
	ConcludedLicenses []string `json:"concludedLicenses,omitempty"`
	Copyright         string   `json:"copyright,omitempty"` // CycloneDX copyright, SPDX copyrightText
	// Contacts are e-mail addresses and URLs of the component's supplier,
	// manufacturer or authors (SPDX: a supplier's or originator's "(e-mail)").
	Contacts []string `json:"contacts,omitempty"`
	// FileName is the component's file name (SPDX packageFileName,
	// CycloneDX property bsi:component:filename).
	FileName string `json:"fileName,omitempty"`
	// SourceURI is where its source code is (CycloneDX "vcs" or
	// "source-distribution" reference); DownloadURI where its deployable
	// form is (CycloneDX "distribution" reference, SPDX downloadLocation).
	SourceURI   string `json:"sourceUri,omitempty"`
	DownloadURI string `json:"downloadUri,omitempty"`
	// Properties are CycloneDX name-value properties (the first value of
	// each name): the BSI taxonomy's bsi:component:executable, archive,
	// structured and filename among them.
	Properties map[string]string `json:"properties,omitempty"`
	Hashes     map[string]string `json:"hashes,omitempty"` // algorithm (lowercase, e.g. "sha256", "sha3-256") -> lowercase hex
	// DependsOn holds the refs this component depends on (CycloneDX
	// dependencies, SPDX DEPENDS_ON, *_DEPENDENCY_OF, CONTAINS and link
	// relationships), sorted.
	DependsOn []string `json:"dependsOn,omitempty"`
	// InDependencyGraph reports whether the component appears in the
	// dependency graph at all, on either end of an edge or as an entry of
	// its own: then its relationships are known, even if it has none.
	InDependencyGraph bool `json:"inDependencyGraph"`
}

// Label is how reports name a component: name@version, the name alone, or
// the ref when it has no name.
func (c *Component) Label() string {
	name := c.Name
	if c.Group != "" {
		name = c.Group + "/" + name
	}
	switch {
	case name == "":
		return c.Ref
	case c.Version == "":
		return name
	}
	return name + "@" + c.Version
}
