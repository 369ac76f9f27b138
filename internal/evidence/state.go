package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
	m := map[string]verify.State{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading verification state %s: %v", f.Path, err)
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

// Save implements [verify.StateStore].
func (f *FileState) Save(product string, st verify.State) error {
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
