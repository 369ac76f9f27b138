package evidence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/verify"
)

// TestFileStateConcurrentSaves: verifiers saving state at once, each with
// its own FileState on one file (as two processes would), lose nothing:
// every product is kept, and a product's version only moves forward, to
// the highest saved.
func TestFileStateConcurrentSaves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fs := &FileState{Path: path}
			if err := fs.Save(fmt.Sprintf("product-%d", i), verify.State{Version: 1, VerifiedAt: testNow}); err != nil {
				t.Error(err)
			}
			if err := fs.Save("shared", verify.State{Version: i, VerifiedAt: testNow.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fs := &FileState{Path: path}
	for i := range n {
		if _, ok, err := fs.Load(fmt.Sprintf("product-%d", i)); !ok || err != nil {
			t.Errorf("product-%d: lost (%v)", i, err)
		}
	}
	st, ok, err := fs.Load("shared")
	if !ok || err != nil || st.Version != n-1 || !st.VerifiedAt.Equal(testNow.Add((n-1)*time.Second)) {
		t.Errorf("Load(shared) = %+v, %v, %v; want version %d at the latest time", st, ok, err, n-1)
	}
	// An older state saved later does not move it back.
	if err := fs.Save("shared", verify.State{Version: 1, VerifiedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := fs.Load("shared"); again != st {
		t.Errorf("after saving an older state: %+v, want %+v", again, st)
	}
}

// FuzzFileState: any state file is read or refused with an error, never a
// panic; a state saved over a file that reads keeps the file's other
// products and moves the product forward only.
func FuzzFileState(f *testing.F) {
	f.Add([]byte(`{"acme":{"version":3,"verifiedAt":"2026-11-27T12:00:00Z"},"other":{"version":1,"verifiedAt":"2026-01-01T00:00:00Z"}}`), 2)
	f.Add([]byte(`{"acme":{"version":-1}}`), 5)
	f.Add([]byte(``), 0)
	f.Add([]byte(`null`), 1)
	f.Fuzz(func(t *testing.T, data []byte, version int) {
		path := filepath.Join(t.TempDir(), "state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fs := &FileState{Path: path}
		before, err := fs.read()
		if err != nil {
			if err := fs.Save("acme", verify.State{Version: version, VerifiedAt: testNow}); err == nil {
				t.Fatalf("Save over a state file that does not read = nil error")
			}
			return
		}
		if err := fs.Save("acme", verify.State{Version: version, VerifiedAt: testNow}); err != nil {
			t.Fatalf("Save = %v", err)
		}
		after, err := fs.read()
		if err != nil {
			t.Fatalf("the saved state does not read: %v", err)
		}
		for p, st := range before {
			if p != "acme" && after[p] != st {
				t.Fatalf("product %q changed: %+v -> %+v", p, st, after[p])
			}
		}
		if got := after["acme"]; got.Version != max(before["acme"].Version, version) || got.VerifiedAt.Before(before["acme"].VerifiedAt) {
			t.Fatalf("acme: %+v after saving version %d over %+v", got, version, before["acme"])
		}
	})
}

// TestFileStateCorrupt: a state file that does not read is an error
// ([ErrCorruptState]) for Load and Save alike, and Save leaves it as it
// was: it is never taken for an empty state.
func TestFileStateCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	corrupt := []byte(`{"acme": {"version": 7,`)
	if err := os.WriteFile(path, corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	fs := &FileState{Path: path}
	if _, _, err := fs.Load("acme"); !errors.Is(err, ErrCorruptState) {
		t.Errorf("Load = %v, want ErrCorruptState", err)
	}
	if err := fs.Save("acme", verify.State{Version: 1}); !errors.Is(err, ErrCorruptState) {
		t.Errorf("Save = %v, want ErrCorruptState", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(corrupt) {
		t.Errorf("the file changed to %q", b)
	}
}

// TestFileStateNew: the first save makes the file 0600, in a directory
// made 0700.
func TestFileStateNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consign", "verify.json")
	if err := (&FileState{Path: path}).Save("acme", verify.State{Version: 2}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", p, got, want)
		}
	}
}
