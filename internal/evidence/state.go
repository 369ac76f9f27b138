package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/verify"
)

// FileState is a [verify.StateStore] in one JSON file (product -> state),
// written atomically. A file that does not exist yet holds no state.
type FileState struct {
	Path string
	mu   sync.Mutex
}

var _ verify.StateStore = (*FileState)(nil)

func (f *FileState) read() (map[string]verify.State, error) {
	b, err := limits.ReadFile(f.Path, limits.JSONFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]verify.State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading verification state: %w", err)
	}
	return f.decode(b)
}

// decode reads a state file's contents; empty is no state.
func (f *FileState) decode(b []byte) (map[string]verify.State, error) {
	m := map[string]verify.State{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading verification state %s: %v", f.Path, err)
	}
	if m == nil { // the file says null: no state (found by fuzzing; Save crashed on it)
		m = map[string]verify.State{}
	}
	return m, nil
}

// Load implements [verify.StateStore].
func (f *FileState) Load(product string) (verify.State, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.read()
	if err != nil {
		return verify.State{}, false, err
	}
	st, ok := m[product]
	return st, ok, nil
}

// Save implements [verify.StateStore]. State only moves forward: the version
// kept is the higher of st's and the file's, and so is the time. The file
// is read, merged and replaced under a lock on it, so that two verifiers
// saving at once, in one process or two, lose neither's state.
func (f *FileState) Save(product string, st verify.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := fsutil.UpdateFile(f.Path, 0o600, limits.JSONFile, func(old []byte) ([]byte, error) {
		m, err := f.decode(old)
		if err != nil {
			return nil, err
		}
		cur := m[product]
		cur.Version = max(cur.Version, st.Version)
		if st.VerifiedAt.After(cur.VerifiedAt) {
			cur.VerifiedAt = st.VerifiedAt
		}
		m[product] = cur
		b, err := json.MarshalIndent(m, "", "  ")
		return append(b, '\n'), err
	})
	if err != nil {
		return fmt.Errorf("writing verification state: %w", err)
	}
	return nil
}
