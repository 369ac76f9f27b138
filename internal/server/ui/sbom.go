package ui

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// isSBOM reports whether a predicate type is an SBOM the portal reads.
func isSBOM(predicateType string) bool {
	return predicateType == attest.PredicateCycloneDX || predicateType == attest.PredicateSPDX
}

// sbomPage is what the SBOM template shows.
type sbomPage struct {
	Doc        *sbomdoc.Document
	Report     *sbomdoc.Report
	Components []sbomdoc.Component // filtered and sorted
	Filter     string
	Sort       string
	Previous   *attestation // the product's SBOM logged before this one, if any
	Changes    *sbomdoc.Changes
	DiffError  string
}

// sortKeys are the columns the component table sorts by.
var sortKeys = map[string]func(c *sbomdoc.Component) string{
	"name":     func(c *sbomdoc.Component) string { return strings.ToLower(c.Label()) },
	"version":  func(c *sbomdoc.Component) string { return c.Version },
	"supplier": func(c *sbomdoc.Component) string { return strings.ToLower(c.Supplier) },
	"license":  func(c *sbomdoc.Component) string { return strings.Join(c.Licenses, " ") },
	"purl":     func(c *sbomdoc.Component) string { return c.PURL },
}

// sbom is GET /products/{product}/entries/{index}/sbom[?q=TEXT][&sort=COLUMN]:
// the components of an SBOM attestation, its NTIA coverage, and what
// changed since the product's previous SBOM.
func (p *Portal) sbom(w http.ResponseWriter, r *http.Request, rq *request) error {
	a, err := p.productEntry(r, rq)
	if err != nil {
		return err
	}
	if !isSBOM(a.Type) {
		return errNotFound
	}
	pg := &page{Title: "SBOM of entry " + strconv.FormatInt(a.Index, 10), Product: a.Product, Att: a, rq: rq}
	doc, err := sbomdoc.Decode(a.pred)
	if err != nil {
		pg.Message = "This SBOM cannot be read: " + err.Error()
		if err := p.record(r, rq, a.Product, "view"); err != nil {
			return err
		}
		p.render(w, r, http.StatusOK, "sbom", pg)
		return nil
	}
	s := &sbomPage{Doc: doc, Report: sbomdoc.Check(doc), Filter: strings.TrimSpace(r.URL.Query().Get("q")), Sort: r.URL.Query().Get("sort")}
	if _, ok := sortKeys[s.Sort]; !ok {
		s.Sort = "name"
	}
	s.Components = filterComponents(doc.Components, s.Filter, sortKeys[s.Sort])
	if err := p.previousSBOM(r, a, doc, s); err != nil {
		return err
	}
	pg.SBOM = s
	if err := p.record(r, rq, a.Product, "view"); err != nil {
		return err
	}
	p.render(w, r, http.StatusOK, "sbom", pg)
	return nil
}

// filterComponents keeps the components whose name, version, supplier,
// licences or purl contain filter (case-insensitively), sorted by key.
func filterComponents(cs []sbomdoc.Component, filter string, key func(c *sbomdoc.Component) string) []sbomdoc.Component {
	f := strings.ToLower(filter)
	var out []sbomdoc.Component
	for _, c := range cs {
		text := strings.ToLower(strings.Join(append([]string{c.Label(), c.Supplier, c.PURL}, c.Licenses...), " "))
		if f == "" || strings.Contains(text, f) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y sbomdoc.Component) int {
		return cmp.Or(cmp.Compare(key(&x), key(&y)), cmp.Compare(x.Label(), y.Label()))
	})
	return out
}

// previousSBOM finds the last SBOM of a's product logged before a and
// diffs it against doc.
func (p *Portal) previousSBOM(r *http.Request, a *attestation, doc *sbomdoc.Document, s *sbomPage) error {
	all, _, err := p.productEntries(r.Context(), a.Product)
	if err != nil {
		return err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if e := all[i]; e.Index < a.Index && isSBOM(e.Type) {
			s.Previous = e
			break
		}
	}
	if s.Previous == nil {
		return nil
	}
	old, err := sbomdoc.Decode(s.Previous.pred)
	if err != nil {
		s.DiffError = "the previous SBOM cannot be read: " + err.Error()
		return nil
	}
	s.Changes = sbomdoc.Diff(old, doc)
	return nil
}
