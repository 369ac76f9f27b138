package sbomdoc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/consign-dev/consign/internal/limits"
)

// SPDX 3 documents are JSON-LD in the compact form the SPDX 3 JSON Schema
// describes: an @context naming the version and an @graph of objects.
// consign reads them itself, from the JSON tree, rather than with
// spdx/tools-golang's SPDX 3 model: that reader refuses a valid document
// whose relationships name an element defined in another document (the
// spdx-examples repository's example3-bin, for one), and consign must read
// every document its schema allows. Only what [Document] holds is read.

// spdx3Contexts maps the @context of each SPDX 3 version consign reads to
// its short version and the specVersion its CreationInfo states.
var spdx3Contexts = map[string]struct{ short, spec string }{
	"https://spdx.org/rdf/3.0.1/spdx-context.jsonld": {"3.0.1", "3.0.1"},
	"https://spdx.org/rdf/3.0.0/spdx-context.jsonld": {"3.0", "3.0.0"},
}

// spdx3Version reads the version of an SPDX 3 document from its @context:
// a string, or a list holding one of the SPDX contexts.
func spdx3Version(raw json.RawMessage) (short, context string, err error) {
	var ctxs []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		ctxs = []string{one}
	} else if json.Unmarshal(raw, &ctxs) != nil {
		var anyList []any
		_ = json.Unmarshal(raw, &anyList)
		for _, c := range anyList {
			if s, ok := c.(string); ok {
				ctxs = append(ctxs, s)
			}
		}
	}
	for _, c := range ctxs {
		if v, ok := spdx3Contexts[c]; ok {
			return v.short, c, nil
		}
	}
	return "", "", fmt.Errorf("%w: JSON-LD with the @context %s; consign reads SPDX 3.0 and 3.0.1 (https://spdx.org/rdf/3.0.1/spdx-context.jsonld)", ErrUnsupportedFormat, strings.TrimSpace(string(raw)))
}

// spdx3Graph is an SPDX 3 document's objects, indexed by their ids.
type spdx3Graph struct {
	nodes []map[string]any
	byID  map[string]map[string]any
}

// newSPDX3Graph indexes the objects of root: those of its @graph (or root
// itself, a document of one object), and the objects nested in them that
// have an id of their own.
func newSPDX3Graph(root map[string]any) (*spdx3Graph, error) {
	g := &spdx3Graph{byID: map[string]map[string]any{}}
	var top []any
	if list, ok := root["@graph"]; ok {
		top, ok = list.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: SPDX 3 @graph is not a list", ErrMalformed)
		}
	} else {
		top = []any{root}
	}
	if len(top) > 4*limits.SBOMComponents {
		return nil, fmt.Errorf("%w: %w: %d objects", ErrMalformed, limits.ErrTooLarge, len(top))
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		switch x := v.(type) {
		case map[string]any:
			if id := nodeID(x); id != "" {
				if _, dup := g.byID[id]; !dup {
					g.byID[id] = x
				}
			}
			if depth > 0 {
				if _, typed := x["type"]; typed && nodeID(x) != "" {
					g.nodes = append(g.nodes, x)
				}
			}
			for k, c := range x {
				if k != "@context" {
					walk(c, depth+1)
				}
			}
		case []any:
			for _, c := range x {
				walk(c, depth)
			}
		}
	}
	for _, n := range top {
		obj, ok := n.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: an SPDX 3 @graph entry is not an object", ErrMalformed)
		}
		g.nodes = append(g.nodes, obj)
		walk(obj, 0)
	}
	return g, nil
}

// nodeID is an object's spdxId, else its @id.
func nodeID(n map[string]any) string {
	if s, ok := n["spdxId"].(string); ok {
		return s
	}
	s, _ := n["@id"].(string)
	return s
}

func nodeType(n map[string]any) string { s, _ := n["type"].(string); return s }

func str(n map[string]any, key string) string {
	s, _ := n[key].(string)
	return strings.TrimSpace(s)
}

// refs lists the ids a property refers to: strings, or inline objects.
func refs(n map[string]any, key string) []string {
	var out []string
	add := func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			if id := nodeID(x); id != "" {
				out = append(out, id)
			}
		}
	}
	if list, ok := n[key].([]any); ok {
		for _, v := range list {
			add(v)
		}
	} else if v, ok := n[key]; ok {
		add(v)
	}
	return out
}

// object resolves a property holding one object, inline or by id.
func (g *spdx3Graph) object(n map[string]any, key string) map[string]any {
	switch x := n[key].(type) {
	case map[string]any:
		return x
	case string:
		return g.byID[x]
	}
	return nil
}

// objects resolves a property holding a list of objects.
func (g *spdx3Graph) objects(n map[string]any, key string) []map[string]any {
	var out []map[string]any
	list, _ := n[key].([]any)
	for _, v := range list {
		switch x := v.(type) {
		case map[string]any:
			out = append(out, x)
		case string:
			if o := g.byID[x]; o != nil {
				out = append(out, o)
			}
		}
	}
	return out
}

// decodeSPDX3JSON reads an SPDX 3.0 or 3.0.1 document, whose @context
// (as JSON) is rawContext.
func decodeSPDX3JSON(b []byte, rawContext json.RawMessage) (*Document, error) {
	short, _, err := spdx3Version(rawContext)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%w: SPDX 3 JSON-LD: %v", ErrMalformed, err)
	}
	g, err := newSPDX3Graph(root)
	if err != nil {
		return nil, err
	}
	return g.document(short)
}

// spdx3Edges are the relationship types that make dependency edges, from
// the relationship's "from" to each of its "to".
var spdx3Edges = []string{"dependsOn", "contains", "hasStaticLink", "hasDynamicLink", "hasPrerequisite", "hasProvidedDependency", "hasOptionalDependency", "hasDependencyManifest"}

func (g *spdx3Graph) document(version string) (*Document, error) {
	doc := &Document{Format: FormatSPDXJSON, SpecVersion: version}
	var spdxDoc, sbom map[string]any
	var pkgs []map[string]any
	var rels []map[string]any
	for _, n := range g.nodes {
		switch nodeType(n) {
		case "SpdxDocument":
			if spdxDoc == nil {
				spdxDoc = n
			}
		case "software_Sbom":
			if sbom == nil {
				sbom = n
			}
		case "software_Package":
			pkgs = append(pkgs, n)
		case "software_File":
			doc.Files++
		case "Relationship", "LifecycleScopedRelationship":
			rels = append(rels, n)
		}
	}
	if spdxDoc == nil {
		return nil, fmt.Errorf("%w: SPDX 3 JSON-LD without an SpdxDocument", ErrMalformed)
	}
	if len(pkgs) > limits.SBOMComponents || len(rels) > limits.SBOMComponents {
		return nil, fmt.Errorf("%w: %w: %d packages, %d relationships", ErrMalformed, limits.ErrTooLarge, len(pkgs), len(rels))
	}
	doc.URI = nodeID(spdxDoc)
	if ci := g.object(spdxDoc, "creationInfo"); ci != nil {
		g.creationInfo(ci, doc)
	}
	if sbom != nil {
		for _, t := range refs(sbom, "software_sbomType") {
			doc.Lifecycles = appendNew(doc.Lifecycles, t)
		}
	}
	deps := map[string][]string{}
	inGraph := map[string]bool{}
	declared := map[string][]string{}
	concluded := map[string][]string{}
	for _, r := range rels {
		from := refs(r, "from")
		if len(from) != 1 {
			continue
		}
		a := from[0]
		typ := str(r, "relationshipType")
		for _, b := range refs(r, "to") {
			switch {
			case slices.Contains(spdx3Edges, typ):
				deps[a] = append(deps[a], b)
				inGraph[a], inGraph[b] = true, true
			case typ == "dependencyOf", typ == "containedBy":
				deps[b] = append(deps[b], a)
				inGraph[a], inGraph[b] = true, true
			case typ == "hasDeclaredLicense":
				if l := g.licence(b, 0); l != "" {
					declared[a] = appendNew(declared[a], l)
				}
			case typ == "hasConcludedLicense":
				if l := g.licence(b, 0); l != "" {
					concluded[a] = appendNew(concluded[a], l)
				}
			}
		}
	}
	// The package the SBOM (or the document) is about is its subject when
	// it contains or depends on others, or is the scan's root, as in SPDX 2.
	var roots []string
	if sbom != nil {
		roots = refs(sbom, "rootElement")
	}
	roots = append(roots, refs(spdxDoc, "rootElement")...)
	var pkgRoots []string
	for _, r := range roots {
		if n := g.byID[r]; n != nil && nodeType(n) == "software_Package" {
			pkgRoots = append(pkgRoots, r)
		}
	}
	subject := spdxSubject(pkgRoots, func(ref string) bool { return len(deps[ref]) > 0 })
	for _, p := range pkgs {
		c := g.component(p)
		c.DeclaredLicenses, c.ConcludedLicenses = declared[c.Ref], concluded[c.Ref]
		for _, l := range append(slices.Clone(c.DeclaredLicenses), c.ConcludedLicenses...) {
			c.Licenses = appendNew(c.Licenses, l)
		}
		doc.addSPDXPackage(c, subject, deps, inGraph)
	}
	return doc, nil
}

// creationInfo reads who made the document, with which tools, and when.
func (g *spdx3Graph) creationInfo(ci map[string]any, doc *Document) {
	if ts, err := time.Parse(time.RFC3339, str(ci, "created")); err == nil {
		doc.Timestamp = ts.UTC()
	}
	for _, a := range g.objects(ci, "createdBy") {
		name := str(a, "name")
		if name == "" {
			continue
		}
		kind := strings.TrimPrefix(nodeType(a), "Software")
		if nodeType(a) == "SoftwareAgent" {
			kind = "Tool"
		}
		doc.Authors = append(doc.Authors, kind+": "+name)
		for _, e := range g.emails(a) {
			doc.Contacts = appendNew(doc.Contacts, e)
		}
	}
	for _, t := range g.objects(ci, "createdUsing") {
		if name := str(t, "name"); name != "" {
			doc.Tools = append(doc.Tools, name)
			doc.Authors = append(doc.Authors, "Tool: "+name)
		}
	}
}

// emails lists an agent's e-mail addresses (external identifiers of type
// email).
func (g *spdx3Graph) emails(agent map[string]any) []string {
	var out []string
	for _, id := range g.objects(agent, "externalIdentifier") {
		if str(id, "externalIdentifierType") == "email" && str(id, "identifier") != "" {
			out = append(out, str(id, "identifier"))
		}
	}
	return out
}

func (g *spdx3Graph) component(p map[string]any) Component {
	c := Component{
		Ref:     nodeID(p),
		Type:    "package",
		Name:    str(p, "name"),
		Version: str(p, "software_packageVersion"),
		PURL:    str(p, "software_packageUrl"),
	}
	if purpose := str(p, "software_primaryPurpose"); purpose != "" {
		c.Type = kebab(purpose)
	}
	if s := g.object(p, "suppliedBy"); s != nil {
		c.Supplier = str(s, "name")
		c.Contacts = append(c.Contacts, g.emails(s)...)
	}
	for _, o := range g.objects(p, "originatedBy") {
		for _, e := range g.emails(o) {
			c.Contacts = appendNew(c.Contacts, e)
		}
	}
	for _, id := range g.objects(p, "externalIdentifier") {
		v := str(id, "identifier")
		if v == "" {
			continue
		}
		switch str(id, "externalIdentifierType") {
		case "packageUrl":
			if c.PURL == "" {
				c.PURL = v
			} else if v != c.PURL {
				c.OtherIDs = append(c.OtherIDs, v)
			}
		case "cpe22", "cpe23":
			c.CPEs = append(c.CPEs, v)
		case "swhid", "gitoid", "swid":
			c.OtherIDs = append(c.OtherIDs, v)
		}
	}
	for _, h := range g.objects(p, "verifiedUsing") {
		if nodeType(h) == "Hash" && str(h, "hashValue") != "" {
			if c.Hashes == nil {
				c.Hashes = map[string]string{}
			}
			c.Hashes[normaliseAlgorithm(str(h, "algorithm"))] = strings.ToLower(str(h, "hashValue"))
		}
	}
	if cr := str(p, "software_copyrightText"); !SPDXNoValue(cr) {
		c.Copyright = cr
	}
	if dl := str(p, "software_downloadLocation"); !SPDXNoValue(dl) {
		c.DownloadURI = dl
	}
	return c
}

// maxLicenceDepth bounds the nesting of expanded-licensing sets read.
const maxLicenceDepth = 32

// licence is the SPDX licence expression of the licence object id: a
// simple-licensing expression, or an expanded-licensing listed or custom
// licence, set or operator, written as an expression. A licence that says
// nothing (NoAssertionLicense, NoneLicense) is "".
func (g *spdx3Graph) licence(id string, depth int) string {
	if depth > maxLicenceDepth {
		return ""
	}
	n := g.byID[id]
	if n == nil {
		// A listed licence by its IRI, https://spdx.org/licenses/MIT.
		if name, ok := strings.CutPrefix(id, "https://spdx.org/licenses/"); ok {
			return name
		}
		return ""
	}
	join := func(op string) string {
		var parts []string
		for _, m := range refs(n, "expandedlicensing_member") {
			if s := g.licence(m, depth+1); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) < 2 {
			return strings.Join(parts, "")
		}
		return "(" + strings.Join(parts, " "+op+" ") + ")"
	}
	switch nodeType(n) {
	case "simplelicensing_LicenseExpression":
		if e := str(n, "simplelicensing_licenseExpression"); !SPDXNoValue(e) {
			return e
		}
	case "expandedlicensing_ListedLicense":
		return strings.TrimPrefix(id, "https://spdx.org/licenses/")
	case "expandedlicensing_CustomLicense":
		if i := strings.LastIndex(id, "LicenseRef-"); i >= 0 {
			return id[i:]
		}
		return str(n, "name")
	case "expandedlicensing_ConjunctiveLicenseSet":
		return stripParens(join("AND"))
	case "expandedlicensing_DisjunctiveLicenseSet":
		return stripParens(join("OR"))
	case "expandedlicensing_OrLaterOperator":
		if s := g.licence(firstRef(n, "expandedlicensing_subjectLicense"), depth+1); s != "" {
			return s + "+"
		}
	case "expandedlicensing_WithAdditionOperator":
		lic := g.licence(firstRef(n, "expandedlicensing_subjectLicense"), depth+1)
		add := firstRef(n, "expandedlicensing_subjectAddition")
		if a := g.byID[add]; a != nil && str(a, "name") != "" && !strings.Contains(add, "/") {
			add = str(a, "name")
		}
		if i := strings.LastIndexAny(add, "/#"); i >= 0 {
			add = add[i+1:]
		}
		if lic != "" && add != "" {
			return lic + " WITH " + add
		}
	}
	return ""
}

func firstRef(n map[string]any, key string) string {
	if r := refs(n, key); len(r) > 0 {
		return r[0]
	}
	return ""
}

// kebab turns an SPDX 3 vocabulary value into the form CycloneDX and
// consign's types use: operatingSystem is operating-system.
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
