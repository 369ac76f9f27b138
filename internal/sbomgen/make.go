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
)

// Output is one SBOM to encode: a format, and the file it goes to.
type Output struct {
	Format Format
	// Path is the file the SBOM goes to; "" for standard output or, when
	// attesting, for the attestation alone.
	Path string
}

// PredicateType is the in-toto predicate type an SBOM in format f is
// attested under, or "" for a format that cannot be a predicate: only
// CycloneDX and SPDX JSON can.
func (f Format) PredicateType() string {
	switch f.Name {
	case FormatCycloneDXJSON:
		return attest.PredicateCycloneDX
	case FormatSPDXJSON:
		return attest.PredicateSPDX
	}
	return ""
}

// Request is what [Make] does: the scan its Config describes, each of
// Outputs encoded from it, and with a Signer each JSON output that can be
// a predicate signed as an in-toto attestation.
type Request struct {
	Config
	Outputs []Output
	// Signer signs the attestations; nil makes none.
	Signer attest.Signer
	// Subjects are the attestations' subjects; nil for the scanned
	// artifacts ([Result.Subjects]).
	Subjects []attest.Subject
}

// ErrTooManySubjects is returned by [Make] when the attestations would
// have more than [limits.Subjects] subjects (a tree of that many files).
var ErrTooManySubjects = errors.New("too many subjects")

// Validate rejects a request [Make] cannot carry out: no outputs, two
// that go to the same file, more than one for standard output without a
// Signer, or a Signer and no output that can be attested. Errors wrap
// [ErrConfig]; the Config itself is checked by [Generate].
func (q *Request) Validate() error {
	if len(q.Outputs) == 0 {
		return fmt.Errorf("%w: no outputs", ErrConfig)
	}
	stdout, paths, attestable := 0, map[string]bool{}, false
	for _, o := range q.Outputs {
		if o.Path == "" {
			stdout++
		} else if paths[o.Path] {
			return fmt.Errorf("%w: two outputs to %q", ErrConfig, o.Path)
		}
		paths[o.Path] = true
		attestable = attestable || o.Format.PredicateType() != ""
	}
	switch {
	case q.Signer == nil && stdout > 1:
		return fmt.Errorf("%w: %d outputs to standard output", ErrConfig, stdout)
	case q.Signer != nil && !attestable:
		return fmt.Errorf("%w: a signer and no CycloneDX or SPDX JSON output to attest", ErrConfig)
	}
	return nil
}

// SBOMs is what [Make] made; nothing is written yet, so that the caller
// can write everything or, on error, nothing.
type SBOMs struct {
	Result *Result
	// Files are the outputs that have a Path, in request order.
	Files []fsutil.File
	// Stdout is the output without a Path when there is no Signer; nil
	// otherwise.
	Stdout []byte
	// Envelopes are the signed attestations, one per attested output.
	Envelopes []*attest.Envelope
	// Subjects are what the attestations are about.
	Subjects []attest.Subject
	// Profiles holds, with [Config.Profile], each CycloneDX or SPDX
	// output's check against the profile: what consign could not fill.
	Profiles []ProfileReport
}

// ProfileReport is how one output meets [Config.Profile].
type ProfileReport struct {
	Output Output
	Result *sbomdoc.ProfileResult
}

// checkProfile decodes an output of its own and checks it against the
// profile: what the report says is missing is what the SBOM misses.
func checkProfile(o Output, b []byte, profile string) (*ProfileReport, error) {
	doc, err := sbomdoc.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("reading %s back: %w", o.Format, err)
	}
	res, err := sbomdoc.CheckProfile(doc, profile)
	if err != nil {
		return nil, err
	}
	return &ProfileReport{Output: o, Result: res}, nil
}

// Make scans as [Generate] does, encodes every output and signs the
// attestations. Errors are those of [Request.Validate], [Generate] and
// [Result.Encode], [ErrTooManySubjects], and the signer's.
func Make(ctx context.Context, req Request) (*SBOMs, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	cfg := req.Config
	cfg.Subjects = req.Signer != nil && req.Subjects == nil
	// The scan's last report (Done) waits until the outputs are encoded.
	var last Progress
	if fn := req.Progress; fn != nil {
		cfg.Progress = func(p Progress) {
			if last = p; !p.Done {
				fn(p)
			}
		}
	}
	res, err := Generate(ctx, cfg)
	if err != nil {
		return nil, err
	}
	encoded := func(n int, done bool) {
		if req.Progress != nil {
			last.Phase, last.Step, last.Steps, last.Done = PhaseEncoding, int64(n), int64(len(req.Outputs)), done
			last.Elapsed = time.Since(start)
			req.Progress(last)
		}
	}
	encoded(0, false)
	out := &SBOMs{Result: res, Subjects: req.Subjects}
	if cfg.Subjects {
		for _, s := range res.Subjects {
			out.Subjects = append(out.Subjects, attest.Subject{Name: s.Name, Digest: s.Digest})
		}
	}
	for i, o := range req.Outputs {
		b, err := res.Encode(o.Format)
		if err != nil {
			return nil, err
		}
		if req.Profile != "" && o.Format.Name != FormatSyftJSON && o.Format.Name != FormatSyftTable {
			rep, err := checkProfile(o, b, req.Profile)
			if err != nil {
				return nil, err
			}
			out.Profiles = append(out.Profiles, *rep)
		}
		if pt := o.Format.PredicateType(); req.Signer != nil && pt != "" {
			env, err := signSBOM(pt, out.Subjects, b, req.Signer)
			if err != nil {
				return nil, err
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
	return out, nil
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
