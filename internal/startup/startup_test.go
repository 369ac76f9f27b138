package startup

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

// TestRestore: the initialiser raised the GC percentage, and Restore puts
// back what GOGC says (default 100), once.
func TestRestore(t *testing.T) {
	want := 100
	if v := os.Getenv("GOGC"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Skipf("GOGC=%s is not a percentage", v)
		}
		want = n
	}
	if got := debug.SetGCPercent(initPercent); got != initPercent {
		t.Fatalf("GC percentage while initialising = %d, want %d", got, initPercent)
	}
	Restore()
	if got := debug.SetGCPercent(want); got != want {
		t.Errorf("GC percentage after Restore = %d, want %d", got, want)
	}
	debug.SetGCPercent(initPercent)
	Restore() // nothing left to restore
	if got := debug.SetGCPercent(want); got != initPercent {
		t.Errorf("a second Restore changed the GC percentage to %d", got)
	}
}
