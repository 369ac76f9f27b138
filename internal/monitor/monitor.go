// Package monitor watches a transparency log from the outside: it pins the
// log's key and origin on the first run, keeps the last checkpoint it
// verified in a state file, and on every later run proves that the log's
// new checkpoint extends that one.
//
// # Trust
//
// The log's key is given once, by whoever runs the monitor (from the log's
// operator or a policy), and is kept in the state; it is never taken from
// the log. A later key must be the same one ([ErrKeyChanged]). The key is
// always pinned to one origin (tlog.LoadVerifier), kept with it: a log that
// starts calling itself something else does not verify.
//
// # Alerts
//
// A checkpoint smaller than the trusted one is [tlog.ErrRollback], one of
// the same size with another root [tlog.ErrFork], a consistency proof that
// fails [tlog.ErrConsistency]. On any error the state is left as it was,
// so it keeps the last good checkpoint as evidence.
package monitor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

var (
	// ErrNoKey is returned by [Open] on a first run without a log key.
	ErrNoKey = errors.New("no log key: the first run needs the log's key")
	// ErrKeyChanged is returned by [Open] when the key given is not the
	// one the state pinned.
	ErrKeyChanged = fmt.Errorf("%w: the log key given is not the key this monitor pinned", tlog.ErrCheckpointSignature)
)

// Source is where a monitor reads the log: its latest signed checkpoint
// and consistency proofs. Nothing it answers is trusted before it verifies.
type Source interface {
	Checkpoint(ctx context.Context) ([]byte, error)
	Consistency(ctx context.Context, from, to uint64) ([]tlog.Hash, error)
}

// Next fetches src's checkpoint, verifies it with the log key (which the
// caller pinned: never a key the log serves), and, when trusted is not nil,
// proves it consistent with trusted, the last checkpoint the caller
// verified. It returns the new checkpoint, which the caller may then trust
// instead; on any error (see the package alerts) the caller keeps trusted.
func Next(ctx context.Context, src Source, key *tlog.Verifier, opts tlog.CheckpointOptions, trusted *tlog.Checkpoint) (*tlog.SignedCheckpoint, error) {
	note, err := src.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	next, err := tlog.OpenCheckpoint(note, key, opts)
	if err != nil {
		return nil, fmt.Errorf("the server's checkpoint: %w", err)
	}
	if trusted == nil {
		return next, nil
	}
	var proof []tlog.Hash
	if trusted.Size > 0 && trusted.Size < next.Size {
		if proof, err = src.Consistency(ctx, trusted.Size, next.Size); err != nil {
			return nil, fmt.Errorf("fetching the consistency proof from %d to %d: %w", trusted.Size, next.Size, err)
		}
	}
	if err := tlog.CheckExtension(*trusted, next.Checkpoint, proof); err != nil {
		return nil, err
	}
	return next, nil
}

// State is what a monitor keeps between runs, as JSON.
type State struct {
	Server string `json:"server"`
	// LogKey is the log key the first run was given, as given.
	LogKey string `json:"logKey"`
	// Origin is the log's origin, pinned on the first run.
	Origin string `json:"origin"`
	// Checkpoint is the last checkpoint verified and proven consistent.
	Checkpoint string `json:"checkpoint"`
	Updated    string `json:"updated"`
}

// StatePath is the default state file of a monitor of server:
// DIR/consign/monitor/<hash of the server's URL>.json, with DIR the
// user's configuration directory.
func StatePath(configDir, server string) string {
	sum := sha256.Sum256([]byte(server))
	return filepath.Join(configDir, "consign", "monitor", hex.EncodeToString(sum[:8])+".json")
}

// Monitor is one log watched through one state file.
type Monitor struct {
	path    string
	server  string
	key     *tlog.Verifier
	state   State
	trusted *tlog.Checkpoint
}

// Open reads the state at path (none yet is a first run) and picks the log
// key: key when given, which must then be the pinned one ([ErrKeyChanged]),
// else the pinned one, else [ErrNoKey]. A state that does not parse, or
// whose checkpoint does not verify with its key, is an error wrapping
// tlog.ErrMalformed or tlog's verification errors.
func Open(path, server string, key *tlog.Verifier) (*Monitor, error) {
	b, err := limits.ReadFile(path, limits.JSONFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b = nil
	case err != nil:
		return nil, err
	}
	return open(b, path, server, key)
}

// open is [Open] of the state data read from path (nil: none yet).
func open(data []byte, path, server string, key *tlog.Verifier) (*Monitor, error) {
	m := &Monitor{path: path, server: server}
	var err error
	if data != nil {
		if err := json.Unmarshal(data, &m.state); err != nil {
			return nil, fmt.Errorf("reading the monitor state %s: %w: %v", path, tlog.ErrMalformed, err)
		}
	}
	var pinned *tlog.Verifier
	if m.state.LogKey != "" {
		if pinned, err = tlog.LoadVerifier(m.state.LogKey, m.state.Origin); err != nil {
			return nil, fmt.Errorf("the monitor state %s: %w", path, err)
		}
	}
	switch {
	case key != nil && pinned != nil && !sameKey(key, pinned):
		return nil, fmt.Errorf("%w (in %s)", ErrKeyChanged, path)
	case key != nil:
		m.key = key
	case pinned != nil:
		m.key = pinned
	default:
		return nil, ErrNoKey
	}
	if m.state.Checkpoint != "" {
		cp, err := tlog.OpenCheckpoint([]byte(m.state.Checkpoint), m.key, tlog.CheckpointOptions{})
		if err != nil {
			return nil, fmt.Errorf("the monitor state %s: %w", path, err)
		}
		m.trusted = &cp.Checkpoint
	}
	return m, nil
}

func sameKey(a, b *tlog.Verifier) bool {
	return bytes.Equal(a.PublicKey(), b.PublicKey()) && a.Origin() == b.Origin()
}

// Trusted is the last checkpoint the monitor verified, or nil on a first run.
func (m *Monitor) Trusted() *tlog.Checkpoint { return m.trusted }

// Path is the state file.
func (m *Monitor) Path() string { return m.path }

// Check fetches src's checkpoint, verifies it with the pinned key (and so
// its origin), proves it extends the trusted one ([Next]), and trusts it:
// the state file is rewritten (0600, its directory 0700), stamped with now.
// It returns the checkpoint trusted before (nil on a first run) and the
// new one.
func (m *Monitor) Check(ctx context.Context, src Source, opts tlog.CheckpointOptions, now time.Time) (prev *tlog.Checkpoint, next *tlog.SignedCheckpoint, err error) {
	prev = m.trusted
	next, err = Next(ctx, src, m.key, opts, prev)
	if err != nil {
		return prev, nil, err
	}
	state := State{Server: m.server, LogKey: m.key.String(), Origin: next.Origin, Checkpoint: string(next.Note), Updated: now.UTC().Format(time.RFC3339)}
	if err := writeState(m.path, state); err != nil {
		return prev, nil, err
	}
	m.state, m.trusted = state, &next.Checkpoint
	return prev, next, nil
}

func writeState(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing the monitor state: %w", err)
	}
	if err := fsutil.WriteFile(path, append(b, '\n'), 0o600, true); err != nil {
		return fmt.Errorf("writing the monitor state: %w", err)
	}
	return nil
}
