package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// What the inspection portal (internal/server/ui) reads of a server beyond
// its store: the signed checkpoint, receipts, and the log's key.

// Checkpoint is the log's current tree and its signed checkpoint.
func (s *Server) Checkpoint(ctx context.Context) (store.Tree, []byte, error) {
	tree, err := s.tree(ctx)
	if err != nil {
		return store.Tree{}, nil, err
	}
	note, err := s.signedCheckpoint(tree)
	if err != nil {
		return store.Tree{}, nil, err
	}
	s.served(ctx, tree)
	return tree, note, nil
}

// Receipt is the receipt of the logged entry e against the current tree.
func (s *Server) Receipt(ctx context.Context, e *store.Entry) (*tlog.Receipt, error) {
	tree, err := s.tree(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.receipts(ctx, tree, []int64{e.Index}, [][]byte{e.Leaf})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// LogVerifier is the verifier of the log's checkpoints.
func (s *Server) LogVerifier() *tlog.Verifier { return s.cfg.Signer.Verifier() }

// PublishFinding logs an inspector's signed finding, uploaded through the
// portal for product: one envelope line, checked as a publish is (strict
// DSSE, every signature by one of the token's keys, a valid statement),
// whose statement must be a valid audit predicate
// ([attest.PredicateAudit]) about at least one of the digests in about
// (the release's artifacts). It returns the entry's index.
//
// Errors wrap [api.ErrForbidden] (a product the token is not for, a
// signature by another key, a token without keys) or [api.ErrBadRequest].
func (s *Server) PublishFinding(ctx context.Context, t *store.Token, product string, line []byte, about []string) (int64, error) {
	p := &principal{token: t}
	if !p.may(product) {
		return 0, fmt.Errorf("%w: the token may not publish for product %q", api.ErrForbidden, product)
	}
	if len(t.Keys) == 0 {
		return 0, fmt.Errorf("%w: the token has no key to check a finding's signature with", api.ErrForbidden)
	}
	if len(line) > s.cfg.Limits.MaxEnvelope {
		return 0, fmt.Errorf("%w: an envelope of %d bytes", api.ErrBadRequest, len(line))
	}
	for _, k := range t.Keys {
		v, err := s.keys.verifier(k)
		if err != nil {
			return 0, fmt.Errorf("token %s has a bad key: %v", t.ID, err)
		}
		p.keys = append(p.keys, v)
	}
	if err := checkFinding(line, about); err != nil {
		return 0, err
	}
	e, err := s.prepare(line, p, product)
	if err != nil {
		return 0, err
	}
	// The portal read the token for this request: no second check.
	req, err := s.seq.submit(nil, []pendingEntry{e})
	if err != nil {
		return 0, err
	}
	select {
	case res := <-req.done:
		if res.err != nil {
			return 0, res.err
		}
		return res.appended[0].Index, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// checkFinding checks that line is an audit finding about one of the
// SHA-256 digests in about.
func checkFinding(line []byte, about []string) error {
	env, _, err := attest.ParseEnvelope(line)
	if err != nil {
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	st, err := attest.ParseStatement(env.Payload)
	if err != nil {
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	if st.PredicateType != attest.PredicateAudit {
		return fmt.Errorf("%w: a finding is an audit predicate (%s), not %q", api.ErrBadRequest, attest.PredicateAudit, st.PredicateType)
	}
	if err := predicate.Validate(st.PredicateType, st.Predicate); err != nil {
		return fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	for _, sub := range st.Subject {
		if slices.Contains(about, sub.Digest[digest.SHA256]) {
			return nil
		}
	}
	return fmt.Errorf("%w: the finding is not about this release's artifact (no subject has its SHA-256)", api.ErrBadRequest)
}
