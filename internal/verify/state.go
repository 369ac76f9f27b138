package verify

import "time"

// State is what a verifier remembers of a product between verifications.
type State struct {
	// Version is the highest policy version verified for the product.
	Version int `json:"version"`
	// VerifiedAt is the latest verification time.
	VerifiedAt time.Time `json:"verifiedAt"`
}

// StateStore remembers a [State] per product, so that a verifier refuses a
// policy older than one it has seen (security case 27 in docs/security.md) and a clock set back
// before its last verification (security case 28 in docs/security.md). Implementations MUST be
// safe for concurrent use. The file-backed one is evidence.FileState.
type StateStore interface {
	// Load returns the product's state, or ok false when there is none.
	Load(product string) (st State, ok bool, err error)
	// Save records the product's state.
	Save(product string, st State) error
}
