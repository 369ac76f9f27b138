package sbomdoc

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Elements checked, in report order: the NTIA minimum elements (supplier,
// name, version, unique identifiers, dependency relationships, author of
// the SBOM data, timestamp), then hashes and licences.
const (
	ElemSupplier     = "supplier"
	ElemName         = "name"
	ElemVersion      = "version"
	ElemIdentifiers  = "identifiers"
	ElemDependencies = "dependencies"
	ElemAuthor       = "author"
	ElemTimestamp    = "timestamp"
	ElemHashes       = "hashes"
	ElemLicenses     = "licenses"
)

// Elements lists the Elem* constants in report order.
var Elements = []string{ElemSupplier, ElemName, ElemVersion, ElemIdentifiers, ElemDependencies, ElemAuthor, ElemTimestamp, ElemHashes, ElemLicenses}

// Coverage is how well an SBOM covers one element.
//
// For a component element, Covered of Total components have it, and
// Missing names the ones that do not (name@version, sorted, each once).
// For a document element (author, timestamp), Total is 1 and Covered is 1
// or 0, so Percent is 100 or 0. An SBOM with no components covers no
// component element: Percent is 0, never a vacuous 100.
type Coverage struct {
	Element string   `json:"element"`
	Covered int      `json:"covered"`
	Total   int      `json:"total"`
	Percent float64  `json:"percent"`
	Missing []string `json:"missing,omitempty"`
}

// Report is the result of [Check].
type Report struct {
	Components int        `json:"components"`
	Coverage   []Coverage `json:"coverage"` // one per element, in the order of [Elements]
}

// Check measures doc against the NTIA minimum elements, plus hashes and
// licences. What counts, per component:
//   - supplier: a supplier (CycloneDX supplier name, URL or contact; SPDX
//     PackageSupplier other than NOASSERTION);
//   - name, version: non-empty;
//   - identifiers: a purl, a CPE, or another unique id (SWID, OmniBOR, SWHID);
//   - dependencies: the component is in the dependency graph, so its
//     relationships are known ([Component.InDependencyGraph]);
//   - hashes: at least one hash; licenses: at least one licence.
//
// and per document: author (any author, manufacturer, tool or SPDX
// creator) and timestamp (a valid RFC 3339 time).
func Check(doc *Document) *Report {
	r := &Report{Components: len(doc.Components)}
	has := map[string]func(c *Component) bool{
		ElemSupplier:     hasSupplier,
		ElemName:         hasName,
		ElemVersion:      hasVersion,
		ElemIdentifiers:  hasIdentifier,
		ElemDependencies: inGraph,
		ElemHashes:       hasHash,
		ElemLicenses:     hasLicense,
	}
	for _, e := range Elements {
		cov := Coverage{Element: e}
		switch e {
		case ElemAuthor:
			cov.Total = 1
			if len(doc.Authors) > 0 {
				cov.Covered = 1
			}
		case ElemTimestamp:
			cov.Total = 1
			if !doc.Timestamp.IsZero() {
				cov.Covered = 1
			}
		default:
			cov.Total = len(doc.Components)
			for i := range doc.Components {
				c := &doc.Components[i]
				if has[e](c) {
					cov.Covered++
				} else {
					cov.Missing = append(cov.Missing, c.Label())
				}
			}
			slices.Sort(cov.Missing)
			cov.Missing = slices.Compact(cov.Missing)
		}
		if cov.Total > 0 {
			cov.Percent = 100 * float64(cov.Covered) / float64(cov.Total)
		}
		r.Coverage = append(r.Coverage, cov)
	}
	return r
}

// Percent returns the coverage of element, and false for an element the
// report does not hold.
func (r *Report) Percent(element string) (float64, bool) {
	for _, c := range r.Coverage {
		if c.Element == element {
			return c.Percent, true
		}
	}
	return 0, false
}

// FormatPercent prints a percentage with one decimal, rounded down, so that
// 99.96% never shows as "100.0%" while failing a 100% requirement.
func FormatPercent(p float64) string {
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', 1, 64) + "%"
}

// Requirement is a minimum coverage for one element.
type Requirement struct {
	Element string  `json:"element"`
	Percent float64 `json:"percent"`
}

// ParseRequirement parses ELEMENT=PERCENT ("supplier=80", "dependencies=100",
// a trailing % allowed). It returns an error wrapping [ErrUnknownElement]
// for an element not in [Elements], and a plain error for a percentage
// that is not a number from 0 to 100.
func ParseRequirement(s string) (Requirement, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return Requirement{}, fmt.Errorf("requirement %q is not ELEMENT=PERCENT", s)
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if !slices.Contains(Elements, name) {
		return Requirement{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownElement, name, strings.Join(Elements, ", "))
	}
	p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), "%"), 64)
	if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
		return Requirement{}, fmt.Errorf("requirement %q: the percentage must be a number from 0 to 100", s)
	}
	return Requirement{Element: name, Percent: p}, nil
}

// String is the requirement as ParseRequirement reads it.
func (q Requirement) String() string {
	return q.Element + "=" + strconv.FormatFloat(q.Percent, 'f', -1, 64)
}

// Shortfall is one requirement a report does not meet.
type Shortfall struct {
	Element  string  `json:"element"`
	Percent  float64 `json:"percent"`  // what the SBOM has
	Required float64 `json:"required"` // what was required
}

// CoverageError is returned by [Report.Require]; it is [ErrCoverage].
type CoverageError struct {
	Shortfalls []Shortfall
}

func (e *CoverageError) Error() string {
	parts := make([]string, len(e.Shortfalls))
	for i, s := range e.Shortfalls {
		parts[i] = fmt.Sprintf("%s %s (%s required)", s.Element, FormatPercent(s.Percent), strconv.FormatFloat(s.Required, 'f', -1, 64)+"%")
	}
	return ErrCoverage.Error() + ": " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrCoverage) hold.
func (e *CoverageError) Is(target error) bool { return target == ErrCoverage }

// Require checks the report against reqs. It returns nil when every one is
// met, a [*CoverageError] (which is [ErrCoverage]) listing those that are
// not, in the order of reqs, or an error wrapping [ErrUnknownElement] for
// a requirement on an element the report does not hold.
func (r *Report) Require(reqs []Requirement) error {
	var short []Shortfall
	for _, q := range reqs {
		got, ok := r.Percent(q.Element)
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownElement, q.Element)
		}
		if got < q.Percent {
			short = append(short, Shortfall{Element: q.Element, Percent: got, Required: q.Percent})
		}
	}
	if len(short) > 0 {
		return &CoverageError{Shortfalls: short}
	}
	return nil
}
