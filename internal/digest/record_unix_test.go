//go:build unix

package digest

import (
	"context"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRecordNonRegular: named pipes and sockets are skipped without being
// opened, so a pipe with no writer cannot block the recorder.
func TestRecordNonRegular(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{"f": "f"}, links: map[string]string{"lp": "pipe"}}.build(t, root)
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	l, err := net.Listen("unix", filepath.Join(root, "sock"))
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	defer l.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want := &Result{
		Artifacts: map[string]Set{"f": sum("f")},
		Skipped:   []Skipped{{"lp", ReasonNotRegular}, {"pipe", ReasonNotRegular}, {"sock", ReasonNotRegular}},
	}
	for name, open := range map[string]dirOpener{"default": openSysDir, "portable": openRootDir} {
		res, err := record(ctx, root, []string{".", "pipe"}, RecordOptions{}, open)
		if err != nil {
			t.Fatalf("record(%s) error: %v", name, err)
		}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("record(%s) mismatch (-want +got):\n%s", name, diff)
		}
	}
}
