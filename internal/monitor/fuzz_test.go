package monitor_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/monitor"
	"github.com/consign-dev/consign/internal/tlog"
)

// seedLog is a log with a fixed key, so that the seed corpus under
// testdata/fuzz/FuzzOpenState holds states this key verifies.
func seedLog(t testing.TB) *tlog.Signer {
	s, err := tlog.NewSigner("log.example/fuzz", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{46}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzOpenState fuzzes the monitor's state file parser (monitor.Open, of
// the file's bytes),
// with the log key given and without it. A state that opens has a pinned
// key that is the key given (or, without one, its own), and a trusted
// checkpoint that key verifies; a state that does not open gives an error
// and no monitor; nothing panics. Seeds: real states written by Check, and
// the corpus under testdata/fuzz/FuzzOpenState.
func FuzzOpenState(f *testing.F) {
	signer := seedLog(f)
	key := signer.Verifier()
	dir := f.TempDir()
	for _, size := range []uint64{0, 1, 7} {
		root := tlog.LeafHash([]byte{byte(size)})
		note, err := signer.Sign(tlog.Checkpoint{Origin: signer.Origin(), Size: size, Root: root})
		if err != nil {
			f.Fatal(err)
		}
		path := filepath.Join(dir, "seed.json")
		os.Remove(path)
		m, err := monitor.Open(path, "https://log.example", key)
		if err != nil {
			f.Fatal(err)
		}
		if _, _, err := m.Check(context.Background(), staticSource(note), tlog.CheckpointOptions{}, now); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"server":"s","logKey":"","origin":"","checkpoint":"","updated":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, given := range []*tlog.Verifier{key, nil} {
			m, err := monitor.OpenData(data, "https://log.example", given)
			if err != nil {
				if m != nil {
					t.Fatalf("Open = %v and a monitor", err)
				}
				if given != nil && errors.Is(err, monitor.ErrNoKey) {
					t.Fatalf("Open with a key = %v", err)
				}
				continue
			}
			var st monitor.State
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatalf("a state that opened does not decode: %v", err)
			}
			if given == nil && st.LogKey == "" {
				t.Fatalf("a state without a key opened without one")
			}
			if st.LogKey != "" {
				pinned, err := tlog.LoadVerifier(st.LogKey, st.Origin)
				if err != nil {
					t.Fatalf("a state opened whose key does not load: %v", err)
				}
				if given != nil && (!bytes.Equal(pinned.PublicKey(), given.PublicKey()) || pinned.Origin() != given.Origin()) {
					t.Fatalf("a state pinned to another key opened with %s", given)
				}
			}
			if cp := m.Trusted(); cp != nil {
				if st.Checkpoint == "" {
					t.Fatalf("a trusted checkpoint from a state without one")
				}
				verifier := given
				if verifier == nil {
					verifier, _ = tlog.LoadVerifier(st.LogKey, st.Origin)
				}
				sc, err := tlog.OpenCheckpoint([]byte(st.Checkpoint), verifier, tlog.CheckpointOptions{})
				if err != nil || sc.Checkpoint != *cp {
					t.Fatalf("the trusted checkpoint %+v is not the state's, verified (%v)", cp, err)
				}
			}
		}
	})
}

// staticSource serves one checkpoint and no proofs.
type staticSource []byte

func (s staticSource) Checkpoint(context.Context) ([]byte, error) { return s, nil }

func (s staticSource) Consistency(context.Context, uint64, uint64) ([]tlog.Hash, error) {
	return nil, errors.New("no proofs")
}
