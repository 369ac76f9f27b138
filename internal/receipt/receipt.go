// Package receipt matches attestations with the log receipts that prove
// when the log accepted them: a [Set] of verified receipts is the
// verify.ReceiptChecker that the verification engine asks.
//
// Receipts are read from JSON Lines files (NAME.receipts.jsonl beside
// NAME.intoto.jsonl; [PathFor]), verified offline with the log key when
// they are added (signed checkpoint, origin, index, inclusion proof), and
// indexed by the SHA-256 of the DSSE PAE each leaf records. An attestation's
// time is the log's time only when a receipt's leaf records its statement
// and every one of its signatures: a signature added after the entry was
// logged gets no log time (a signature added later proves nothing about when it was made).
package receipt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/tlog"
)

// ErrNoReceipt is returned by [Set.Check] when no verified receipt records
// the attestation as it is. It wraps tlog.ErrBinding.
var ErrNoReceipt = fmt.Errorf("%w: no verified receipt records this attestation", tlog.ErrBinding)

// PathFor is where the receipts of an attestation file are kept:
// NAME.intoto.jsonl and NAME.jsonl -> NAME.receipts.jsonl; any other FILE
// -> FILE.receipts.jsonl.
func PathFor(attestations string) string {
	for _, ext := range []string{".intoto.jsonl", ".jsonl"} {
		if base, ok := strings.CutSuffix(attestations, ext); ok && base != "" && !strings.HasSuffix(base, "/") {
			return base + ".receipts.jsonl"
		}
	}
	return attestations + ".receipts.jsonl"
}

// LegacyPathFor is where consign before PathFor's NAME.jsonl rule kept the
// receipts of NAME.jsonl (NAME.jsonl.receipts.jsonl), and "" for any other
// file, whose receipts are where they were. Readers look there when PathFor
// names no file.
func LegacyPathFor(attestations string) string {
	if old := attestations + ".receipts.jsonl"; old != PathFor(attestations) && !strings.HasSuffix(attestations, ".intoto.jsonl") {
		return old
	}
	return ""
}

// Set is a set of receipts verified with one log key. It is safe for
// concurrent use.
type Set struct {
	log  *tlog.Verifier
	opts tlog.CheckpointOptions

	mu          sync.RWMutex
	byStatement map[[sha256.Size]byte][]*tlog.VerifiedReceipt
}

// NewSet is an empty set of receipts of the log whose key is log.
func NewSet(log *tlog.Verifier, opts tlog.CheckpointOptions) *Set {
	return &Set{log: log, opts: opts, byStatement: map[[sha256.Size]byte][]*tlog.VerifiedReceipt{}}
}

// Read reads the receipts of r, one per element: JSON Lines, or one
// receipt, pretty-printed or not, as [jsonl.Documents] reads them (a line
// and the count of lines capped; blank lines left out), until ctx ends.
func Read(ctx context.Context, r io.Reader, name string) ([]jsonl.Line, error) {
	return jsonl.Documents(ctx, r, name, jsonl.Limits{})
}

// Add verifies every receipt in data (JSON Lines, or one receipt) and adds
// those that verify; see [Set.AddLines].
func (s *Set) Add(data []byte, source string) (int, error) {
	// data is in memory already, read by a caller that could stop it.
	lines, err := Read(context.Background(), bytes.NewReader(data), source)
	if err != nil {
		return 0, err
	}
	return s.AddLines(lines, source)
}

// AddLines verifies every receipt of lines (as [Read] returns them) and
// adds those that verify. It returns the number added and, joined, an
// error for each receipt that did not verify (wrapping tlog's sentinels),
// named by source and line.
func (s *Set) AddLines(lines []jsonl.Line, source string) (int, error) {
	var errs []error
	added := 0
	for _, line := range lines {
		r, err := tlog.ParseReceipt(line.Data)
		if err == nil {
			var v *tlog.VerifiedReceipt
			if v, err = tlog.VerifyReceipt(r, s.log, s.opts); err == nil {
				s.mu.Lock()
				s.byStatement[v.Leaf.Statement] = append(s.byStatement[v.Leaf.Statement], v)
				s.mu.Unlock()
				added++
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s:%d: %w", source, line.N, err))
	}
	return added, errors.Join(errs...)
}

// Check implements verify.ReceiptChecker: the earliest time the log
// accepted env with all of its signatures. raw is not needed: the leaf
// commits to the decoded payload type, payload and signatures, which is
// what env holds. A nil env (an in-toto v0.9 link) is never logged.
func (s *Set) Check(env *attest.Envelope, raw []byte) (time.Time, error) {
	return s.CheckEnvelope(env)
}

// CheckEnvelope is [Set.Check] without the envelope's bytes, which it does
// not read: a receipt's leaf records the envelope's PAE and signatures.
func (s *Set) CheckEnvelope(env *attest.Envelope) (time.Time, error) {
	if env == nil {
		return time.Time{}, fmt.Errorf("%w: the log records DSSE envelopes only", ErrNoReceipt)
	}
	// PAE is hashed without joining its head and the payload.
	statement := attest.PAESum(env.PayloadType, env.Payload)
	s.mu.RLock()
	candidates := s.byStatement[statement]
	s.mu.RUnlock()
	var best time.Time
	for _, v := range candidates {
		if Records(v.Leaf, env) == nil && (best.IsZero() || v.Time().Before(best)) {
			best = v.Time()
		}
	}
	if best.IsZero() {
		if len(candidates) > 0 {
			return time.Time{}, fmt.Errorf("%w: the logged entry lacks some of the envelope's signatures", ErrNoReceipt)
		}
		return time.Time{}, ErrNoReceipt
	}
	return best, nil
}

// Len is the number of receipts in the set.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, vs := range s.byStatement {
		n += len(vs)
	}
	return n
}

// Records checks that the log entry l records env as it is: its statement
// (the DSSE PAE of its payload type and payload) and every one of its
// signatures, under any key; an envelope with no signature is recorded by
// no entry. It returns nil, or an error wrapping tlog.ErrBinding.
func Records(l *tlog.Leaf, env *attest.Envelope) error {
	if err := l.Covers(attest.PAE(env.PayloadType, env.Payload)); err != nil {
		return err
	}
	if len(env.Signatures) == 0 {
		return fmt.Errorf("%w: the envelope has no signature", tlog.ErrBinding)
	}
	for _, sg := range env.Signatures {
		if !signedByAny(l, sg.Sig) {
			return fmt.Errorf("%w: a signature of the envelope is not recorded in the entry", tlog.ErrBinding)
		}
	}
	return nil
}

// VerifyFor verifies the receipt r offline with the log key (tlog.VerifyReceipt)
// and checks that its entry records env ([Records]).
func VerifyFor(r *tlog.Receipt, log *tlog.Verifier, opts tlog.CheckpointOptions, env *attest.Envelope) (*tlog.VerifiedReceipt, error) {
	v, err := tlog.VerifyReceipt(r, log, opts)
	if err != nil {
		return nil, err
	}
	if err := Records(v.Leaf, env); err != nil {
		return nil, err
	}
	return v, nil
}

func signedByAny(l *tlog.Leaf, sig []byte) bool {
	for _, ls := range l.Signatures {
		if l.SignedBy(ls.KeyID, sig) {
			return true
		}
	}
	return false
}
