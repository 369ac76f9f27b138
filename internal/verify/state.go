package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
)

// State is what a verifier remembers of a product between verifications.
type State struct {
	// Version is the highest policy version verified for the product.
	Version int `json:"version"`
	// VerifiedAt is the latest verification time.
	VerifiedAt time.Time `json:"verifiedAt"`
}

// StateStore remembers a [State] per product, so that a verifier refuses a
// policy older than one it has seen (SECURITY-CASES 27) and a clock set back
// before its last verification (SECURITY-CASES 28). Implementations MUST be
// safe for concurrent use.
type StateStore interface {
	// Load returns the product's state, or ok false when there is none.
	Load(product string) (st State, ok bool, err error)
	// Save records the product's state.
	Save(product string, st State) error
}

// FileState is a [StateStore] in one JSON file (product -> state), written
// atomically.
type FileState struct {
	Path string
	mu   sync.Mutex
}

var _ StateStore = (*FileState)(nil)

func (f *FileState) read() (map[string]State, error) {
	b, err := limits.ReadFile(f.Path, limits.JSONFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading verification state: %w", err)
	}
	m := map[string]State{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading verification state %s: %v", f.Path, err)
	}
	return m, nil
}

// Load implements [StateStore].
func (f *FileState) Load(product string) (State, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return State{}, false, err
	}
	st, ok := m[product]
	return st, ok, nil
}

// Save implements [StateStore].
func (f *FileState) Save(product string, st State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return err
	}
	m[product] = st
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(f.Path, append(b, '\n'), 0o600, true); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("writing verification state: %w", err)
	}
	return nil
}
