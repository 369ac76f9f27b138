package tlog

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is returned for a leaf, checkpoint, key, proof or receipt that does not parse.
	ErrMalformed = errors.New("malformed transparency log data")

	// ErrNoOrigin is returned by [LoadVerifier] for a PEM log key with no
	// origin to pin it to.
	ErrNoOrigin = fmt.Errorf("%w: the log key names no origin", ErrMalformed)
	// ErrUnverified is the root of every "the answer is no" about log data.
	ErrUnverified = errors.New("log verification failed")
	// ErrCheckpointSignature is returned when a checkpoint is not signed by the log's key.
	ErrCheckpointSignature = fmt.Errorf("%w: checkpoint is not signed by the log's key", ErrUnverified)
	// ErrOrigin is returned when a checkpoint or receipt names another log.
	ErrOrigin = fmt.Errorf("%w: origin is not the log's", ErrUnverified)
	// ErrWitness is returned when a checkpoint has fewer witness cosignatures than required.
	ErrWitness = fmt.Errorf("%w: not enough witness cosignatures", ErrUnverified)
	// ErrIndex is returned for an index or size out of bounds.
	ErrIndex = fmt.Errorf("%w: index out of bounds", ErrUnverified)
	// ErrInclusion is returned when an inclusion proof does not lead to the checkpoint's root.
	ErrInclusion = fmt.Errorf("%w: inclusion proof does not match the checkpoint", ErrUnverified)
	// ErrConsistency is returned when a consistency proof does not hold.
	ErrConsistency = fmt.Errorf("%w: consistency proof does not hold", ErrUnverified)
	// ErrRollback is returned when a log's new checkpoint is smaller than one already trusted.
	ErrRollback = fmt.Errorf("%w: the log shrank (rollback)", ErrUnverified)
	// ErrFork is returned when two checkpoints of one log cannot both be true
	// (same size, different roots, or no consistency between them): a split view.
	ErrFork = fmt.Errorf("%w: the log forked (split view)", ErrUnverified)
	// ErrBinding is returned when a receipt's leaf is not about the attestation it is checked with.
	ErrBinding = fmt.Errorf("%w: receipt is for another attestation", ErrUnverified)
)
