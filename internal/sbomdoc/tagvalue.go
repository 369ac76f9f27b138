package sbomdoc

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RuleTagValue is the SPDX 2 tag-value grammar: each line a known tag and
// its value, values of their form, tags in their section, required tags
// present and single-valued tags once.
const RuleTagValue = "tag-value"

// The SPDX 2.2 and 2.3 tag-value grammar (the specification's clauses 6–12
// and its tag-value annex), as consign checks it. spdx/tools-golang's
// tag-value reader stops at its first error, names no line, and accepts
// tags it does not know; consign reports every violation with its line.

// Sections of a tag-value document: a tag belongs to one, and a section
// starts at its first tag (PackageName, FileName, SnippetSPDXID, LicenseID,
// Annotator; Relationship lines may stand anywhere).
const (
	tvDocument = "document"
	tvPackage  = "package"
	tvFile     = "file"
	tvSnippet  = "snippet"
	tvLicense  = "other licensing information"
	tvAnywhere = "any"
)

// tvTag is what the grammar says of one tag.
type tvTag struct {
	section string
	multi   bool     // may appear more than once in its section
	value   *pattern // the form of its value, nil for free text
	form    string   // the form, for messages
	since   string   // the first version with the tag ("" for 2.2)
}

var (
	tvSPDXRef  = newPattern(`^SPDXRef-[A-Za-z0-9.-]+$`)
	tvElemRef  = newPattern(`^((DocumentRef-[A-Za-z0-9.-]+:)?SPDXRef-[A-Za-z0-9.-]+|NONE|NOASSERTION)$`)
	tvDate     = newPattern(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	tvBool     = newPattern(`^(true|false)$`)
	tvAgent    = newPattern(`^(Person|Organization): .+$|^NOASSERTION$`)
	tvCreator  = newPattern(`^(Person|Organization|Tool): .+$`)
	tvChecksum = newPattern(`^(SHA1|SHA224|SHA256|SHA384|SHA512|SHA3-256|SHA3-384|SHA3-512|BLAKE2b-256|BLAKE2b-384|BLAKE2b-512|BLAKE3|MD2|MD4|MD5|MD6|ADLER32): [0-9A-Fa-f]+$`)
	// The specification's own examples write the excluded files without
	// "excludes:", "HEX(./package.spdx)"; both forms are allowed.
	tvVerif    = newPattern(`^[0-9a-fA-F]{40}\s*(\((excludes:)?.*\))?$`)
	tvRange    = newPattern(`^\d+:\d+$`)
	tvLicRef   = newPattern(`^LicenseRef-[A-Za-z0-9.-]+$`)
	tvExtDoc   = newPattern(`^DocumentRef-[A-Za-z0-9.-]+ \S+ SHA1: [0-9a-fA-F]{40}$`)
	tvFileType = newPattern(`^(SOURCE|BINARY|ARCHIVE|APPLICATION|AUDIO|IMAGE|TEXT|VIDEO|DOCUMENTATION|SPDX|OTHER)$`)
	tvPurpose  = newPattern(`^(APPLICATION|FRAMEWORK|LIBRARY|CONTAINER|OPERATING-SYSTEM|DEVICE|FIRMWARE|SOURCE|ARCHIVE|FILE|INSTALL|OTHER)$`)
	tvAnnType  = newPattern(`^(REVIEW|OTHER)$`)
	tvVersion  = newPattern(`^SPDX-2\.[23]$`)
	tvDataLic  = newPattern(`^CC0-1\.0$`)
	tvURI      = newPattern(`^[A-Za-z][A-Za-z0-9+.-]*:\S+$`)
)

var tvTags = map[string]tvTag{
	// 6. Document creation information.
	"SPDXVersion":         {section: tvDocument, value: tvVersion, form: "SPDX-2.2 or SPDX-2.3"},
	"DataLicense":         {section: tvDocument, value: tvDataLic, form: "CC0-1.0"},
	"DocumentName":        {section: tvDocument},
	"DocumentNamespace":   {section: tvDocument, value: tvURI, form: "a URI"},
	"ExternalDocumentRef": {section: tvDocument, multi: true, value: tvExtDoc, form: "DocumentRef-ID URI SHA1: 40 hex digits"},
	"LicenseListVersion":  {section: tvDocument, value: newPattern(`^\d+\.\d+$`), form: "MAJOR.MINOR"},
	"Creator":             {section: tvDocument, multi: true, value: tvCreator, form: "Person: NAME, Organization: NAME or Tool: NAME"},
	"Created":             {section: tvDocument, value: tvDate, form: "YYYY-MM-DDThh:mm:ssZ"},
	"CreatorComment":      {section: tvDocument},
	"DocumentComment":     {section: tvDocument},
	// 7. Package information.
	"PackageName":                 {section: tvPackage},
	"PackageVersion":              {section: tvPackage},
	"PackageFileName":             {section: tvPackage},
	"PackageSupplier":             {section: tvPackage, value: tvAgent, form: "Person: NAME, Organization: NAME or NOASSERTION"},
	"PackageOriginator":           {section: tvPackage, value: tvAgent, form: "Person: NAME, Organization: NAME or NOASSERTION"},
	"PackageDownloadLocation":     {section: tvPackage},
	"FilesAnalyzed":               {section: tvPackage, value: tvBool, form: "true or false"},
	"PackageVerificationCode":     {section: tvPackage, value: tvVerif, form: "40 hex digits, optionally (excludes: FILES)"},
	"PackageChecksum":             {section: tvPackage, multi: true, value: tvChecksum, form: "ALGORITHM: HEX"},
	"PackageHomePage":             {section: tvPackage},
	"PackageSourceInfo":           {section: tvPackage},
	"PackageLicenseConcluded":     {section: tvPackage},
	"PackageLicenseInfoFromFiles": {section: tvPackage, multi: true},
	"PackageLicenseDeclared":      {section: tvPackage},
	"PackageLicenseComments":      {section: tvPackage},
	"PackageCopyrightText":        {section: tvPackage},
	"PackageSummary":              {section: tvPackage},
	"PackageDescription":          {section: tvPackage},
	"PackageComment":              {section: tvPackage},
	"ExternalRef":                 {section: tvPackage, multi: true, value: newPattern(`^(SECURITY|PACKAGE-MANAGER|PACKAGE_MANAGER|PERSISTENT-ID|PERSISTENT_ID|OTHER) \S+ \S+$`), form: "CATEGORY TYPE LOCATOR"},
	"ExternalRefComment":          {section: tvPackage, multi: true},
	"PackageAttributionText":      {section: tvPackage, multi: true},
	"PrimaryPackagePurpose":       {section: tvPackage, value: tvPurpose, form: "APPLICATION, FRAMEWORK, LIBRARY, ...", since: "2.3"},
	"ReleaseDate":                 {section: tvPackage, value: tvDate, form: "YYYY-MM-DDThh:mm:ssZ", since: "2.3"},
	"BuiltDate":                   {section: tvPackage, value: tvDate, form: "YYYY-MM-DDThh:mm:ssZ", since: "2.3"},
	"ValidUntilDate":              {section: tvPackage, value: tvDate, form: "YYYY-MM-DDThh:mm:ssZ", since: "2.3"},
	// 8. File information.
	"FileName":            {section: tvFile},
	"FileType":            {section: tvFile, multi: true, value: tvFileType, form: "SOURCE, BINARY, ARCHIVE, ..."},
	"FileChecksum":        {section: tvFile, multi: true, value: tvChecksum, form: "ALGORITHM: HEX"},
	"LicenseConcluded":    {section: tvFile},
	"LicenseInfoInFile":   {section: tvFile, multi: true},
	"LicenseComments":     {section: tvFile},
	"FileCopyrightText":   {section: tvFile},
	"FileComment":         {section: tvFile},
	"FileNotice":          {section: tvFile},
	"FileContributor":     {section: tvFile, multi: true},
	"FileAttributionText": {section: tvFile, multi: true},
	"FileDependency":      {section: tvFile, multi: true},
	// 9. Snippet information.
	"SnippetSPDXID":           {section: tvSnippet, value: tvSPDXRef, form: "SPDXRef-ID"},
	"SnippetFromFileSPDXID":   {section: tvSnippet, value: tvElemRef, form: "SPDXRef-ID"},
	"SnippetByteRange":        {section: tvSnippet, value: tvRange, form: "START:END"},
	"SnippetLineRange":        {section: tvSnippet, value: tvRange, form: "START:END"},
	"SnippetLicenseConcluded": {section: tvSnippet},
	"LicenseInfoInSnippet":    {section: tvSnippet, multi: true},
	"SnippetLicenseComments":  {section: tvSnippet},
	"SnippetCopyrightText":    {section: tvSnippet},
	"SnippetComment":          {section: tvSnippet},
	"SnippetName":             {section: tvSnippet},
	"SnippetAttributionText":  {section: tvSnippet, multi: true},
	// 10. Other licensing information.
	"LicenseID":             {section: tvLicense, value: tvLicRef, form: "LicenseRef-ID"},
	"ExtractedText":         {section: tvLicense},
	"LicenseName":           {section: tvLicense},
	"LicenseCrossReference": {section: tvLicense, multi: true},
	"LicenseComment":        {section: tvLicense},
	// 11. Relationships and 12. annotations.
	"Relationship":        {section: tvAnywhere, multi: true},
	"RelationshipComment": {section: tvAnywhere, multi: true},
	"Annotator":           {section: tvAnywhere, multi: true, value: tvCreator, form: "Person: NAME, Organization: NAME or Tool: NAME"},
	"AnnotationDate":      {section: tvAnywhere, multi: true, value: tvDate, form: "YYYY-MM-DDThh:mm:ssZ"},
	"AnnotationType":      {section: tvAnywhere, multi: true, value: tvAnnType, form: "REVIEW or OTHER"},
	"SPDXREF":             {section: tvAnywhere, multi: true, value: tvElemRef, form: "SPDXRef-ID"},
	"AnnotationComment":   {section: tvAnywhere, multi: true},
	// SPDXID names the document, a package or a file, where it stands.
	"SPDXID": {section: tvAnywhere, value: tvSPDXRef, form: "SPDXRef-ID"},
}

// tvRelationshipTypes are SPDX 2.3's relationship types (2.2's and
// REQUIREMENT_DESCRIPTION_FOR, SPECIFICATION_FOR).
var tvRelationshipTypes = strings.Fields(`DESCRIBES DESCRIBED_BY CONTAINS CONTAINED_BY DEPENDS_ON DEPENDENCY_OF
DEPENDENCY_MANIFEST_OF BUILD_DEPENDENCY_OF DEV_DEPENDENCY_OF OPTIONAL_DEPENDENCY_OF PROVIDED_DEPENDENCY_OF
TEST_DEPENDENCY_OF RUNTIME_DEPENDENCY_OF EXAMPLE_OF GENERATES GENERATED_FROM ANCESTOR_OF DESCENDANT_OF
VARIANT_OF DISTRIBUTION_ARTIFACT PATCH_FOR PATCH_APPLIED COPY_OF FILE_ADDED FILE_DELETED FILE_MODIFIED
EXPANDED_FROM_ARCHIVE DYNAMIC_LINK STATIC_LINK DATA_FILE_OF TEST_CASE_OF BUILD_TOOL_OF DEV_TOOL_OF TEST_OF
TEST_TOOL_OF DOCUMENTATION_OF OPTIONAL_COMPONENT_OF METAFILE_OF PACKAGE_OF AMENDS PREREQUISITE_FOR
HAS_PREREQUISITE REQUIREMENT_DESCRIPTION_FOR SPECIFICATION_FOR OTHER`)

// tvRequired are the tags each section must have.
var tvRequired = map[string][]string{
	tvDocument: {"SPDXVersion", "DataLicense", "SPDXID", "DocumentName", "DocumentNamespace", "Creator", "Created"},
	tvPackage:  {"PackageName", "SPDXID", "PackageDownloadLocation"},
	tvFile:     {"FileName", "SPDXID", "FileChecksum"},
	tvSnippet:  {"SnippetSPDXID", "SnippetFromFileSPDXID", "SnippetByteRange"},
	tvLicense:  {"LicenseID", "ExtractedText"},
}

// tvSectionStart maps the tags that open a section to it.
var tvSectionStart = map[string]string{"PackageName": tvPackage, "FileName": tvFile, "SnippetSPDXID": tvSnippet, "LicenseID": tvLicense}

// tagValueSyntax checks b, an SPDX tag-value document of version (2.2 or
// 2.3), against the grammar; each violation names its line.
func tagValueSyntax(b []byte, version string) []Violation {
	var g grammarChecker
	type section struct {
		kind  string
		line  int
		seen  map[string]int
		label string
	}
	var sections []*section
	cur := &section{kind: tvDocument, line: 1, seen: map[string]int{}, label: "the document"}
	sections = append(sections, cur)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	textStart, textTag := 0, ""
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		where := "line " + strconv.Itoa(n)
		if textStart > 0 {
			if strings.Contains(line, "</text>") {
				textStart = 0
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		tag, value, ok := strings.Cut(trimmed, ":")
		if !ok || tag == "" || strings.ContainsAny(tag, " \t") {
			g.add(where, RuleTagValue, fmt.Sprintf("%q is not TAG: VALUE", clip(trimmed)))
			continue
		}
		value = strings.TrimSpace(value)
		spec, known := tvTags[tag]
		if !known {
			g.add(where, RuleTagValue, fmt.Sprintf("unknown tag %q", tag))
			continue
		}
		if spec.since != "" && version < spec.since {
			g.add(where, RuleTagValue, fmt.Sprintf("%s is a tag of SPDX %s, not %s", tag, spec.since, version))
		}
		if strings.HasPrefix(value, "<text>") {
			if !strings.Contains(value, "</text>") {
				textStart, textTag = n, tag
			}
			value = "" // free text: no form to check
		} else if spec.value != nil && !spec.value.MatchString(value) {
			g.add(where, RuleTagValue, fmt.Sprintf("%s %q is not %s", tag, clip(value), spec.form))
		}
		if kind, opens := tvSectionStart[tag]; opens {
			cur = &section{kind: kind, line: n, seen: map[string]int{}, label: fmt.Sprintf("the %s at line %d", kind, n)}
			sections = append(sections, cur)
		} else if tag == "Annotator" || tag == "Relationship" {
			// an annotation or a relationship, after any section
		} else if spec.section != tvAnywhere && spec.section != cur.kind {
			g.add(where, RuleTagValue, fmt.Sprintf("%s belongs to %s information, not to %s", tag, spec.section, cur.label))
			continue
		}
		if first, dup := cur.seen[tag]; dup && !spec.multi {
			g.add(where, RuleTagValue, fmt.Sprintf("%s appears twice in %s (first at line %d)", tag, cur.label, first))
		} else if !dup {
			cur.seen[tag] = n
		}
		if tag == "Relationship" && value != "" {
			g.relationship(where, value)
		}
	}
	if textStart > 0 {
		g.add("line "+strconv.Itoa(textStart), RuleTagValue, fmt.Sprintf("the <text> of %s is never closed with </text>", textTag))
	}
	for _, s := range sections {
		for _, req := range tvRequired[s.kind] {
			if _, ok := s.seen[req]; !ok {
				g.add("line "+strconv.Itoa(s.line), RuleTagValue, fmt.Sprintf("%s lacks %s", s.label, req))
			}
		}
	}
	return g.out
}

// relationship checks "A TYPE B": element references and a known type.
func (g *grammarChecker) relationship(where, value string) {
	f := strings.Fields(value)
	if len(f) != 3 {
		g.add(where, RuleTagValue, fmt.Sprintf("Relationship %q is not ELEMENT TYPE ELEMENT", clip(value)))
		return
	}
	if !tvElemRef.MatchString(f[0]) || !tvElemRef.MatchString(f[2]) {
		g.add(where, RuleTagValue, fmt.Sprintf("Relationship %q: elements are SPDXRef-ID, DocumentRef-ID:SPDXRef-ID, NONE or NOASSERTION", clip(value)))
	}
	if !slices.Contains(tvRelationshipTypes, f[1]) {
		g.add(where, RuleTagValue, fmt.Sprintf("Relationship type %q is not one of SPDX's (DESCRIBES, CONTAINS, DEPENDS_ON, ...)", f[1]))
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
