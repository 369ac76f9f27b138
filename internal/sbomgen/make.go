package sbomgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// ErrTooManySubjects is returned by [Make] when the attestations would
// have more than [limits.Subjects] subjects (a tree of that many files).
var ErrTooManySubjects = errors.New("too many subjects")

// checkProfile decodes an output of its own and checks it against the
// profile: what the report says is missing is what the SBOM misses.
func checkProfile(o sbomspec.Output, b []byte, profile string) (*sbomspec.ProfileReport, error) {
	doc, err := sbomdoc.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", o.Format, err)
	}
	res, err := sbomdoc.CheckProfile(doc, profile)
	if err != nil {
		return nil, err
	}
	return &sbomspec.ProfileReport{Output: o, Result: res}, nil
}

// Make carries out req: it scans as [Generate] does, encodes every output
// and signs the attestations. Errors are those of [sbomspec.Request.Validate],
// [Generate] and [Result.Encode], [ErrTooManySubjects], and the signer's.
func Make(ctx context.Context, req sbomspec.Request) (*sbomspec.SBOMs, error) {
	made, _, err := makeSBOMs(ctx, req)
	return made, err
}

// makeSBOMs is [Make], which also returns the scan.
func makeSBOMs(ctx context.Context, req sbomspec.Request) (*sbomspec.SBOMs, *Result, error) {
	if err := req.Validate(); err != nil {
		return nil, nil, err
	}
	start := time.Now()
	cfg := req.Config
	cfg.Subjects = req.Signer != nil && req.Subjects == nil
	// The scan's last report (Done) waits until the outputs are encoded.
	var last sbomspec.Progress
	if fn := req.Progress; fn != nil {
		cfg.Progress = func(p sbomspec.Progress) {
			if last = p; !p.Done {
				fn(p)
			}
		}
	}
	res, err := Generate(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	encoded := func(n int, done bool) {
		if req.Progress != nil {
			last.Phase, last.Step, last.Steps, last.Done = sbomspec.PhaseEncoding, int64(n), int64(len(req.Outputs)), done
			last.Elapsed = time.Since(start)
			req.Progress(last)
		}
	}
	encoded(0, false)
	out := &sbomspec.SBOMs{Warnings: res.Warnings, Packages: res.Packages(), Subjects: req.Subjects}
	if cfg.Subjects {
		for _, s := range res.Subjects {
			out.Subjects = append(out.Subjects, attest.Subject{Name: s.Name, Digest: s.Digest})
		}
	}
	for i, o := range req.Outputs {
		// Encoding a large scan takes a while: a cancelled one stops.
		if ctx.Err() != nil {
			return nil, nil, context.Cause(ctx)
		}
		b, err := res.Encode(o.Format)
		if err != nil {
			return nil, nil, err
		}
		if req.Profile != "" && o.Format.Name != sbomspec.FormatSyftJSON && o.Format.Name != sbomspec.FormatSyftTable {
			rep, err := checkProfile(o, b, req.Profile)
			if err != nil {
				return nil, nil, err
			}
			out.Profiles = append(out.Profiles, *rep)
		}
		if pt := o.Format.PredicateType(); req.Signer != nil && pt != "" {
			env, err := signSBOM(pt, out.Subjects, b, req.Signer)
			if err != nil {
				return nil, nil, err
			}
			out.Envelopes = append(out.Envelopes, env)
		}
		switch {
		case o.Path != "":
			out.Files = append(out.Files, fsutil.File{Path: o.Path, Data: b, Perm: 0o644})
		case req.Signer == nil:
			out.Stdout = b
		}
		encoded(i+1, i+1 == len(req.Outputs))
	}
	return out, res, nil
}

// signSBOM signs sbom, compacted, as the predicate of a statement about subs.
func signSBOM(predicateType string, subs []attest.Subject, sbom []byte, signer attest.Signer) (*attest.Envelope, error) {
	var pred bytes.Buffer
	if err := json.Compact(&pred, sbom); err != nil {
		return nil, fmt.Errorf("compacting the SBOM: %w", err)
	}
	st, err := attest.NewStatement(predicateType, subs, pred.Bytes())
	if err != nil {
		if len(subs) > limits.Subjects {
			return nil, tooManySubjects{err}
		}
		return nil, err
	}
	return attest.SignStatement(st, signer)
}

// tooManySubjects keeps the statement's error message and is also
// [ErrTooManySubjects].
type tooManySubjects struct{ error }

func (e tooManySubjects) Unwrap() error        { return e.error }
func (e tooManySubjects) Is(target error) bool { return target == ErrTooManySubjects }
