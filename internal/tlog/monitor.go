package tlog

import "fmt"

// CheckExtension decides whether the checkpoint next may replace trusted,
// the last checkpoint of the same log a client verified, given the
// consistency proof from trusted's size to next's (both checkpoints' log
// signatures already verified by [OpenCheckpoint]). It returns nil when next
// extends trusted (or is the same tree), and otherwise:
//   - [ErrOrigin] for a checkpoint of another log;
//   - [ErrRollback] when next is smaller: the log shrank;
//   - [ErrFork] when the sizes are equal and the roots differ: two trees,
//     both signed, a split view;
//   - [ErrConsistency] when the proof does not show next extends trusted:
//     a fork, unless the proof itself was corrupted on the way.
//
// The caller keeps trusted on any error (security case 69 in docs/security.md).
func CheckExtension(trusted, next Checkpoint, proof []Hash) error {
	if trusted.Origin != next.Origin {
		return fmt.Errorf("%w: %q after %q", ErrOrigin, next.Origin, trusted.Origin)
	}
	return VerifyConsistency(proof, trusted.Size, trusted.Root, next.Size, next.Root)
}
