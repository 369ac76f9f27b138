package sbomdoc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_2"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/consign-dev/consign/internal/limits"
)

// spdxVersions maps the SPDX versions consign reads to their short form.
var spdxVersions = map[string]string{v2_2.Version: "2.2", v2_3.Version: "2.3"}

func checkSPDXVersion(v string) (string, error) {
	if short, ok := spdxVersions[v]; ok {
		return short, nil
	}
	if v == "" {
		return "", fmt.Errorf("%w: SPDX without an spdxVersion", ErrMalformed)
	}
	return "", fmt.Errorf("%w: %s; consign reads SPDX-2.2 and SPDX-2.3", ErrUnsupportedFormat, v)
}

func decodeSPDXJSON(b []byte, version string) (*Document, error) {
	short, err := checkSPDXVersion(version)
	if err != nil {
		return nil, err
	}
	var doc v2_3.Document
	if version == v2_2.Version {
		var old v2_2.Document
		if err := json.Unmarshal(b, &old); err != nil {
			return nil, fmt.Errorf("%w: SPDX 2.2 JSON: %v", ErrMalformed, err)
		}
		if err := convert.Document(&old, &doc); err != nil {
			return nil, fmt.Errorf("%w: SPDX 2.2 JSON: %v", ErrMalformed, err)
		}
	} else if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: SPDX 2.3 JSON: %v", ErrMalformed, err)
	}
	return fromSPDX(&doc, FormatSPDXJSON, short)
}

func decodeSPDXTagValue(b []byte) (*Document, error) {
	version := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "SPDXVersion:"); ok {
			version = strings.TrimSpace(v)
			break
		}
	}
	short, err := checkSPDXVersion(version)
	if err != nil {
		return nil, err
	}
	doc, err := tagvalue.Read(bytes.NewReader(b))
	if err != nil && bytes.Contains(b, []byte("SnippetSPDXID:")) {
		// tools-golang's reader refuses a snippet that follows a package
		// rather than a file, as the SPDX specification's own 2.2 and 2.3
		// examples write it; consign reads no snippet, so it reads the
		// document again without them.
		if again, err2 := tagvalue.Read(bytes.NewReader(withoutSnippets(b))); err2 == nil {
			doc, err = again, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: SPDX %s tag-value: %v", ErrMalformed, short, err)
	}
	return fromSPDX(doc, FormatSPDXTagValue, short)
}

// withoutSnippets is a tag-value document without its snippet sections:
// from each SnippetSPDXID line to the next tag of another section.
func withoutSnippets(b []byte) []byte {
	var out bytes.Buffer
	inSnippet, inText := false, false
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		text := strings.TrimSpace(string(line))
		tag, value, _ := strings.Cut(text, ":")
		if !inText {
			switch {
			case tag == "SnippetSPDXID":
				inSnippet = true
			case inSnippet && !strings.HasPrefix(tag, "Snippet") && tag != "LicenseInfoInSnippet" && text != "" && !strings.HasPrefix(text, "#"):
				inSnippet = false
			}
			inText = strings.Contains(value, "<text>") && !strings.Contains(value, "</text>")
		} else if strings.Contains(text, "</text>") {
			inText = false
			if inSnippet {
				continue
			}
		}
		if !inSnippet {
			out.Write(line)
		}
	}
	return out.Bytes()
}

// fromSPDX reduces an SPDX document to a Document.
func fromSPDX(d *v2_3.Document, format, version string) (*Document, error) {
	if len(d.Packages) > limits.SBOMComponents || len(d.Relationships) > limits.SBOMComponents {
		return nil, fmt.Errorf("%w: %w: %d packages, %d relationships", ErrMalformed, limits.ErrTooLarge, len(d.Packages), len(d.Relationships))
	}
	doc := &Document{Format: format, SpecVersion: version, URI: d.DocumentNamespace}
	files := map[common.ElementID]bool{}
	for _, f := range d.Files {
		if f != nil {
			files[f.FileSPDXIdentifier] = true
		}
	}
	for _, p := range d.Packages {
		if p != nil {
			for _, f := range p.Files { // tag-value files follow their package
				if f != nil {
					files[f.FileSPDXIdentifier] = true
				}
			}
		}
	}
	doc.Files = len(files)
	if ci := d.CreationInfo; ci != nil {
		for _, c := range ci.Creators {
			if s := strings.TrimSpace(c.Creator); s != "" {
				doc.Authors = append(doc.Authors, strings.TrimSpace(c.CreatorType+": "+s))
				if c.CreatorType == "Tool" {
					doc.Tools = append(doc.Tools, s)
				} else if e := spdxEmail(s); e != "" {
					doc.Contacts = appendNew(doc.Contacts, e)
				}
			}
		}
		if ci.Created != "" {
			if ts, err := time.Parse(time.RFC3339, ci.Created); err == nil {
				doc.Timestamp = ts.UTC()
			}
		}
	}
	docID := "SPDXRef-" + string(d.SPDXIdentifier)
	deps := map[string][]string{}
	inGraph := map[string]bool{}
	var described []string
	edge := func(from, to string) {
		deps[from] = append(deps[from], to)
		inGraph[from], inGraph[to] = true, true
	}
	for _, r := range d.Relationships {
		if r == nil {
			continue
		}
		a, b := spdxRef(r.RefA), spdxRef(r.RefB)
		switch t := strings.ToUpper(strings.TrimSpace(r.Relationship)); {
		case t == common.TypeRelationshipDescribe && a == docID:
			described = append(described, b)
		case t == common.TypeRelationshipDescribeBy && b == docID:
			described = append(described, a)
		case t == "DEPENDS_ON", t == "CONTAINS", t == "STATIC_LINK", t == "DYNAMIC_LINK", t == "HAS_PREREQUISITE":
			edge(a, b)
		case t == "CONTAINED_BY", t == "PREREQUISITE_FOR", strings.HasSuffix(t, "DEPENDENCY_OF"):
			edge(b, a)
		}
	}
	// The package a document DESCRIBES is its subject, not one of its
	// components, when it contains or depends on others, or when it is
	// the scan's root (an empty scan's too).
	subject := spdxSubject(described, func(ref string) bool { return len(deps[ref]) > 0 })
	for _, p := range d.Packages {
		if p == nil {
			continue
		}
		doc.addSPDXPackage(spdxComponent(p), subject, deps, inGraph)
	}
	return doc, nil
}

// addSPDXPackage places an SPDX package, with its dependencies, as the
// document's subject (the package it describes, once) or a component.
func (doc *Document) addSPDXPackage(c Component, subject string, deps map[string][]string, inGraph map[string]bool) {
	c.DependsOn = sortedUnique(deps[c.Ref])
	c.InDependencyGraph = inGraph[c.Ref]
	if c.Ref == subject && doc.Subject == nil {
		doc.Subject = &c
		return
	}
	doc.Components = append(doc.Components, c)
}

// spdxSubject is the first of the described refs that contains or depends
// on others (hasDeps), else the first that is the root of a scan, else "".
func spdxSubject(described []string, hasDeps func(string) bool) string {
	for _, ref := range described {
		if hasDeps(ref) {
			return ref
		}
	}
	for _, ref := range described {
		if scanRoot(ref) {
			return ref
		}
	}
	return ""
}

// scanRoot reports whether ref names the package syft writes for what it
// scanned (SPDXRef-DocumentRoot-Directory-NAME, -File-, -Image-; in SPDX 3
// the same after the '#' of the element's IRI). The document is about that
// package even when it contains nothing, as a CycloneDX document is about
// its metadata.component: a scan that found no package is not a scan that
// found one.
func scanRoot(ref string) bool {
	if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		ref = ref[i+1:]
	}
	return strings.HasPrefix(ref, "SPDXRef-DocumentRoot-")
}

func spdxRef(id common.DocElementID) string {
	if id.SpecialID != "" {
		return id.SpecialID
	}
	ref := "SPDXRef-" + string(id.ElementRefID)
	if id.DocumentRefID != "" {
		ref = "DocumentRef-" + string(id.DocumentRefID) + ":" + ref
	}
	return ref
}

// spdxEmail is the e-mail address of an SPDX creator, supplier or
// originator written "NAME (E-MAIL)", or "".
func spdxEmail(s string) string {
	i, j := strings.LastIndexByte(s, '('), strings.LastIndexByte(s, ')')
	if i < 0 || j < i {
		return ""
	}
	e := strings.TrimSpace(s[i+1 : j])
	if !strings.Contains(e, "@") {
		return ""
	}
	return e
}

// SPDXNoValue reports whether an SPDX field value s asserts nothing: it
// is empty, NOASSERTION or NONE.
func SPDXNoValue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "NOASSERTION" || s == "NONE"
}

func spdxComponent(p *v2_3.Package) Component {
	c := Component{
		Ref:     "SPDXRef-" + string(p.PackageSPDXIdentifier),
		Type:    "package",
		Name:    p.PackageName,
		Version: p.PackageVersion,
	}
	if purpose := strings.TrimSpace(p.PrimaryPackagePurpose); purpose != "" {
		c.Type = strings.ToLower(strings.ReplaceAll(purpose, "_", "-"))
	}
	if p.PackageSupplier != nil && !SPDXNoValue(p.PackageSupplier.Supplier) {
		c.Supplier = strings.TrimSpace(p.PackageSupplier.Supplier)
	}
	for _, ref := range p.PackageExternalReferences {
		if ref == nil || strings.TrimSpace(ref.Locator) == "" {
			continue
		}
		loc := strings.TrimSpace(ref.Locator)
		switch strings.ToLower(ref.RefType) {
		case "purl":
			if c.PURL == "" {
				c.PURL = loc
			} else {
				c.OtherIDs = append(c.OtherIDs, loc)
			}
		case "cpe22type", "cpe23type":
			c.CPEs = append(c.CPEs, loc)
		case "swh", "gitoid", "swid":
			c.OtherIDs = append(c.OtherIDs, loc)
		default:
			if strings.EqualFold(strings.ReplaceAll(ref.Category, "_", "-"), "PERSISTENT-ID") {
				c.OtherIDs = append(c.OtherIDs, loc)
			}
		}
	}
	for i, l := range []string{p.PackageLicenseDeclared, p.PackageLicenseConcluded} {
		if l = strings.TrimSpace(l); !SPDXNoValue(l) {
			c.Licenses = appendNew(c.Licenses, l)
			if i == 0 {
				c.DeclaredLicenses = []string{l}
			} else {
				c.ConcludedLicenses = []string{l}
			}
		}
	}
	if !SPDXNoValue(p.PackageCopyrightText) {
		c.Copyright = strings.TrimSpace(p.PackageCopyrightText)
	}
	if !SPDXNoValue(p.PackageDownloadLocation) {
		c.DownloadURI = strings.TrimSpace(p.PackageDownloadLocation)
	}
	c.FileName = strings.TrimSpace(p.PackageFileName)
	if p.PackageSupplier != nil {
		if e := spdxEmail(p.PackageSupplier.Supplier); e != "" {
			c.Contacts = append(c.Contacts, e)
		}
	}
	if p.PackageOriginator != nil {
		if e := spdxEmail(p.PackageOriginator.Originator); e != "" {
			c.Contacts = appendNew(c.Contacts, e)
		}
	}
	for _, h := range p.PackageChecksums {
		if h.Value != "" {
			if c.Hashes == nil {
				c.Hashes = map[string]string{}
			}
			c.Hashes[normaliseAlgorithm(string(h.Algorithm))] = strings.ToLower(strings.TrimSpace(h.Value))
		}
	}
	return c
}
