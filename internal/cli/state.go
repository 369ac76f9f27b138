package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/verify"
)

// userConfigDir is where consign keeps what it must remember between runs,
// under consign/: $XDG_CONFIG_HOME, else ~/.config. The log monitor keeps
// the checkpoints it trusted there, and verify and verify-pack the policy
// versions and pack checkpoints verified per product. flag is the flag
// that moves the state elsewhere, for the error when there is no home.
func userConfigDir(deps *Deps, flag string) (string, error) {
	if dir := deps.getenv("XDG_CONFIG_HOME"); dir != "" {
		return dir, nil
	}
	home := deps.getenv("HOME")
	if home == "" {
		return "", usagef("no HOME or XDG_CONFIG_HOME to keep consign's state in; pass %s", flag)
	}
	return filepath.Join(home, ".config"), nil
}

// stateFlags are --state and --no-state of verify and verify-pack: the
// rollback state is on unless turned off explicitly.
type stateFlags struct {
	path string
	off  bool
}

func (s *stateFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.path, "state", "", "file remembering the policy versions (and pack checkpoints) verified per product, refusing older ones (default: consign/verify.json in the user's config directory)")
	cmd.Flags().BoolVar(&s.off, "no-state", false, "remember nothing and refuse nothing as older: to verify an old release on purpose")
}

// check refuses --state with --no-state.
func (s *stateFlags) check() error {
	if s.path != "" && s.off {
		return usagef("give --state FILE or --no-state, not both")
	}
	return nil
}

// store is the state file the flags name (by default in the user's config
// directory), or nil with --no-state.
func (s *stateFlags) store(deps *Deps) (*evidence.FileState, error) {
	if s.off {
		return nil, nil
	}
	if s.path == "" {
		dir, err := userConfigDir(deps, "--state FILE, or --no-state")
		if err != nil {
			return nil, err
		}
		s.path = filepath.Join(dir, "consign", "verify.json")
	}
	return &evidence.FileState{Path: s.path}, nil
}

// verdict is err, a "no" from verification (exit 3); a rollback says how
// to go on.
func (s *stateFlags) verdict(n int, err error) error {
	// The report above gave each of the n reasons on its FAIL line: the
	// error line only counts them; the first picks the hint.
	e := checksFailed(max(n, 1), err).(*Error)
	if errors.Is(err, verify.ErrRollback) {
		e.Hint = fmt.Sprintf("%s remembers a newer policy or pack (or a later clock) for this product: "+
			"verify the newer one; to verify an older release on purpose, pass --no-state (or another --state FILE); if the clock is wrong, fix it", s.path)
	}
	return e
}
