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
)

// Document is an SBOM of any supported format, reduced to what consign
// checks and compares. It is what [Decode] returns; nothing in it is
// trusted beyond "the SBOM says so".
type Document struct {
	Format      string `json:"format"`      // FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON or FormatSPDXTagValue
	SpecVersion string `json:"specVersion"` // "1.6", "2.3", ...
	// Authors are who made the SBOM data: CycloneDX metadata.authors,
	// manufacturer and tools; SPDX creators ("Tool: syft-1.57.1",
	// "Organization: ACME"), as written.
	Authors   []string  `json:"authors,omitempty"`
	Timestamp time.Time `json:"timestamp"` // zero if absent
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
	Type     string   `json:"type,omitempty"` // CycloneDX component type ("library", "application", ...); "package" for SPDX
	Name     string   `json:"name"`
	Version  string   `json:"version,omitempty"`
	Supplier string   `json:"supplier,omitempty"`
	Group    string   `json:"group,omitempty"` // CycloneDX group (Maven groupId, npm scope, ...); empty for SPDX
	PURL     string   `json:"purl,omitempty"`
	CPEs     []string `json:"cpes,omitempty"`
	// OtherIDs are other unique identifiers: SWID tag ids, OmniBOR ids,
	// SWHIDs, and SPDX persistent-id/swh/gitoid references.
	OtherIDs []string          `json:"otherIds,omitempty"`
	Licenses []string          `json:"licenses,omitempty"` // SPDX ids or expressions as written (CycloneDX: id, name or expression)
	Hashes   map[string]string `json:"hashes,omitempty"`   // algorithm (lowercase, e.g. "sha256", "sha3-256") -> lowercase hex
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
