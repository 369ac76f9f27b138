package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// Inspector runs the inspections of an in-toto layout: commands the
// layout's author chose, run where the verifier decides. Verification
// declares it and the caller supplies it (evidence.Inspector runs the
// commands with consign's step recorder); without one, a layout with
// inspections fails.
//
// Inspect runs command for the inspection called name and returns the
// digests of every file it saw: before the command ran (materials) and
// after (products), with names relative to where it ran, using "/". It
// MUST return an error when the command could not run or exited non-zero;
// the error's text is the reason the report gives. The digests are checked
// like a link's: a name that is not clean or a digest that is not valid
// fails the inspection.
type Inspector interface {
	Inspect(ctx context.Context, name string, command []string) (materials, products map[string]digest.Set, err error)
}

// inspections runs the layout's inspections, when allowed, and applies their
// rules with the steps' records at hand.
func (e *engine) inspections(ctx context.Context, cfg LayoutConfig, layout *policy.Layout) {
	if len(layout.Inspections) == 0 {
		return
	}
	if cfg.Inspector == nil {
		for _, in := range layout.Inspections {
			sr := &StageResult{Name: in.Name, Kind: "inspection", Status: StatusFail, Signers: []SignerResult{}, Attestations: []*AttestationResult{}, Rules: []RuleResult{}, Checks: []CheckResult{},
				Reason: fmt.Sprintf("not run: the inspection runs %q; pass --allow-inspections to let consign run it", strings.Join(in.Run, " "))}
			e.res.Stages = append(e.res.Stages, sr)
			e.res.fail(ErrNotSatisfied, "inspection %s: not run (inspections run only when allowed)", in.Name)
		}
		return
	}
	for _, in := range layout.Inspections {
		sr := &StageResult{Name: in.Name, Kind: "inspection", Status: StatusPass, Signers: []SignerResult{}, Attestations: []*AttestationResult{}, Rules: []RuleResult{}, Checks: []CheckResult{}}
		rec, err := runInspection(ctx, cfg.Inspector, in)
		if err != nil {
			sr.Status, sr.Reason = StatusFail, err.Error()
		} else {
			e.records[in.Name] = rec
			sr.Rules = append(sr.Rules, applyRules("materials", in.Materials, rec, e.records)...)
			sr.Rules = append(sr.Rules, applyRules("products", in.Products, rec, e.records)...)
			for _, r := range sr.Rules {
				if r.Status == StatusFail {
					sr.Status = StatusFail
				}
			}
		}
		if sr.Status == StatusFail {
			e.res.fail(ErrNotSatisfied, "inspection %s: %s", in.Name, stageFailure(sr))
		}
		e.res.Stages = append(e.res.Stages, sr)
	}
}

// runInspection runs one inspection with the caller's inspector and checks
// what it recorded as a link's artifacts are checked.
func runInspection(ctx context.Context, insp Inspector, in policy.Inspection) (*record, error) {
	materials, products, err := insp.Inspect(ctx, in.Name, in.Run)
	if err != nil {
		return nil, err
	}
	out := &record{}
	if out.materials, err = fileByName(tableOf(materials), "material", false); err != nil {
		return nil, err
	}
	if out.products, err = fileByName(tableOf(products), "product", false); err != nil {
		return nil, err
	}
	return out, nil
}
