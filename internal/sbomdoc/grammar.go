package sbomdoc

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// checkLicenseExpression checks an SPDX licence expression: its grammar
// (AND, OR, WITH, parentheses, a trailing +) and every id against the SPDX
// licence list, exceptions after WITH against the exception list;
// LicenseRef- and DocumentRef- references are allowed. It returns what is
// wrong, or "".
func checkLicenseExpression(expr string) string {
	if ok, _ := spdxexp.ValidateLicenses([]string{expr}); ok {
		return ""
	}
	for _, tok := range strings.FieldsFunc(expr, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == '\t' }) {
		switch strings.ToUpper(tok) {
		case "AND", "OR", "WITH":
			continue
		}
		if strings.HasPrefix(tok, "LicenseRef-") || strings.HasPrefix(tok, "DocumentRef-") {
			continue
		}
		id := strings.TrimSuffix(tok, "+")
		active, _ := spdxlicenses.IsActiveLicense(id)
		deprecated, _ := spdxlicenses.IsDeprecatedLicense(id)
		exception, _ := spdxlicenses.IsException(id)
		if !active && !deprecated && !exception {
			return fmt.Sprintf("%q is not on the SPDX licence list (write LicenseRef-%s for a licence that is not)", id, id)
		}
	}
	return fmt.Sprintf("%q is not a valid SPDX licence expression", expr)
}

// purlType is the grammar of a purl type.
var purlType = newPattern(`^[a-zA-Z.+-][a-zA-Z0-9.+-]*$`)

// purlQualifierKey is the grammar of a purl qualifier key.
var purlQualifierKey = newPattern(`^[a-zA-Z.\-_][a-zA-Z0-9.\-_]*$`)

// checkPURL checks a package URL against the purl specification's
// grammar, pkg:type/namespace/name@version?qualifiers#subpath: the
// scheme, a type, a name, percent-encoding, and qualifier keys. It
// returns what is wrong, or "".
func checkPURL(p string) string {
	rest, ok := strings.CutPrefix(p, "pkg:")
	if !ok {
		return "a package URL starts with pkg:"
	}
	rest, subpath, _ := strings.Cut(rest, "#")
	rest, query, _ := strings.Cut(rest, "?")
	for _, s := range []string{rest, subpath} {
		if _, err := url.PathUnescape(s); err != nil {
			return "bad percent-encoding: " + err.Error()
		}
	}
	rest = strings.TrimLeft(rest, "/")
	typ, path, ok := strings.Cut(rest, "/")
	if !ok || !purlType.MatchString(typ) {
		return "a package URL is pkg:TYPE/NAME, the type in letters, digits, '.', '+' and '-', not starting with a digit"
	}
	if i := strings.LastIndexByte(path, '@'); i >= 0 {
		if path[i+1:] == "" {
			return "the version after @ is empty"
		}
		path = path[:i]
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if segs[len(segs)-1] == "" {
		return "a package URL needs a name"
	}
	if query != "" {
		for _, kv := range strings.Split(query, "&") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !purlQualifierKey.MatchString(k) || v == "" {
				return fmt.Sprintf("qualifier %q is not KEY=VALUE with a key of letters, digits, '.', '-' and '_'", kv)
			}
			if _, err := url.QueryUnescape(v); err != nil {
				return fmt.Sprintf("qualifier %q: bad percent-encoding", kv)
			}
		}
	}
	return ""
}

// The CPE grammars of the NIST CPE 2.3 Naming Specification (NISTIR 7695):
// the formatted string binding (6.2) and the 2.2 URI binding (6.1).
var (
	cpeValue  = `(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$%&'\(\)\+,/:;<=>@\[\]\^` + "`" + `\{\|}~]))+(\?*|\*?))|[\*\-])`
	cpe23     = newPattern(`^cpe:2\.3:[aho\*\-](:` + cpeValue + `){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:` + cpeValue + `){4}$`)
	cpe22     = newPattern(`^[cC][pP][eE]:/[AHOaho]?(:[A-Za-z0-9\._\-~%]*){0,6}$`)
	hexDigits = newPattern(`^[0-9a-fA-F]+$`)
)

// checkCPE checks a CPE name against the 2.3 formatted string grammar
// ("cpe:2.3:...") or the 2.2 URI grammar ("cpe:/..."); version is "2.3",
// "2.2", or "" for either. It returns what is wrong, or "".
func checkCPE(cpe, version string) string {
	switch {
	case version != "2.2" && strings.HasPrefix(cpe, "cpe:2.3:"):
		if !cpe23.MatchString(cpe) {
			return "not a CPE 2.3 formatted string: cpe:2.3:PART:VENDOR:PRODUCT:VERSION:UPDATE:EDITION:LANGUAGE:SW_EDITION:TARGET_SW:TARGET_HW:OTHER"
		}
	case version != "2.3" && strings.HasPrefix(strings.ToLower(cpe), "cpe:/"):
		if !cpe22.MatchString(cpe) {
			return "not a CPE 2.2 URI: cpe:/PART:VENDOR:PRODUCT:VERSION:UPDATE:EDITION:LANGUAGE"
		}
	case version == "2.2":
		return "a CPE 2.2 name starts with cpe:/"
	case version == "2.3":
		return "a CPE 2.3 name starts with cpe:2.3:"
	default:
		return "a CPE name starts with cpe:2.3: (or cpe:/ for CPE 2.2)"
	}
	return ""
}

// hashLengths are the hex digits of each algorithm's digest, by the
// algorithm's normalised name (see normaliseAlgorithm).
var hashLengths = map[string]int{
	"md2": 32, "md4": 32, "md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"sha3-224": 56, "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
	"blake2b-256": 64, "blake2b-384": 96, "blake2b-512": 128, "adler32": 8,
	"streebog-256": 64, "streebog-512": 128,
}

// checkHash checks a digest's value against its algorithm: hex digits, as
// many as the algorithm makes (BLAKE3 at least 64, MD6 any). It returns
// what is wrong, or "".
func checkHash(alg, value string) string {
	if !hexDigits.MatchString(value) {
		return fmt.Sprintf("a %s digest is written in hex digits", alg)
	}
	switch n := normaliseAlgorithm(alg); n {
	case "blake3":
		if len(value) < 64 || len(value)%2 != 0 {
			return fmt.Sprintf("a BLAKE3 digest is at least 64 hex digits, not %d", len(value))
		}
	default:
		if want, ok := hashLengths[n]; ok && len(value) != want {
			return fmt.Sprintf("a %s digest is %d hex digits, not %d", alg, want, len(value))
		}
	}
	return ""
}
