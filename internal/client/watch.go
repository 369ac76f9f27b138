package client

import (
	"context"

	"github.com/consign-dev/consign/internal/monitor"
	"github.com/consign-dev/consign/internal/tlog"
)

// Watch is [monitor.Next] with the client as its source: the
// server's checkpoint, verified with the log key the caller pinned (never
// the key the server serves) and, when trusted is not nil, proven to
// extend trusted. A smaller log is [tlog.ErrRollback], the same size with
// another root [tlog.ErrFork], a proof that fails [tlog.ErrConsistency]; on
// any error the caller must keep trusted.
func Watch(ctx context.Context, c *Client, log *tlog.Verifier, opts tlog.CheckpointOptions, trusted *tlog.Checkpoint) (*tlog.SignedCheckpoint, error) {
	return monitor.Next(ctx, c, log, opts, trusted)
}
