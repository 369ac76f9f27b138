package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/verify"
)

// ErrCorruptState is returned for a state file that does not read as one.
// It is never taken for an empty state: that would forget every version
// verified, and so let an older policy or pack through.
var ErrCorruptState = errors.New("the verification state is corrupt")

// FileState is a [verify.StateStore] in one JSON file (product -> state),
// written atomically, 0600, in a directory made 0700 when missing. A file
// that does not exist yet holds no state.
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
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptState, f.Path, err)
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

// Save implements [verify.StateStore]. State only moves forward: what is
// kept is the file's state merged with st ([verify.State.Merge]). The file
// is read, merged and replaced under a lock on it, so that two verifiers
// saving at once, in one process or two, lose neither's state.
func (f *FileState) Save(product string, st verify.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o700); err != nil {
		return fmt.Errorf("writing verification state: %w", err)
	}
	err := fsutil.UpdateFile(f.Path, 0o600, limits.JSONFile, func(old []byte) ([]byte, error) {
		m, err := f.decode(old)
		if err != nil {
			return nil, err
		}
		m[product] = m[product].Merge(st)
		b, err := json.MarshalIndent(m, "", "  ")
		return append(b, '\n'), err
	})
	if err != nil {
		return fmt.Errorf("writing verification state: %w", err)
	}
	return nil
}
