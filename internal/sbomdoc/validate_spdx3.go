package sbomdoc

import (
	"fmt"
	"strconv"
	"strings"
)

// RuleModel is a rule of the SPDX 3 model that its JSON Schema does not
// express and consign enforces: from the model's SHACL shapes and the
// JSON-LD serialization's rules.
const RuleModel = "model"

// spdx3Rules checks what the SPDX 3 JSON Schema cannot:
//   - each spdxId and @id is defined once in the document: JSON-LD would
//     merge two definitions into one element with both sets of values;
//   - each blank node ("_:name") referred to is defined in the document: a
//     blank node has no meaning outside it, unlike an IRI, which may name
//     an element of another document;
//   - CreationInfo.specVersion is the version the @context names;
//   - package URLs, CPEs, hash values and licence expressions follow their
//     grammars, as in SPDX 2 ([Validate]).
func spdx3Rules(root map[string]any, version string) []Violation {
	var g grammarChecker
	wantSpec := "3.0.1"
	if version == "3.0" {
		wantSpec = "3.0.0"
	}
	defined := map[string]string{} // id -> where
	type use struct{ id, where string }
	var uses []use
	var walk func(v any, at string, key string)
	walk = func(v any, at, key string) {
		switch x := v.(type) {
		case map[string]any:
			if id := nodeID(x); id != "" && len(x) > 2 {
				idKey := "spdxId"
				if _, ok := x["spdxId"]; !ok {
					idKey = "@id"
				}
				if first, dup := defined[id]; dup {
					g.add(at+"/"+idKey, RuleModel, fmt.Sprintf("%q is defined twice (first at %s): one id, one element", id, first))
				} else {
					defined[id] = at
				}
			}
			g.spdx3Object(x, at, wantSpec)
			for k, c := range x {
				if k != "@context" {
					walk(c, at+"/"+pointerToken(k), k)
				}
			}
		case []any:
			for i, c := range x {
				walk(c, at+"/"+strconv.Itoa(i), key)
			}
		case string:
			if strings.HasPrefix(x, "_:") && key != "spdxId" && key != "@id" {
				uses = append(uses, use{x, at})
			}
		}
	}
	walk(root, "", "")
	for _, u := range uses {
		if _, ok := defined[u.id]; !ok {
			g.add(u.where, RuleModel, fmt.Sprintf("the blank node %q is not defined in the document", u.id))
		}
	}
	return g.out
}

// spdx3Object checks the grammars of one object's values.
func (g *grammarChecker) spdx3Object(x map[string]any, at, wantSpec string) {
	s := func(k string) string { v, _ := x[k].(string); return v }
	switch nodeType(x) {
	case "CreationInfo":
		if v := s("specVersion"); v != "" && v != wantSpec {
			g.add(at+"/specVersion", RuleModel, fmt.Sprintf("specVersion %q in a document whose @context is SPDX %s", v, wantSpec))
		}
	case "software_Package", "software_File", "software_Snippet":
		if p := s("software_packageUrl"); p != "" {
			g.add(at+"/software_packageUrl", RulePURL, checkPURL(p))
		}
	case "ExternalIdentifier":
		id := s("identifier")
		switch s("externalIdentifierType") {
		case "packageUrl":
			g.add(at+"/identifier", RulePURL, checkPURL(id))
		case "cpe22":
			g.add(at+"/identifier", RuleCPE, checkCPE(id, "2.2"))
		case "cpe23":
			g.add(at+"/identifier", RuleCPE, checkCPE(id, "2.3"))
		}
	case "Hash":
		if alg, v := s("algorithm"), s("hashValue"); alg != "" && v != "" {
			g.add(at+"/hashValue", RuleHash, checkHash(alg, v))
		}
	case "simplelicensing_LicenseExpression":
		if e := s("simplelicensing_licenseExpression"); e != "" {
			g.license(at+"/simplelicensing_licenseExpression", e)
		}
	}
}

func pointerToken(k string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
}
