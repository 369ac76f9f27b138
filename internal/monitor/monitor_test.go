package monitor_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/monitor"
	"github.com/consign-dev/consign/internal/tlog"
)

// fakeLog is a real RFC 6962 tree in memory, signed with a real key; what
// it serves can be made to lie.
type fakeLog struct {
	t      *testing.T
	signer *tlog.Signer
	priv   ed25519.PrivateKey
	hashes []tlog.Hash
	size   int64
	// serve, when set, replaces the checkpoint the log serves.
	serve []byte
	// fork names its entries apart from another log's.
	fork string
	// badProof makes consistency proofs wrong.
	badProof bool
}

func (f *fakeLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = f.hashes[x]
	}
	return out, nil
}

func newLog(t *testing.T, origin string) *fakeLog {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, err := tlog.NewSigner(origin, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeLog{t: t, signer: s, priv: priv}
}

func (f *fakeLog) append(n int) {
	for range n {
		hs, err := tlog.StoredHashes(f.size, tlog.LeafHash(fmt.Appendf(nil, "entry %d%s", f.size, f.fork)), f)
		if err != nil {
			f.t.Fatal(err)
		}
		f.hashes = append(f.hashes, hs...)
		f.size++
	}
}

// sign is the log's signed checkpoint at size n (n <= f.size).
func (f *fakeLog) sign(n int64) []byte {
	root, err := tlog.TreeHash(n, f)
	if err != nil {
		f.t.Fatal(err)
	}
	b, err := f.signer.Sign(tlog.Checkpoint{Origin: f.signer.Origin(), Size: uint64(n), Root: root})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fakeLog) Checkpoint(context.Context) ([]byte, error) {
	if f.serve != nil {
		return f.serve, nil
	}
	return f.sign(f.size), nil
}

func (f *fakeLog) Consistency(_ context.Context, from, to uint64) ([]tlog.Hash, error) {
	p, err := tlog.ProveConsistency(int64(from), int64(to), f)
	if f.badProof && len(p) > 0 {
		p[0][0] ^= 1
	}
	return p, err
}

var now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func check(t *testing.T, path string, key *tlog.Verifier, src monitor.Source) (*tlog.Checkpoint, *tlog.SignedCheckpoint, error) {
	t.Helper()
	m, err := monitor.Open(path, "https://log.example", key)
	if err != nil {
		return nil, nil, err
	}
	return m.Check(context.Background(), src, tlog.CheckpointOptions{}, now)
}

func readState(t *testing.T, path string) monitor.State {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s monitor.State
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMonitorGrowingLog(t *testing.T) {
	log := newLog(t, "log.example/m")
	log.append(3)
	path := filepath.Join(t.TempDir(), "state", "m.json")
	prev, next, err := check(t, path, log.signer.Verifier(), log)
	if err != nil || prev != nil || next.Size != 3 {
		t.Fatalf("first Check = %v, %v, %v; want nil, size 3, nil", prev, next, err)
	}
	st := readState(t, path)
	if st.Origin != "log.example/m" || st.LogKey != log.signer.VerifierKey() || st.Server != "https://log.example" || st.Updated != "2026-12-01T00:00:00Z" {
		t.Errorf("state = %+v", st)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	log.append(5)
	// Later runs need no key: the state pinned it.
	prev, next, err = check(t, path, nil, log)
	if err != nil || prev.Size != 3 || next.Size != 8 {
		t.Fatalf("second Check = %v, %v, %v; want 3 -> 8", prev, next, err)
	}
	prev, next, err = check(t, path, nil, log)
	if err != nil || prev.Size != 8 || next.Size != 8 {
		t.Fatalf("unchanged Check = %v, %v, %v", prev, next, err)
	}
}

func TestMonitorAlerts(t *testing.T) {
	tests := []struct {
		name    string
		lie     func(l *fakeLog)
		wantErr error
	}{
		{"rollback", func(l *fakeLog) { l.serve = l.sign(2) }, tlog.ErrRollback},
		{"fork", func(l *fakeLog) {
			// Another history of the same size, signed with the same key.
			other := &fakeLog{t: l.t, signer: l.signer, fork: "'"}
			other.append(4)
			l.serve = other.sign(4)
		}, tlog.ErrFork},
		{"inconsistent", func(l *fakeLog) { l.append(3); l.badProof = true }, tlog.ErrConsistency},
		{"another key", func(l *fakeLog) { l.serve = newLog(l.t, "log.example/m").sign(0) }, tlog.ErrCheckpointSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := newLog(t, "log.example/m")
			log.append(4)
			path := filepath.Join(t.TempDir(), "m.json")
			if _, _, err := check(t, path, log.signer.Verifier(), log); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			tt.lie(log)
			if _, _, err := check(t, path, nil, log); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check = %v, want %v", err, tt.wantErr)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(before) {
				t.Errorf("the state changed on an alert:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

func TestMonitorPinning(t *testing.T) {
	log := newLog(t, "log.example/m")
	log.append(2)
	dir := t.TempDir()
	path := filepath.Join(dir, "m.json")
	if _, _, err := check(t, path, nil, log); !errors.Is(err, monitor.ErrNoKey) {
		t.Errorf("first run without a key = %v, want ErrNoKey", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed first run wrote the state: %v", err)
	}
	// The PEM form pinned to the origin is the same key as the verifier key line.
	pem, err := tlog.LoadVerifier(string(log.signer.PublicKeyPEM()), "log.example/m")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := check(t, path, pem, log); err != nil {
		t.Fatalf("first run with the PEM key = %v", err)
	}
	if _, _, err := check(t, path, log.signer.Verifier(), log); err != nil {
		t.Errorf("the same key as a verifier key line = %v", err)
	}
	if _, _, err := check(t, path, newLog(t, "log.example/m").signer.Verifier(), log); !errors.Is(err, monitor.ErrKeyChanged) {
		t.Errorf("another key = %v, want ErrKeyChanged", err)
	}
	sameKeyOtherOrigin, err := tlog.LoadVerifier(string(log.signer.PublicKeyPEM()), "log.example/other")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := check(t, path, sameKeyOtherOrigin, log); !errors.Is(err, monitor.ErrKeyChanged) {
		t.Errorf("the key pinned to another origin = %v, want ErrKeyChanged", err)
	}
	// The log renamed: signed by its key under another origin.
	renamed, _ := tlog.NewSigner("log.example/renamed", log.priv)
	log.serve = (&fakeLog{t: t, signer: renamed, hashes: log.hashes, size: log.size}).sign(2)
	if _, _, err := check(t, path, nil, log); !errors.Is(err, tlog.ErrUnverified) {
		t.Errorf("the log under another origin = %v, want a verification failure", err)
	}
}

func TestMonitorBadState(t *testing.T) {
	log := newLog(t, "log.example/m")
	log.append(1)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("{not json"), 0o600)
	if _, err := monitor.Open(garbage, "s", log.signer.Verifier()); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("Open(garbage) = %v, want ErrMalformed", err)
	}
	// A state whose checkpoint its own key does not verify.
	path := filepath.Join(dir, "m.json")
	if _, _, err := check(t, path, log.signer.Verifier(), log); err != nil {
		t.Fatal(err)
	}
	st := readState(t, path)
	st.Checkpoint = string(newLog(t, "log.example/m").sign(0))
	b, _ := json.Marshal(st)
	os.WriteFile(path, b, 0o600)
	if _, err := monitor.Open(path, "s", nil); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("Open(tampered state) = %v, want ErrCheckpointSignature", err)
	}
	// A state whose origin is not its key's.
	st = readState(t, path)
	st.Checkpoint, st.Origin = "", "log.example/elsewhere"
	b, _ = json.Marshal(st)
	os.WriteFile(path, b, 0o600)
	if _, err := monitor.Open(path, "s", nil); !errors.Is(err, tlog.ErrOrigin) {
		t.Errorf("Open(state with another origin) = %v, want ErrOrigin", err)
	}
	if got, want := monitor.StatePath("/cfg", "https://log.example"), "/cfg/consign/monitor/"; filepath.Dir(got)+"/" != want || filepath.Ext(got) != ".json" {
		t.Errorf("StatePath = %q", got)
	}
}
