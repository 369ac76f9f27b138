package client

import (
	"context"
	"fmt"

	"github.com/consign-dev/consign/internal/tlog"
)

// Watch fetches the server's checkpoint, verifies it with the log key log
// (which the caller pinned: never the key the server serves), and, when trusted is not nil, proves it consistent
// with trusted, the last checkpoint the caller verified. It returns the new
// checkpoint, which the caller may then trust instead.
//
// A smaller log is [tlog.ErrRollback]; the same size with another root is
// [tlog.ErrFork]; a proof that fails is [tlog.ErrConsistency]. On any error
// the caller must keep trusted: a server that rolled back or forked its
// log must not become the caller's new trust.
func Watch(ctx context.Context, c *Client, log *tlog.Verifier, opts tlog.CheckpointOptions, trusted *tlog.Checkpoint) (*tlog.SignedCheckpoint, error) {
	note, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	next, err := tlog.OpenCheckpoint(note, log, opts)
	if err != nil {
		return nil, fmt.Errorf("the server's checkpoint: %w", err)
	}
	if trusted == nil {
		return next, nil
	}
	var proof []tlog.Hash
	if trusted.Size > 0 && trusted.Size < next.Size {
		if proof, err = c.Consistency(ctx, trusted.Size, next.Size); err != nil {
			return nil, fmt.Errorf("fetching the consistency proof from %d to %d: %w", trusted.Size, next.Size, err)
		}
	}
	if err := tlog.CheckExtension(*trusted, next.Checkpoint, proof); err != nil {
		return nil, err
	}
	return next, nil
}
