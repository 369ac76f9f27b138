package sbomgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/anchore/syft/syft/format/common/spdxhelpers"
	"github.com/anchore/syft/syft/pkg"
	"github.com/spdx/tools-golang/convert"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_2"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
	"github.com/spdx/tools-golang/tagvalue"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// namespacePlaceholder stands in for a reproducible SPDX document's
// namespace UUID until the content it is derived from is known.
const namespacePlaceholder = "00000000-0000-5000-8000-000000000000"

func (r *Result) encodeSPDX(f sbomspec.Format) ([]byte, error) {
	doc := spdxhelpers.ToFormatModel(*r.s)
	if doc == nil {
		return nil, fmt.Errorf("encoding %s: syft made no SPDX document", f)
	}
	id := namespacePlaceholder
	if !r.reproducible {
		id = contentUUID([]byte(time.Now().String() + r.s.Source.ID)).String()
	}
	r.improveSPDX(doc, id)
	if f.Version == "3.0.1" {
		b, err := encodeSPDX3(doc)
		if err != nil {
			return nil, err
		}
		if r.reproducible { // the namespace is in every element's id
			b = bytes.ReplaceAll(b, []byte(namespacePlaceholder), []byte(contentUUID(b).String()))
		}
		return b, nil
	}
	var out any = doc
	if f.Version == "2.2" {
		old := &v2_2.Document{}
		if err := convert.Document(doc, old); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", f, err)
		}
		out = old
	}
	var buf bytes.Buffer
	if f.Name == sbomspec.FormatSPDXTagValue {
		if err := tagvalue.Write(out, &buf); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", f, err)
		}
	} else {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", f, err)
		}
	}
	b := buf.Bytes()
	if r.reproducible {
		b = bytes.Replace(b, []byte(namespacePlaceholder), []byte(contentUUID(b).String()), 1)
	}
	return b, nil
}

// improveSPDX sets the creation time, adds consign as a creator, names the
// document in consign's namespace, fills suppliers and checksums syft
// left as NOASSERTION or empty, and notes the scan's warnings.
func (r *Result) improveSPDX(doc *v2_3.Document, id string) {
	if doc.CreationInfo == nil {
		doc.CreationInfo = &v2_3.CreationInfo{}
	}
	ci := doc.CreationInfo
	ci.Created = r.timestamp.Format(time.RFC3339)
	ci.Creators = append(ci.Creators, common.Creator{CreatorType: "Tool", Creator: r.toolName + "-" + r.toolVersion})
	if len(r.Warnings) > 0 {
		ci.CreatorComment = "consign scan warnings (these paths were not catalogued):\n" + strings.Join(capWarnings(r.Warnings), "\n")
	}
	kind := "dir"
	switch r.Kind {
	case KindFile, KindArchive:
		kind = "file"
	case KindOCIDir, KindOCIArchive, KindDockerArchive, KindRegistry:
		kind = "image"
	}
	doc.DocumentNamespace = fmt.Sprintf("https://consign.dev/spdxdocs/%s/%s-%s", kind, url.PathEscape(strings.ToLower(doc.DocumentName)), id)

	if !r.includeFiles {
		// syft lists the files that show where each package was found;
		// like CycloneDX file entries, they stay out unless asked for.
		files := map[string]bool{}
		for _, f := range doc.Files {
			if f != nil {
				files[string(f.FileSPDXIdentifier)] = true
			}
		}
		doc.Files = nil
		doc.Relationships = slices.DeleteFunc(doc.Relationships, func(rel *v2_3.Relationship) bool {
			return rel == nil || files[string(rel.RefA.ElementRefID)] || files[string(rel.RefB.ElementRefID)]
		})
	}
	if r.mainModule != "" {
		r.spdxMainModule(doc)
	}
	byID := map[string]pkg.Package{}
	for p := range r.s.Artifacts.Packages.Enumerate() {
		byID[string(p.ID())] = p
	}
	for _, sp := range doc.Packages {
		if sp == nil {
			continue
		}
		sid := string(sp.PackageSPDXIdentifier)
		p, ok := byID[sid[strings.LastIndex(sid, "-")+1:]]
		if !ok {
			continue
		}
		if sp.PackageSupplier == nil || sbomdoc.SPDXNoValue(sp.PackageSupplier.Supplier) {
			if s, ok := supplierOf(p); ok {
				typ := "Person"
				if s.org {
					typ = "Organization"
				}
				name := s.name
				switch {
				case name == "":
					name = s.email
				case s.email != "":
					name += " (" + s.email + ")"
				}
				sp.PackageSupplier = &common.Supplier{SupplierType: typ, Supplier: name}
			}
		}
		if len(sp.PackageChecksums) == 0 {
			hs := hashesOf(p)
			for _, alg := range []string{"md5", "sha1", "sha256", "sha384", "sha512"} {
				if v, ok := hs[alg]; ok {
					sp.PackageChecksums = append(sp.PackageChecksums, common.Checksum{Algorithm: common.ChecksumAlgorithm(strings.ToUpper(alg)), Value: v})
				}
			}
		}
	}
}

// spdxMainModule makes the package the document DESCRIBES the Go main
// module (see mainmodule.go): its package URL and purpose, and no second
// package for the module itself.
func (r *Result) spdxMainModule(doc *v2_3.Document) {
	var root string
	for _, rel := range doc.Relationships {
		if rel != nil && rel.RefA.ElementRefID == "DOCUMENT" && rel.Relationship == common.TypeRelationshipDescribe {
			root = string(rel.RefB.ElementRefID)
		}
	}
	dropped := map[string]bool{}
	for p := range r.s.Artifacts.Packages.Enumerate() {
		if r.isMainModulePackage(p) {
			dropped[string(p.ID())] = true
		}
	}
	// syft's package identifiers end in "-" and the package's ID.
	isDropped := func(id common.ElementID) bool {
		s := string(id)
		return dropped[s[strings.LastIndex(s, "-")+1:]] && s != root
	}
	doc.Packages = slices.DeleteFunc(doc.Packages, func(sp *v2_3.Package) bool {
		if sp == nil {
			return false
		}
		if string(sp.PackageSPDXIdentifier) == root {
			sp.PrimaryPackagePurpose = "APPLICATION"
			sp.PackageExternalReferences = append(sp.PackageExternalReferences, &v2_3.PackageExternalReference{
				Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL,
				Locator: goModulePURL(r.mainModule, r.s.Source.Version),
			})
			return false
		}
		return isDropped(sp.PackageSPDXIdentifier)
	})
	if len(dropped) > 0 {
		doc.Relationships = slices.DeleteFunc(doc.Relationships, func(rel *v2_3.Relationship) bool {
			return rel != nil && (isDropped(rel.RefA.ElementRefID) || isDropped(rel.RefB.ElementRefID))
		})
	}
}
