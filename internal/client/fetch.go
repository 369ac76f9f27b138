package client

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
)

// FetchConfig is what [Client.Fetch] needs.
type FetchConfig struct {
	// Subject is the SHA-256 digest the attestations are about.
	Subject tlog.Hash
	// LogKey, when set, is the log's key, from the caller's policy or the
	// log's operator (never from the server): every receipt is verified
	// with it. Without it receipts are passed on unverified.
	LogKey *tlog.Verifier
	// Write takes each attestation, in the log's order, as soon as it
	// checked: its envelope and receipt. An error stops the fetch.
	Write func(env *attest.Envelope, r *tlog.Receipt) error
}

// Fetch passes every attestation about cfg.Subject to cfg.Write, page by
// page ([Client.EachAttestation]: each page and all of them bounded), and
// returns how many it passed. Each entry must hold one well-formed DSSE
// envelope whose statement has the subject, and a receipt for its own
// index, or the fetch fails with an error wrapping [api.ErrServer]. With
// cfg.LogKey every receipt must verify offline and record its envelope
// (receipt.VerifyFor), and the checkpoints the receipts are proven
// against must be one log that only grows: a smaller one than a receipt
// before it is [tlog.ErrRollback], another root for one size
// [tlog.ErrFork], and a larger one must be proven to extend the one
// before it by the server's consistency proof ([tlog.CheckExtension]).
// The pages and the proofs wait for a busy server within the client's
// one retry budget ([Config.MaxRetryWait]).
// On any error the caller discards what Write took.
func (c *Client) Fetch(ctx context.Context, cfg FetchConfig) (int, error) {
	want := digest.Set{digest.SHA256: hex.EncodeToString(cfg.Subject[:])}
	var tree *tlog.Checkpoint // the largest checkpoint proven so far
	n := 0
	err := c.EachAttestation(ctx, cfg.Subject, func(a api.Attestation) error {
		env, malformed, err := attest.ParseEnvelope(a.Envelope)
		if err != nil || malformed > 0 {
			return fmt.Errorf("%w: the server's entry %d holds no well-formed envelope", api.ErrServer, a.Index)
		}
		if st, err := attest.ParseStatement(env.Payload); err != nil || len(st.Matches(want)) == 0 {
			return fmt.Errorf("%w: the server's entry %d is not about sha256:%s", api.ErrServer, a.Index, want[digest.SHA256])
		}
		if a.Receipt == nil {
			return fmt.Errorf("%w: the server's entry %d has no receipt", api.ErrServer, a.Index)
		}
		if cfg.LogKey != nil {
			v, err := receipt.VerifyFor(a.Receipt, cfg.LogKey, tlog.CheckpointOptions{}, env)
			if err != nil {
				return fmt.Errorf("entry %d: %w", a.Index, err)
			}
			if tree, err = c.extend(ctx, tree, &v.Checkpoint.Checkpoint); err != nil {
				return fmt.Errorf("entry %d: %w", a.Index, err)
			}
		}
		if err := cfg.Write(env, a.Receipt); err != nil {
			return err
		}
		n++
		return nil
	})
	return n, err
}

// extend returns the larger of tree (nil at first) and next, once next is
// shown to be tree, or an extension of it by the server's consistency
// proof. A next smaller than tree is a rollback: the server proved its
// entries against a log that shrank between pages.
func (c *Client) extend(ctx context.Context, tree, next *tlog.Checkpoint) (*tlog.Checkpoint, error) {
	switch {
	case tree == nil:
		return next, nil
	case next.Size < tree.Size:
		return nil, fmt.Errorf("%w: a receipt is proven against a log of %d entries after one of %d", tlog.ErrRollback, next.Size, tree.Size)
	case next.Size == tree.Size:
		if next.Root != tree.Root {
			return nil, fmt.Errorf("%w: two roots for %d entries", tlog.ErrFork, next.Size)
		}
		return tree, nil
	}
	var proof []tlog.Hash
	if tree.Size > 0 {
		var err error
		if proof, err = c.Consistency(ctx, tree.Size, next.Size); err != nil {
			return nil, fmt.Errorf("fetching the consistency proof from %d to %d: %w", tree.Size, next.Size, err)
		}
	}
	if err := tlog.CheckExtension(*tree, *next, proof); err != nil {
		return nil, err
	}
	return next, nil
}
