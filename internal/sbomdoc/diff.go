package sbomdoc

import (
	"cmp"
	"slices"
	"strings"

	"github.com/anchore/packageurl-go"
)

// Changes is what [Diff] finds between two SBOMs.
type Changes struct {
	Added   []Component `json:"added"`
	Removed []Component `json:"removed"`
	Changed []Change    `json:"changed"`
}

// Change is one component present in both SBOMs whose version or licences
// differ.
type Change struct {
	Name        string   `json:"name"` // with the group, if any
	PURL        string   `json:"purl,omitempty"`
	OldVersion  string   `json:"oldVersion"`
	NewVersion  string   `json:"newVersion"`
	OldLicenses []string `json:"oldLicenses,omitempty"`
	NewLicenses []string `json:"newLicenses,omitempty"`
}

// VersionChanged reports whether the version differs.
func (c Change) VersionChanged() bool { return c.OldVersion != c.NewVersion }

// LicensesChanged reports whether the licences differ (see [Diff]).
func (c Change) LicensesChanged() bool { return !sameLicences(c.OldLicenses, c.NewLicenses) }

// sameLicences compares two lists of licences as sets of what applies, the
// way different formats and tools write the same licences ([licenceKeys]).
func sameLicences(a, b []string) bool {
	return slices.Equal(licenceKeys(a), licenceKeys(b))
}

// licenceKeys normalises a component's licences for comparison, sorted and
// each once. The same scan written by syft as CycloneDX and as SPDX says
// one thing in several ways, each undone here:
//   - a list of licences and an AND expression of them: "MIT", "Apache-2.0"
//     (CycloneDX entries, all of which apply) and "Apache-2.0 AND MIT" (SPDX)
//     both become the conjuncts mit, apache-2.0;
//   - a licence known by the digest of its text, "sha256:HEX" in CycloneDX,
//     and "LicenseRef-HEX" in SPDX;
//   - a licence name and the LicenseRef- made from it, every character but
//     letters, digits, '.' and '-' replaced by '-' ("Expat (MIT/X11)" and
//     "LicenseRef-Expat--MIT-X11-");
//   - case, white space and enclosing parentheses.
//
// An OR or WITH expression stays whole: its parts do not each apply.
func licenceKeys(ls []string) []string {
	var out []string
	for _, l := range ls {
		for _, part := range conjuncts(l) {
			out = append(out, licenceKey(part))
		}
	}
	return sortedUnique(out)
}

// conjuncts splits a licence at its top-level ANDs, when it is an SPDX
// expression; a licence name is one conjunct, whatever it holds.
func conjuncts(l string) []string {
	l = stripParens(l)
	fields := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(l))
	if !expressionSyntax(fields) {
		return []string{l}
	}
	var out []string
	depth, start := 0, 0
	for i, f := range fields {
		switch {
		case f == "(":
			depth++
		case f == ")":
			depth--
		case depth == 0 && strings.EqualFold(f, "AND"):
			out = append(out, stripParens(strings.Join(fields[start:i], " ")))
			start = i + 1
		}
	}
	if len(out) == 0 {
		return []string{l}
	}
	return append(out, stripParens(strings.Join(fields[start:], " ")))
}

// spdxIDString is an SPDX idstring, with the "+" and the DocumentRef-'s
// ":" an expression's operands may hold.
var spdxIDString = newPattern(`^[A-Za-z0-9.+:-]+$`)

// expressionSyntax reports whether tokens (parentheses apart) have the
// shape of an SPDX licence expression: operands and AND, OR, WITH in turn,
// parentheses balanced. Which ids exist is not its question.
func expressionSyntax(tokens []string) bool {
	depth, wantOperand := 0, true
	for _, t := range tokens {
		switch {
		case t == "(":
			if !wantOperand {
				return false
			}
			depth++
		case t == ")":
			if wantOperand || depth == 0 {
				return false
			}
			depth--
		case strings.EqualFold(t, "AND"), strings.EqualFold(t, "OR"), strings.EqualFold(t, "WITH"):
			if wantOperand {
				return false
			}
			wantOperand = true
		case spdxIDString.MatchString(t):
			if !wantOperand {
				return false
			}
			wantOperand = false
		default:
			return false
		}
	}
	return len(tokens) > 0 && !wantOperand && depth == 0
}

// stripParens removes white space and the parentheses that enclose all of l.
func stripParens(l string) string {
	l = strings.TrimSpace(l)
	for len(l) > 1 && l[0] == '(' && l[len(l)-1] == ')' && balanced(l[1:len(l)-1]) {
		l = strings.TrimSpace(l[1 : len(l)-1])
	}
	return strings.Join(strings.Fields(strings.NewReplacer("( ", "(", " )", ")").Replace(l)), " ")
}

// balanced reports whether no closing parenthesis of s comes before its
// opening one, and every one opened is closed.
func balanced(s string) bool {
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// licenceKey is one conjunct's comparison key.
func licenceKey(l string) string {
	if h, ok := strings.CutPrefix(l, "sha256:"); ok && len(h) == 64 && isHex(h) {
		return strings.ToLower(h)
	}
	if ref, ok := strings.CutPrefix(l, "LicenseRef-"); ok {
		return strings.ToLower(ref)
	}
	tokens := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(l))
	if len(tokens) > 1 && expressionSyntax(tokens) || len(tokens) == 1 && checkLicenseExpression(l) == "" {
		return strings.ToLower(l)
	}
	// A name ("GPLv2+" too, which is no SPDX id): as syft makes a
	// LicenseRef- of it.
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r
		}
		return '-'
	}, l))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i]|0x20 < 'a' || s[i]|0x20 > 'f') {
			return false
		}
	}
	return true
}

// Empty reports whether the two SBOMs list the same components.
func (c *Changes) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// Diff compares the components of two SBOMs of any formats. Components
// are matched by package URL without its version, qualifiers and
// subpath (so pkg:npm/lodash@4.17.20 and @4.17.21 are one package),
// and those left unmatched by name (with the group, case-insensitive).
// Among several components of one key, equal versions pair first, and the
// rest pair newest with newest (versions compared with their numbers as
// numbers: 4.17.10 is newer than 4.17.9); whatever stays unpaired is
// added or removed.
// The subjects the SBOMs describe are not compared, nor operating systems
// unless both SBOMs list one; licences are compared as [licenceKeys]
// normalises them.
//
// Results are sorted by name, then version.
func Diff(oldDoc, newDoc *Document) *Changes {
	out := &Changes{}
	// syft lists the scanned system's distribution as a CycloneDX
	// operating-system component and not at all in SPDX 2: an operating
	// system is compared only when both SBOMs list one.
	withOS := hasOS(oldDoc) && hasOS(newDoc)
	olds := componentsOf(oldDoc, withOS)
	news := componentsOf(newDoc, withOS)
	olds, news = pairUp(olds, news, purlKey, out)
	olds, news = pairUp(olds, news, nameKey, out)
	out.Removed = append(out.Removed, olds...)
	out.Added = append(out.Added, news...)
	byLabel := func(a, b Component) int {
		return cmp.Or(cmp.Compare(a.Label(), b.Label()), cmp.Compare(a.PURL, b.PURL))
	}
	slices.SortFunc(out.Added, byLabel)
	slices.SortFunc(out.Removed, byLabel)
	slices.SortFunc(out.Changed, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.OldVersion, b.OldVersion), cmp.Compare(a.NewVersion, b.NewVersion))
	})
	if out.Added == nil {
		out.Added = []Component{}
	}
	if out.Removed == nil {
		out.Removed = []Component{}
	}
	if out.Changed == nil {
		out.Changed = []Change{}
	}
	return out
}

// TypeOperatingSystem is the component type of an operating system
// (CycloneDX "operating-system", SPDX primaryPackagePurpose
// OPERATING-SYSTEM).
const TypeOperatingSystem = "operating-system"

func hasOS(d *Document) bool {
	return slices.ContainsFunc(d.Components, func(c Component) bool { return c.Type == TypeOperatingSystem })
}

func componentsOf(d *Document, withOS bool) []Component {
	out := make([]Component, 0, len(d.Components))
	for _, c := range d.Components {
		if c.Type == TypeOperatingSystem && !withOS {
			continue
		}
		c.Licenses = sortedUnique(c.Licenses)
		out = append(out, c)
	}
	return out
}

// purlKey is a package URL without version, qualifiers and subpath; "" when
// the component has none that parses.
func purlKey(c *Component) string {
	if c.PURL == "" {
		return ""
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Type) + "/" + p.Namespace + "/" + p.Name
}

func nameKey(c *Component) string {
	if c.Name == "" {
		return ""
	}
	name := c.Name
	if c.Group != "" {
		name = c.Group + "/" + name
	}
	return strings.ToLower(name)
}

// pairUp matches olds and news by key, records the changed pairs in out,
// and returns what stays unmatched.
func pairUp(olds, news []Component, key func(*Component) string, out *Changes) (restOld, restNew []Component) {
	byKey := map[string][]int{}
	for i := range news {
		if k := key(&news[i]); k != "" {
			byKey[k] = append(byKey[k], i)
		}
	}
	usedNew := make([]bool, len(news))
	usedOld := make([]bool, len(olds))
	groups := map[string][]int{}
	var order []string
	for i := range olds {
		k := key(&olds[i])
		if k == "" || len(byKey[k]) == 0 {
			continue
		}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		oi, ni := groups[k], byKey[k]
		// Equal versions first.
		for _, o := range oi {
			for _, n := range ni {
				if !usedNew[n] && !usedOld[o] && olds[o].Version == news[n].Version {
					usedOld[o], usedNew[n] = true, true
					record(&olds[o], &news[n], out)
				}
			}
		}
		// Then the rest, newest first.
		var ro, rn []int
		for _, o := range oi {
			if !usedOld[o] {
				ro = append(ro, o)
			}
		}
		for _, n := range ni {
			if !usedNew[n] {
				rn = append(rn, n)
			}
		}
		slices.SortStableFunc(ro, func(a, b int) int { return compareVersions(olds[b].Version, olds[a].Version) })
		slices.SortStableFunc(rn, func(a, b int) int { return compareVersions(news[b].Version, news[a].Version) })
		for i := 0; i < len(ro) && i < len(rn); i++ {
			usedOld[ro[i]], usedNew[rn[i]] = true, true
			record(&olds[ro[i]], &news[rn[i]], out)
		}
	}
	for i := range olds {
		if !usedOld[i] {
			restOld = append(restOld, olds[i])
		}
	}
	for i := range news {
		if !usedNew[i] {
			restNew = append(restNew, news[i])
		}
	}
	return restOld, restNew
}

func record(o, n *Component, out *Changes) {
	if o.Version == n.Version && sameLicences(o.Licenses, n.Licenses) {
		return
	}
	name := n.Name
	if n.Group != "" {
		name = n.Group + "/" + name
	}
	purl := n.PURL
	if purl == "" {
		purl = o.PURL
	}
	out.Changed = append(out.Changed, Change{
		Name: name, PURL: purl,
		OldVersion: o.Version, NewVersion: n.Version,
		OldLicenses: o.Licenses, NewLicenses: n.Licenses,
	})
}

// compareVersions orders versions naturally: runs of digits compare as
// numbers, everything else byte by byte.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		ca, ra := versionChunk(a)
		cb, rb := versionChunk(b)
		if isDigit(ca[0]) && isDigit(cb[0]) {
			na, nb := strings.TrimLeft(ca, "0"), strings.TrimLeft(cb, "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), cmp.Compare(na, nb)); c != 0 {
				return c
			}
		} else if c := cmp.Compare(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return cmp.Compare(len(a), len(b))
}

func versionChunk(s string) (chunk, rest string) {
	i := 1
	for i < len(s) && isDigit(s[i]) == isDigit(s[0]) {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
