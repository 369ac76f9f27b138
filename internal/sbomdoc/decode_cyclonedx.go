package sbomdoc

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"

	"github.com/consign-dev/consign/internal/limits"
)

// cycloneDXVersions are the CycloneDX versions consign reads.
var cycloneDXVersions = map[string]cyclonedx.SpecVersion{
	"1.2": cyclonedx.SpecVersion1_2,
	"1.3": cyclonedx.SpecVersion1_3,
	"1.4": cyclonedx.SpecVersion1_4,
	"1.5": cyclonedx.SpecVersion1_5,
	"1.6": cyclonedx.SpecVersion1_6,
	"1.7": cyclonedx.SpecVersion1_7,
}

// CycloneDXVersion returns the cyclonedx-go constant of CycloneDX version
// v ("1.2" to "1.7"), and false for a version consign does not read.
func CycloneDXVersion(v string) (cyclonedx.SpecVersion, bool) {
	sv, ok := cycloneDXVersions[v]
	return sv, ok
}

func checkCycloneDXVersion(v string) error {
	if _, ok := cycloneDXVersions[v]; ok {
		return nil
	}
	if v == "" {
		return fmt.Errorf("%w: CycloneDX without a specVersion", ErrMalformed)
	}
	return fmt.Errorf("%w: CycloneDX %s; consign reads CycloneDX 1.2 to 1.7", ErrUnsupportedFormat, v)
}

// decodeCycloneDXJSON decodes b, whose specVersion (as JSON) is rawVersion.
func decodeCycloneDXJSON(b []byte, rawVersion json.RawMessage) (*Document, error) {
	var version string
	if rawVersion != nil {
		if err := json.Unmarshal(rawVersion, &version); err != nil {
			return nil, fmt.Errorf("%w: CycloneDX specVersion is not a string", ErrMalformed)
		}
	}
	if err := checkCycloneDXVersion(version); err != nil {
		return nil, err
	}
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(b), cyclonedx.BOMFileFormatJSON).Decode(&bom); err != nil {
		// cyclonedx-go is stricter than the schema in sections consign
		// does not read; read the document again without them.
		tolerant, terr := withoutUnreadSections(b)
		if terr != nil {
			return nil, fmt.Errorf("%w: CycloneDX %s JSON: %v", ErrMalformed, version, err)
		}
		bom = cyclonedx.BOM{}
		if terr := cyclonedx.NewBOMDecoder(bytes.NewReader(tolerant), cyclonedx.BOMFileFormatJSON).Decode(&bom); terr != nil {
			return nil, fmt.Errorf("%w: CycloneDX %s JSON: %v", ErrMalformed, version, err)
		}
	}
	return fromCycloneDX(&bom, FormatCycloneDXJSON, version)
}

// withoutUnreadSections returns a CycloneDX JSON document without the
// sections consign does not read and cyclonedx-go (v0.12.0) cannot decode
// although the schema allows them:
//   - a patent assertion's asserter given as a bom-ref string (the 1.7
//     schema allows an organisation, a person or a ref; cyclonedx-go wants
//     an object), under any component's or service's patentAssertions;
//   - a declaration's evidence data classification given as a string (the
//     1.6 and 1.7 schemas' dataClassification is a string; cyclonedx-go
//     wants an object), under declarations.
//
// Dropping services, declarations, definitions and every patentAssertions
// loses nothing consign checks or compares: it reads the metadata, the
// components and the dependencies. The document was already read strictly
// (duplicate keys, UTF-8, depth) before this second reading.
func withoutUnreadSections(b []byte) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	for _, k := range []string{"services", "declarations", "definitions"} {
		delete(doc, k)
	}
	var strip func(list any)
	strip = func(list any) {
		for _, c := range asList(list) {
			if m, ok := c.(map[string]any); ok {
				delete(m, "patentAssertions")
				strip(m["components"])
			}
		}
	}
	strip(doc["components"])
	if md, ok := doc["metadata"].(map[string]any); ok {
		strip([]any{md["component"]})
	}
	return json.Marshal(doc)
}

func decodeCycloneDXXML(b []byte, version string) (*Document, error) {
	if err := checkCycloneDXVersion(version); err != nil {
		return nil, err
	}
	var bom cyclonedx.BOM
	if err := cyclonedx.NewBOMDecoder(bytes.NewReader(b), cyclonedx.BOMFileFormatXML).Decode(&bom); err != nil {
		return nil, fmt.Errorf("%w: CycloneDX %s XML: %v", ErrMalformed, version, err)
	}
	return fromCycloneDX(&bom, FormatCycloneDXXML, version)
}

// fromCycloneDX reduces a decoded BOM to a Document.
func fromCycloneDX(bom *cyclonedx.BOM, format, version string) (*Document, error) {
	doc := &Document{Format: format, SpecVersion: version, URI: bom.SerialNumber}
	deps := map[string][]string{}
	inGraph := map[string]bool{}
	if bom.Dependencies != nil {
		if len(*bom.Dependencies) > limits.SBOMComponents {
			return nil, fmt.Errorf("%w: %w: %d dependency entries", ErrMalformed, limits.ErrTooLarge, len(*bom.Dependencies))
		}
		for _, d := range *bom.Dependencies {
			if d.Ref == "" {
				return nil, fmt.Errorf("%w: a dependency entry has no ref", ErrMalformed)
			}
			inGraph[d.Ref] = true
			if d.Dependencies != nil {
				for _, to := range *d.Dependencies {
					inGraph[to] = true
					deps[d.Ref] = append(deps[d.Ref], to)
				}
			}
		}
	}
	if md := bom.Metadata; md != nil {
		if md.Timestamp != "" {
			if ts, err := time.Parse(time.RFC3339, md.Timestamp); err == nil {
				doc.Timestamp = ts.UTC()
			}
		}
		if md.Authors != nil {
			for _, a := range *md.Authors {
				if s := contactName(a); s != "" {
					doc.Authors = append(doc.Authors, s)
				}
			}
		}
		for _, e := range []*cyclonedx.OrganizationalEntity{md.Manufacturer, md.Manufacture} {
			if s := entityName(e); s != "" {
				doc.Authors = append(doc.Authors, s)
			}
		}
		if md.Tools != nil {
			tools := toolNames(md.Tools)
			doc.Authors = append(doc.Authors, tools...)
			for _, t := range tools {
				doc.Tools = append(doc.Tools, strings.TrimPrefix(t, "Tool: "))
			}
		}
		doc.Contacts = cdxContacts(md.Authors, md.Manufacturer, md.Manufacture, md.Supplier)
		if md.Lifecycles != nil {
			for _, l := range *md.Lifecycles {
				if s := strings.TrimSpace(cmp.Or(string(l.Phase), l.Name)); s != "" {
					doc.Lifecycles = append(doc.Lifecycles, s)
				}
			}
		}
		if md.Component != nil {
			c := cdxComponent(md.Component, deps, inGraph)
			doc.Subject = &c
			if md.Component.Components != nil {
				if err := doc.addCycloneDX(*md.Component.Components, deps, inGraph); err != nil {
					return nil, err
				}
			}
		}
	}
	if bom.Components != nil {
		if err := doc.addCycloneDX(*bom.Components, deps, inGraph); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// addCycloneDX appends cs and the components nested in them, in document
// order; file components are counted, not listed.
func (doc *Document) addCycloneDX(cs []cyclonedx.Component, deps map[string][]string, inGraph map[string]bool) error {
	for i := range cs {
		c := &cs[i]
		if c.Type == cyclonedx.ComponentTypeFile {
			doc.Files++
		} else {
			doc.Components = append(doc.Components, cdxComponent(c, deps, inGraph))
		}
		if len(doc.Components)+doc.Files > limits.SBOMComponents {
			return fmt.Errorf("%w: %w: over %d components", ErrMalformed, limits.ErrTooLarge, limits.SBOMComponents)
		}
		if c.Components != nil {
			if err := doc.addCycloneDX(*c.Components, deps, inGraph); err != nil {
				return err
			}
		}
	}
	return nil
}

func cdxComponent(c *cyclonedx.Component, deps map[string][]string, inGraph map[string]bool) Component {
	out := Component{
		Ref:      c.BOMRef,
		Type:     string(c.Type),
		Name:     c.Name,
		Version:  c.Version,
		Group:    c.Group,
		Supplier: entityName(c.Supplier),
		PURL:     c.PackageURL,
	}
	if c.CPE != "" {
		out.CPEs = []string{c.CPE}
	}
	if c.SWID != nil && c.SWID.TagID != "" {
		out.OtherIDs = append(out.OtherIDs, "swid:"+c.SWID.TagID)
	}
	for _, ids := range []*[]string{c.OmniborID, c.SWHID} {
		if ids != nil {
			for _, id := range *ids {
				if id != "" {
					out.OtherIDs = append(out.OtherIDs, id)
				}
			}
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			var s string
			ack := l.Acknowledgement
			switch {
			case l.Expression != "":
				s = l.Expression
			case l.License != nil && l.License.ID != "":
				s, ack = l.License.ID, cmp.Or(ack, &l.License.Acknowledgement)
			case l.License != nil:
				s, ack = l.License.Name, cmp.Or(ack, &l.License.Acknowledgement)
			}
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			out.Licenses = appendNew(out.Licenses, s)
			if ack != nil && *ack == cyclonedx.LicenseAcknowledgementConcluded {
				out.ConcludedLicenses = appendNew(out.ConcludedLicenses, s)
			} else {
				out.DeclaredLicenses = appendNew(out.DeclaredLicenses, s)
			}
		}
	}
	cdxDetails(c, &out)
	if c.Hashes != nil {
		for _, h := range *c.Hashes {
			if h.Value != "" {
				if out.Hashes == nil {
					out.Hashes = map[string]string{}
				}
				out.Hashes[normaliseAlgorithm(string(h.Algorithm))] = strings.ToLower(strings.TrimSpace(h.Value))
			}
		}
	}
	if c.BOMRef != "" {
		out.DependsOn = sortedUnique(deps[c.BOMRef])
		out.InDependencyGraph = inGraph[c.BOMRef]
	}
	return out
}

// cdxDetails fills in what the profiles ask of a component beyond the
// NTIA elements: copyright, contacts, file name, URIs and properties.
func cdxDetails(c *cyclonedx.Component, out *Component) {
	out.Copyright = strings.TrimSpace(c.Copyright)
	out.Contacts = cdxContacts(c.Authors, c.Supplier, c.Manufacturer)
	if c.Properties != nil {
		for _, p := range *c.Properties {
			if _, seen := out.Properties[p.Name]; !seen && p.Name != "" {
				if out.Properties == nil {
					out.Properties = map[string]string{}
				}
				out.Properties[p.Name] = p.Value
			}
		}
	}
	out.FileName = strings.TrimSpace(out.Properties["bsi:component:filename"])
	if c.ExternalReferences != nil {
		for _, r := range *c.ExternalReferences {
			switch u := strings.TrimSpace(r.URL); r.Type {
			case cyclonedx.ERTypeVCS, cyclonedx.ERTypeSourceDistribution:
				out.SourceURI = cmp.Or(out.SourceURI, u)
			case cyclonedx.ERTypeDistribution, cyclonedx.ERTypeDistributionIntake:
				out.DownloadURI = cmp.Or(out.DownloadURI, u)
			}
		}
	}
}

// cdxContacts lists the e-mail addresses and URLs of people and
// organisations, each once.
func cdxContacts(people *[]cyclonedx.OrganizationalContact, orgs ...*cyclonedx.OrganizationalEntity) []string {
	var out []string
	if people != nil {
		for _, p := range *people {
			if s := strings.TrimSpace(p.Email); s != "" {
				out = appendNew(out, s)
			}
		}
	}
	for _, o := range orgs {
		if o == nil {
			continue
		}
		if o.URL != nil {
			for _, u := range *o.URL {
				if s := strings.TrimSpace(u); s != "" {
					out = appendNew(out, s)
				}
			}
		}
		if o.Contact != nil {
			out = append(out, cdxContacts(o.Contact)...)
		}
	}
	return sortedUnique(out)
}

// appendNew appends s to list unless it is there already.
func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// entityName is an organisation's name, else its first URL, else its first
// contact's name or e-mail.
func entityName(e *cyclonedx.OrganizationalEntity) string {
	if e == nil {
		return ""
	}
	if s := strings.TrimSpace(e.Name); s != "" {
		return s
	}
	if e.URL != nil {
		for _, u := range *e.URL {
			if s := strings.TrimSpace(u); s != "" {
				return s
			}
		}
	}
	if e.Contact != nil {
		for _, c := range *e.Contact {
			if s := contactName(c); s != "" {
				return s
			}
		}
	}
	return ""
}

func contactName(c cyclonedx.OrganizationalContact) string {
	if s := strings.TrimSpace(c.Name); s != "" {
		return s
	}
	return strings.TrimSpace(c.Email)
}

// toolNames lists a BOM's tools as "Tool: NAME VERSION", the way SPDX names
// its creators.
func toolNames(t *cyclonedx.ToolsChoice) []string {
	var out []string
	add := func(name, version string) {
		if s := strings.TrimSpace(name + " " + version); s != "" {
			out = append(out, "Tool: "+s)
		}
	}
	if t.Tools != nil {
		for _, x := range *t.Tools {
			add(x.Name, x.Version)
		}
	}
	if t.Components != nil {
		for _, x := range *t.Components {
			add(x.Name, x.Version)
		}
	}
	if t.Services != nil {
		for _, x := range *t.Services {
			add(x.Name, x.Version)
		}
	}
	return out
}

// normaliseAlgorithm turns CycloneDX ("SHA-256", "SHA3-256", "BLAKE2b-256")
// and SPDX ("SHA256", "SHA3_256", SPDX 3 "blake2b256") algorithm names
// into one lowercase form:
// "sha256", "sha3-256", "blake2b-256".
func normaliseAlgorithm(a string) string {
	a = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(a)), "_", "-")
	if strings.HasPrefix(a, "sha-") {
		a = "sha" + a[len("sha-"):]
	}
	if rest, ok := strings.CutPrefix(a, "blake2b"); ok && rest != "" && rest[0] != '-' {
		a = "blake2b-" + rest // SPDX 3: blake2b256
	}
	return a
}

func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
