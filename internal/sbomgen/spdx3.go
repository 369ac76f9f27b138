package sbomgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

// SPDX 3.0.1 is written from the SPDX 2.3 document consign makes of the
// scan (syft's, improved), element by element, in the JSON-LD form of the
// SPDX 3.0.1 JSON Schema: the Core, Software and SimpleLicensing profiles.
// syft writes SPDX 3.0, which BSI TR-03183-2 does not accept, and
// tools-golang's converter numbers its elements in map order, so the same
// scan would not give the same bytes; this writer derives every id from
// the document's namespace and the SPDX 2 id, and keeps document order.

const spdx3Context = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"

// spdx3Purposes maps SPDX 2.3 primary package purposes to SPDX 3.
var spdx3Purposes = map[string]string{
	"APPLICATION": "application", "FRAMEWORK": "framework", "LIBRARY": "library", "CONTAINER": "container",
	"OPERATING-SYSTEM": "operatingSystem", "DEVICE": "device", "FIRMWARE": "firmware", "SOURCE": "source",
	"ARCHIVE": "archive", "FILE": "file", "INSTALL": "install", "OTHER": "other",
}

// spdx3Relationships maps SPDX 2.3 relationship types to SPDX 3 ones, and
// whether the direction turns round.
var spdx3Relationships = map[string]struct {
	typ     string
	reverse bool
}{
	"DEPENDS_ON": {"dependsOn", false}, "DEPENDENCY_OF": {"dependsOn", true},
	"CONTAINS": {"contains", false}, "CONTAINED_BY": {"contains", true},
	"STATIC_LINK": {"hasStaticLink", false}, "DYNAMIC_LINK": {"hasDynamicLink", false},
	"HAS_PREREQUISITE": {"hasPrerequisite", false}, "PREREQUISITE_FOR": {"hasPrerequisite", true},
	"GENERATED_FROM": {"generates", true}, "GENERATES": {"generates", false},
	"DESCRIBES": {"describes", false}, "DESCRIBED_BY": {"describes", true},
	"OTHER": {"other", false},
}

type spdx3Writer struct {
	ns     string // the document namespace, ending in '#'
	graph  []map[string]any
	ids    []string // every element's id, for the document's element list
	agents map[string]string
}

func (w *spdx3Writer) add(n map[string]any) {
	n["creationInfo"] = "_:creationinfo"
	w.graph = append(w.graph, n)
	w.ids = append(w.ids, n["spdxId"].(string))
}

// id is the SPDX 3 IRI of an SPDX 2 element id.
func (w *spdx3Writer) id(ref string) string { return w.ns + "SPDXRef-" + ref }

// agent returns the id of an Organization or Person named by an SPDX 2
// supplier, originator or creator ("NAME (E-MAIL)"), adding it once.
func (w *spdx3Writer) agent(kind, value string) string {
	if sbomdoc.SPDXNoValue(value) {
		return ""
	}
	typ := "Organization"
	if kind == "Person" {
		typ = "Person"
	}
	key := typ + "\x00" + value
	if id, ok := w.agents[key]; ok {
		return id
	}
	name, email := value, ""
	if i := strings.LastIndexByte(value, '('); i >= 0 && strings.HasSuffix(value, ")") && strings.Contains(value[i:], "@") {
		name, email = strings.TrimSpace(value[:i]), strings.TrimSpace(value[i+1:len(value)-1])
	}
	if name == "" {
		name = email
	}
	id := w.ns + "SPDXRef-" + typ + "-" + shortHash(key)
	n := map[string]any{"type": typ, "spdxId": id, "name": name}
	if email != "" {
		n["externalIdentifier"] = []any{map[string]any{"type": "ExternalIdentifier", "externalIdentifierType": "email", "identifier": email}}
	}
	w.add(n)
	w.agents[key] = id
	return id
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// encodeSPDX3 writes doc as SPDX 3.0.1 JSON-LD.
func encodeSPDX3(doc *v2_3.Document) ([]byte, error) {
	if doc.CreationInfo == nil {
		return nil, fmt.Errorf("encoding spdx-json@3.0.1: no creation info")
	}
	w := &spdx3Writer{ns: strings.TrimSuffix(doc.DocumentNamespace, "#") + "#", agents: map[string]string{}}
	ci := map[string]any{"type": "CreationInfo", "@id": "_:creationinfo", "specVersion": "3.0.1", "created": doc.CreationInfo.Created}
	if doc.CreationInfo.CreatorComment != "" {
		ci["comment"] = doc.CreationInfo.CreatorComment
	}
	var createdBy, createdUsing []any
	for _, c := range doc.CreationInfo.Creators {
		if c.CreatorType == "Tool" {
			id := w.ns + "SPDXRef-Tool-" + shortHash(c.Creator)
			w.add(map[string]any{"type": "Tool", "spdxId": id, "name": c.Creator})
			createdUsing = append(createdUsing, id)
		} else if id := w.agent(c.CreatorType, c.Creator); id != "" {
			createdBy = append(createdBy, id)
		}
	}
	if len(createdBy) == 0 { // the model wants an agent: the tools' own
		id := w.ns + "SPDXRef-SoftwareAgent-consign"
		w.add(map[string]any{"type": "SoftwareAgent", "spdxId": id, "name": "consign"})
		createdBy = append(createdBy, id)
	}
	ci["createdBy"] = createdBy
	if len(createdUsing) > 0 {
		ci["createdUsing"] = createdUsing
	}
	var roots []any
	for _, r := range doc.Relationships {
		if r != nil && r.RefA.ElementRefID == "DOCUMENT" && strings.EqualFold(r.Relationship, common.TypeRelationshipDescribe) {
			roots = append(roots, w.id(string(r.RefB.ElementRefID)))
		}
	}
	for _, p := range doc.Packages {
		if p != nil {
			w.pkg(p)
		}
	}
	for _, f := range doc.Files {
		if f != nil {
			w.file(f)
		}
	}
	for i, r := range doc.Relationships {
		if r != nil {
			w.relationship(i, r)
		}
	}
	sbom := map[string]any{"type": "software_Sbom", "spdxId": w.ns + "SPDXRef-SBOM", "software_sbomType": []any{"analyzed"},
		"rootElement": roots, "element": stringsToAny(w.ids)}
	if len(roots) == 0 {
		delete(sbom, "rootElement")
	}
	w.add(sbom)
	spdxDoc := map[string]any{
		"type": "SpdxDocument", "spdxId": strings.TrimSuffix(w.ns, "#"), "name": doc.DocumentName,
		"dataLicense":        "https://spdx.org/licenses/CC0-1.0",
		"profileConformance": []any{"core", "software", "simpleLicensing"},
		"rootElement":        []any{w.ns + "SPDXRef-SBOM"},
		"element":            stringsToAny(w.ids),
	}
	w.add(spdxDoc)
	out := map[string]any{"@context": spdx3Context, "@graph": append([]map[string]any{ci}, w.graph...)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encoding spdx-json@3.0.1: %w", err)
	}
	return buf.Bytes(), nil
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (w *spdx3Writer) pkg(p *v2_3.Package) {
	id := w.id(string(p.PackageSPDXIdentifier))
	n := map[string]any{"type": "software_Package", "spdxId": id, "name": p.PackageName}
	if p.PackageVersion != "" {
		n["software_packageVersion"] = p.PackageVersion
	}
	if purpose := spdx3Purposes[strings.ToUpper(p.PrimaryPackagePurpose)]; purpose != "" {
		n["software_primaryPurpose"] = purpose
	}
	if dl := p.PackageDownloadLocation; !sbomdoc.SPDXNoValue(dl) {
		n["software_downloadLocation"] = dl
	}
	if !sbomdoc.SPDXNoValue(p.PackageCopyrightText) {
		n["software_copyrightText"] = p.PackageCopyrightText
	}
	if p.PackageHomePage != "" && !sbomdoc.SPDXNoValue(p.PackageHomePage) {
		n["software_homePage"] = p.PackageHomePage
	}
	if p.PackageSourceInfo != "" {
		n["software_sourceInfo"] = p.PackageSourceInfo
	}
	if p.PackageSupplier != nil {
		if a := w.agent(p.PackageSupplier.SupplierType, p.PackageSupplier.Supplier); a != "" {
			n["suppliedBy"] = a
		}
	}
	if p.PackageOriginator != nil {
		if a := w.agent(p.PackageOriginator.OriginatorType, p.PackageOriginator.Originator); a != "" {
			n["originatedBy"] = []any{a}
		}
	}
	var ids []any
	for _, r := range p.PackageExternalReferences {
		if r == nil || r.Locator == "" {
			continue
		}
		switch strings.ToLower(r.RefType) {
		case "purl":
			if _, set := n["software_packageUrl"]; !set {
				n["software_packageUrl"] = r.Locator
			} else {
				ids = append(ids, externalID("packageUrl", r.Locator))
			}
		case "cpe23type":
			ids = append(ids, externalID("cpe23", r.Locator))
		case "cpe22type":
			ids = append(ids, externalID("cpe22", r.Locator))
		case "swh":
			ids = append(ids, externalID("swhid", r.Locator))
		case "gitoid":
			ids = append(ids, externalID("gitoid", r.Locator))
		case "swid":
			ids = append(ids, externalID("swid", r.Locator))
		}
	}
	if len(ids) > 0 {
		n["externalIdentifier"] = ids
	}
	if hs := spdx3Hashes(p.PackageChecksums); len(hs) > 0 {
		n["verifiedUsing"] = hs
	}
	w.add(n)
	w.licence(id, "hasDeclaredLicense", p.PackageLicenseDeclared)
	w.licence(id, "hasConcludedLicense", p.PackageLicenseConcluded)
}

func (w *spdx3Writer) file(f *v2_3.File) {
	id := w.id(string(f.FileSPDXIdentifier))
	n := map[string]any{"type": "software_File", "spdxId": id, "name": f.FileName}
	if hs := spdx3Hashes(f.Checksums); len(hs) > 0 {
		n["verifiedUsing"] = hs
	}
	w.add(n)
	w.licence(id, "hasConcludedLicense", f.LicenseConcluded)
}

func externalID(typ, v string) map[string]any {
	return map[string]any{"type": "ExternalIdentifier", "externalIdentifierType": typ, "identifier": v}
}

// spdx3Hashes writes SPDX 2 checksums as SPDX 3 hashes ("SHA256" is
// "sha256", "SHA3_256" "sha3_256", "BLAKE2b-256" "blake2b256").
func spdx3Hashes(cs []common.Checksum) []any {
	var out []any
	for _, c := range cs {
		if c.Value == "" {
			continue
		}
		alg := strings.ToLower(string(c.Algorithm))
		alg = strings.NewReplacer("sha3-", "sha3_", "blake2b-", "blake2b").Replace(alg)
		out = append(out, map[string]any{"type": "Hash", "algorithm": alg, "hashValue": c.Value})
	}
	return out
}

// licence writes a licence expression as a SimpleLicensing element and the
// relationship of kind typ from the element from to it; NOASSERTION and
// NONE assert nothing and are left out.
func (w *spdx3Writer) licence(from, typ, expr string) {
	if sbomdoc.SPDXNoValue(expr) {
		return
	}
	lid := w.ns + "SPDXRef-License-" + shortHash(expr)
	if !containsString(w.ids, lid) {
		w.add(map[string]any{"type": "simplelicensing_LicenseExpression", "spdxId": lid, "simplelicensing_licenseExpression": expr})
	}
	w.add(map[string]any{"type": "Relationship", "spdxId": from + "-" + typ, "relationshipType": typ, "from": from, "to": []any{lid}})
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (w *spdx3Writer) relationship(i int, r *v2_3.Relationship) {
	m, ok := spdx3Relationships[strings.ToUpper(r.Relationship)]
	if !ok || r.RefA.ElementRefID == "" || r.RefB.ElementRefID == "" || r.RefA.DocumentRefID != "" || r.RefB.DocumentRefID != "" {
		return
	}
	a, b := string(r.RefA.ElementRefID), string(r.RefB.ElementRefID)
	if m.reverse {
		a, b = b, a
	}
	from, to := w.id(a), w.id(b)
	if a == "DOCUMENT" {
		from = strings.TrimSuffix(w.ns, "#")
	}
	if b == "DOCUMENT" {
		to = strings.TrimSuffix(w.ns, "#")
	}
	n := map[string]any{"type": "Relationship", "spdxId": fmt.Sprintf("%sSPDXRef-Relationship-%d", w.ns, i+1), "relationshipType": m.typ, "from": from, "to": []any{to}}
	if r.RelationshipComment != "" {
		n["comment"] = r.RelationshipComment
	}
	w.add(n)
}
