package verify

import (
	"errors"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
)

var (
	// ErrConfig is returned for a [Config] or [LayoutConfig] that cannot be
	// used: no trust root, no artifact, no policy.
	ErrConfig = errors.New("invalid verification settings")
	// ErrNotSatisfied is returned (by [Result.Err]) when verification ran
	// and the release does not satisfy its policy. It wraps
	// [attest.ErrUnverified]: the answer is no.
	ErrNotSatisfied = fmt.Errorf("%w: the release does not satisfy its policy", attest.ErrUnverified)
	// ErrRollback is returned when a policy is older than one already seen
	// for its product, or the clock is earlier than a past verification
	// (security cases 27 and 28 in docs/security.md). It wraps [attest.ErrUnverified].
	ErrRollback = fmt.Errorf("%w: rollback", attest.ErrUnverified)
	// ErrLayout is the root of errors about an in-toto layout's content.
	ErrLayout = errors.New("invalid in-toto layout")
)
