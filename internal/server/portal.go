package server

import (
	"context"

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
	return tree, note, err
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
