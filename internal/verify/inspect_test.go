package verify_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/verify"
)

func inspection(name string, run []string, materials, products [][]string) in_toto.Inspection {
	return in_toto.Inspection{Type: "inspection", Run: run, SupplyChainItem: in_toto.SupplyChainItem{Name: name,
		ExpectedMaterials: materials, ExpectedProducts: products}}
}

// TestLayoutInspectionsNeedPermission: an inspection is a command chosen by
// the layout's author; it runs only when the caller gives an inspector, and
// then its rules apply to what the command really saw.
func TestLayoutInspectionsNeedPermission(t *testing.T) {
	check := inspection("check", []string{"true"},
		[][]string{{"MATCH", "dist/app", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "dist/app"}, {"ALLOW", "*"}},
		[][]string{{"ALLOW", "*"}})
	verify.WantFail(t, verify.VerifyLayoutT(t, verify.InspectionLayout(t, check)), "inspection check: not run")

	work := t.TempDir()
	verify.WriteFile(t, filepath.Join(work, "dist", "app"), []byte("the app"))
	cfg := verify.InspectionLayout(t, check)
	cfg.Inspector = evidence.Inspector{Dir: work}
	verify.WantPass(t, verify.VerifyLayoutT(t, cfg))

	verify.WriteFile(t, filepath.Join(work, "dist", "app"), []byte("tampered on disk"))
	verify.WantFail(t, verify.VerifyLayoutT(t, cfg), "inspection check: materials rule DISALLOW dist/app failed")
}

// TestInspectionsRunRealCommands: the engine judges what the caller's
// inspector recorded: the products a command wrote are held to the
// inspection's rules, and a command that fails fails the inspection with
// the inspector's reason.
func TestInspectionsRunRealCommands(t *testing.T) {
	work := t.TempDir()
	verify.WriteFile(t, filepath.Join(work, "dist", "app"), []byte("the app"))
	writes := inspection("scan", []string{"sh", "-c", "echo clean > scan.txt"},
		[][]string{{"MATCH", "dist/app", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
		[][]string{{"CREATE", "scan.txt"}, {"MATCH", "dist/app", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}})
	cfg := verify.InspectionLayout(t, writes)
	cfg.Inspector = evidence.Inspector{Dir: work}
	verify.WantPass(t, verify.VerifyLayoutT(t, cfg))
	if _, err := os.Stat(filepath.Join(work, "scan.txt")); err != nil {
		t.Fatalf("the inspection command did not run: %v", err)
	}

	// Run again: scan.txt is now a material, which the rules disallow.
	verify.WantFail(t, verify.VerifyLayoutT(t, cfg), "inspection scan: materials rule DISALLOW * failed")

	fails := inspection("fails", []string{"sh", "-c", "exit 4"}, [][]string{{"ALLOW", "*"}}, [][]string{{"ALLOW", "*"}})
	cfg = verify.InspectionLayout(t, fails)
	cfg.Inspector = evidence.Inspector{Dir: t.TempDir()}
	verify.WantFail(t, verify.VerifyLayoutT(t, cfg), `inspection fails: the inspection command "sh -c exit 4" failed`)
}

// TestStateIsTheCallers: the engine keeps its rollback state only through
// the store the caller gives; the same verification with the file-backed
// store and with one in memory gives the same answers.
func TestStateIsTheCallers(t *testing.T) {
	for name, store := range map[string]verify.StateStore{
		"memory": &verify.MemState{},
		"file":   &evidence.FileState{Path: filepath.Join(t.TempDir(), "state.json")},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := verify.ChainConfig(t)
			cfg.State = store
			verify.WantPass(t, verify.MustVerify(t, cfg))
			now := cfg.Now()
			if st, ok, err := store.Load("acme-app"); !ok || err != nil || !st.VerifiedAt.Equal(now) {
				t.Fatalf("Load() after Verify = %+v, %v, %v; want the verification time %s", st, ok, err, now)
			}
			earlier := cfg
			earlier.Now = func() time.Time { return now.Add(-time.Hour) }
			res := verify.MustVerify(t, earlier)
			if err := res.Err(); !errors.Is(err, verify.ErrRollback) {
				t.Errorf("Verify() with the clock set back = %v, want ErrRollback", err)
			}
		})
	}
}
