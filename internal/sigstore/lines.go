package sigstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/consign-dev/consign/internal/jsonl"
)

// maxBundles bounds the bundles of one JSON Lines file, counted before any
// is verified.
const maxBundles = 1024

// Outcome is what became of one bundle of a file [VerifyEach] read.
type Outcome struct {
	Line   int     `json:"line"` // the bundle's first line in the file, from 1
	Result *Result `json:"result,omitempty"`
	Err    error   `json:"-"`
	Reason string  `json:"reason,omitempty"` // Err's message
}

// VerifyEach verifies cfg.Bundle when it holds one bundle (JSON over any
// number of lines) or several, as JSON Lines: one bundle per line, the way
// GitHub's attestation API and 'gh attestation download' give them. Each
// bundle is verified against the whole of cfg, on its own; blank lines are
// skipped. With several bundles and an artifact, the artifact must be an
// [io.ReadSeeker] (it is read once per bundle).
//
// VerifyEach returns the outcome of every bundle, and an error unless at
// least one verified: the bundles of a JSON Lines file are alternatives
// (other signers, other predicate types), and the question is whether the
// identity asked for attested to the artifact. With one bundle the error is
// [Verify]'s; with several it wraps [ErrUnverified] and the first failure.
func VerifyEach(cfg Config) ([]Outcome, error) {
	docs, err := splitBundles(cfg.Bundle)
	if err != nil {
		return nil, err
	}
	if len(docs) == 1 {
		res, err := Verify(cfg)
		return []Outcome{outcome(docs[0].line, res, err)}, err
	}
	// The trusted root is the same for every bundle: a bad one is bad
	// input, said once, not a failure of each bundle in turn.
	if _, err := root.NewTrustedRootFromJSON(cfg.TrustedRoot); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrustedRoot, err)
	}
	seeker, ok := cfg.Artifact.(io.ReadSeeker)
	if cfg.Artifact != nil && !ok {
		return nil, fmt.Errorf("%w: %d bundles need an artifact that can be read again", ErrConfig, len(docs))
	}
	outs := make([]Outcome, 0, len(docs))
	var first error
	firstLine, verified := 0, 0
	for _, d := range docs {
		c := cfg
		c.Bundle = d.data
		if seeker != nil {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return nil, fmt.Errorf("reading the artifact again: %w", err)
			}
		}
		res, err := Verify(c)
		outs = append(outs, outcome(d.line, res, err))
		switch {
		case err == nil:
			verified++
		case first == nil:
			first, firstLine = err, d.line
		}
	}
	if verified == 0 {
		return outs, &noneVerifiedError{bundles: len(docs), line: firstLine, first: first}
	}
	return outs, nil
}

// noneVerifiedError is why a file none of whose bundles verified does not
// verify: an [ErrUnverified] and the first line's error, which its text
// gives without saying "not verified" twice.
type noneVerifiedError struct {
	bundles, line int
	first         error
}

func (e *noneVerifiedError) Error() string {
	return fmt.Sprintf("%v: none of the %d bundles verified (line %d: %s)", ErrUnverified, e.bundles, e.line,
		strings.TrimPrefix(e.first.Error(), ErrUnverified.Error()+": "))
}

func (e *noneVerifiedError) Unwrap() []error { return []error{ErrUnverified, e.first} }

func outcome(line int, res *Result, err error) Outcome {
	o := Outcome{Line: line, Result: res, Err: err}
	if err != nil {
		o.Reason = err.Error()
	}
	return o
}

type doc struct {
	line int
	data []byte
}

// splitBundles reads data as one JSON document, or else as JSON Lines
// ([jsonl.Documents]: each line and the count of lines capped).
func splitBundles(data []byte) ([]doc, error) {
	lines, err := jsonl.Documents(context.Background(), bytes.NewReader(data), "the bundle file", jsonl.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%w: no bundle", ErrConfig)
	}
	if len(lines) > maxBundles {
		return nil, fmt.Errorf("%w: more than %d bundles in one file", ErrBundle, maxBundles)
	}
	docs := make([]doc, len(lines))
	for i, l := range lines {
		docs[i] = doc{l.N, l.Data}
	}
	if len(docs) == 1 {
		// One document, or one non-blank line that is not JSON: Verify
		// says why.
		return docs, nil
	}
	for _, d := range docs {
		if !json.Valid(d.data) {
			return nil, fmt.Errorf("%w: line %d is not JSON (a file holds one bundle, or one bundle per line)", ErrBundle, d.line)
		}
	}
	return docs, nil
}
