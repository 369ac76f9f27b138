package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// checkResult is what consign sbom check found, as --output json prints it.
type checkResult struct {
	File         string                 `json:"file"`
	Format       string                 `json:"format"`
	SpecVersion  string                 `json:"specVersion"`
	Validation   *sbomdoc.Validation    `json:"validation"` // null with --no-schema
	Components   int                    `json:"components"`
	Coverage     []sbomdoc.Coverage     `json:"coverage"`
	Requirements []sbomdoc.Requirement  `json:"requirements"`
	Shortfalls   []sbomdoc.Shortfall    `json:"shortfalls"`
	Profile      *sbomdoc.ProfileResult `json:"profile,omitempty"`
	Passed       bool                   `json:"passed"`
}

// checkOptions are consign sbom check's flags.
type checkOptions struct {
	reqs     []sbomdoc.Requirement
	validate bool
	asJSON   bool
	profile  string // "" for none
}

// runSBOMCheck validates (unless !validate), decodes and measures the SBOM
// at path, prints the result, and returns the verdict: violations and
// shortfalls, joined.
func runSBOMCheck(w io.Writer, path string, opt checkOptions) error {
	b, err := limits.ReadFile(path, limits.SBOMFile)
	if err != nil {
		return fmt.Errorf("reading SBOM: %w", err)
	}
	res := checkResult{File: path, Requirements: opt.reqs, Coverage: []sbomdoc.Coverage{}}
	// Validation and decoding read the same bytes independently: on two
	// cores, a 10,000-component SBOM is checked in the time of the slower.
	type decoded struct {
		doc *sbomdoc.Document
		err error
	}
	done := make(chan decoded, 1)
	go func() {
		doc, err := decodeSBOM(path, b)
		done <- decoded{doc, err}
	}()
	if opt.validate {
		if res.Validation, err = sbomdoc.Validate(b); err != nil {
			<-done
			return fmt.Errorf("%s: %w", path, err)
		}
		res.Format, res.SpecVersion = res.Validation.Format, res.Validation.SpecVersion
	}
	d := <-done
	doc, err := d.doc, d.err
	if err != nil {
		if res.Validation == nil || res.Validation.Err() == nil {
			return err
		}
		// The schema says why it does not decode: print the violations.
		if perr := printResult(w, &res, nil, opt.asJSON); perr != nil {
			return perr
		}
		return errors.Join(res.Validation.Err(), err)
	}
	res.Format, res.SpecVersion = doc.Format, doc.SpecVersion
	rep := sbomdoc.Check(doc)
	res.Components, res.Coverage = rep.Components, rep.Coverage
	shortfall := rep.Require(opt.reqs)
	var ce *sbomdoc.CoverageError
	if errors.As(shortfall, &ce) {
		res.Shortfalls = ce.Shortfalls
	}
	var invalid error
	if res.Validation != nil {
		invalid = res.Validation.Err()
	}
	var unmet error
	if opt.profile != "" {
		if res.Profile, err = sbomdoc.CheckProfile(doc, opt.profile); err != nil {
			return err
		}
		unmet = res.Profile.Err()
	}
	verdict := errors.Join(invalid, unmet, shortfall)
	res.Passed = verdict == nil
	if err := printResult(w, &res, doc, opt.asJSON); err != nil {
		return err
	}
	return verdict
}
