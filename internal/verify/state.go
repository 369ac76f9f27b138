package verify

import "time"

// State is what a verifier remembers of a product between verifications.
type State struct {
	// Version is the highest policy version verified for the product.
	Version int `json:"version"`
	// VerifiedAt is the latest verification time.
	VerifiedAt time.Time `json:"verifiedAt"`
	// Log is the largest log checkpoint an evidence pack of the product
	// carried, signed by the log key its signed policy names (zero when no
	// pack with one was verified).
	Log LogMark `json:"log,omitzero"`
}

// LogMark is a log checkpoint a verifier remembers: the log's origin, its
// size and its root hash (base64, as the checkpoint writes it).
type LogMark struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   string `json:"root"`
}

// Merge is what a store keeps when st is saved over old: state only moves
// forward. The version and the time are the higher of the two; the log
// mark is the larger checkpoint of one log, and a checkpoint of another
// log (a policy that names a new log) replaces the old log's.
func (old State) Merge(st State) State {
	old.Version = max(old.Version, st.Version)
	if st.VerifiedAt.After(old.VerifiedAt) {
		old.VerifiedAt = st.VerifiedAt
	}
	if st.Log.Origin != "" && (st.Log.Origin != old.Log.Origin || st.Log.Size > old.Log.Size) {
		old.Log = st.Log
	}
	return old
}

// ClockSkew is how far the clock may be earlier than the last verification
// of a product before the verifier refuses it as set back: a clock stepped
// back by a time server's correction is not an attack, and a year is.
const ClockSkew = 5 * time.Minute

// StateStore remembers a [State] per product, so that a verifier refuses a
// policy older than one it has seen (security case 27 in docs/security.md) and a clock set back
// before its last verification (security case 28 in docs/security.md). Implementations MUST be
// safe for concurrent use, and Save MUST keep what [State.Merge] keeps of
// the state already saved and the new one. The file-backed one is
// evidence.FileState.
type StateStore interface {
	// Load returns the product's state, or ok false when there is none.
	Load(product string) (st State, ok bool, err error)
	// Save records the product's state.
	Save(product string, st State) error
}
