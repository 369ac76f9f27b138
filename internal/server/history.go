package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// maxHistory bounds the checkpoints a server remembers having served.
const maxHistory = 16

// CheckpointRecord is a checkpoint the server served (at
// /api/v1/log/checkpoint or to the portal), and the consistency proof from
// the one it served before, checked when it was recorded.
type CheckpointRecord struct {
	Size   int64
	Root   tlog.Hash
	Served time.Time
	// From is the size of the checkpoint served before this one (-1 for
	// the first this process served); ProofHashes is the length of the
	// consistency proof from it.
	From        int64
	ProofHashes int
	// Consistent says the proof verified; Problem says why not.
	Consistent bool
	Problem    string
}

type checkpointHistory struct {
	mu   sync.Mutex
	recs []CheckpointRecord // oldest first, at most maxHistory
}

// served records tree as served, proving and verifying its consistency with
// the checkpoint served before it. A tree already recorded last is not
// recorded again.
func (s *Server) served(ctx context.Context, tree store.Tree) {
	h := &s.history
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := CheckpointRecord{Size: tree.Size, Root: tree.Root, Served: s.now(), From: -1}
	if n := len(h.recs); n > 0 {
		last := h.recs[n-1]
		if last.Size == tree.Size && last.Root == tree.Root {
			return
		}
		rec.From = last.Size
		if err := s.checkConsistency(ctx, last, tree, &rec); err != nil {
			rec.Problem = err.Error()
			s.log.Error("a served checkpoint is not consistent with the one before", "from", last.Size, "to", tree.Size, "err", err)
		} else {
			rec.Consistent = true
		}
	}
	h.recs = append(h.recs, rec)
	if len(h.recs) > maxHistory {
		h.recs = slices.Delete(h.recs, 0, len(h.recs)-maxHistory)
	}
}

func (s *Server) checkConsistency(ctx context.Context, from CheckpointRecord, to store.Tree, rec *CheckpointRecord) error {
	if to.Size < from.Size {
		return fmt.Errorf("the log shrank from %d to %d entries", from.Size, to.Size)
	}
	p, err := tlog.ProveConsistency(from.Size, to.Size, s.reader(ctx))
	if err != nil {
		return fmt.Errorf("proving consistency from %d to %d: %v", from.Size, to.Size, err)
	}
	rec.ProofHashes = len(p)
	return tlog.VerifyConsistency(p, uint64(from.Size), from.Root, uint64(to.Size), to.Root)
}

// CheckpointHistory is the checkpoints this server served since it
// started, at most 16, newest first, each with the check of its
// consistency with the one before.
func (s *Server) CheckpointHistory() []CheckpointRecord {
	s.history.mu.Lock()
	defer s.history.mu.Unlock()
	out := slices.Clone(s.history.recs)
	slices.Reverse(out)
	return out
}
