//go:build linux

package evidence

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadNamedPipeCancelled: an attestation file named on
// the command line that is a named pipe (accepted, as standard input
// is) whose writer stops sending holds the read only until the context
// ends: the read fails with the context's cause. The cap on the file's
// bytes used to hide the pipe from the reader, which then waited for the
// writer for ever after a Ctrl-C.
func TestReadNamedPipeCancelled(t *testing.T) {
	for _, read := range []struct {
		name string
		fn   func(context.Context, []string) error
	}{
		{"ReadAttestations", func(ctx context.Context, p []string) error { _, err := ReadAttestations(ctx, p); return err }},
	} {
		t.Run(read.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.intoto.jsonl")
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			// The writer sends half a line, and then nothing.
			ready := make(chan *os.File, 1)
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					ready <- nil
					return
				}
				w.WriteString(`{"payloadType":`)
				ready <- w
			}()
			cause := errors.New("interrupted")
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan error, 1)
			go func() { done <- read.fn(ctx, []string{p}) }()
			w := <-ready
			if w == nil {
				t.Fatal("opening the pipe to write")
			}
			defer w.Close()
			// Cancel once the reader has taken what was sent, and waits.
			for {
				n, err := unix.IoctlGetInt(int(w.Fd()), unix.TIOCINQ)
				if err != nil {
					t.Skipf("TIOCINQ on a pipe: %v", err)
				}
				if n == 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // into its next read: no bound is measured
			cancel(cause)
			select {
			case err := <-done:
				if !errors.Is(err, cause) {
					t.Errorf("%s(a pipe, cancelled) = %v, want the context's cause", read.name, err)
				}
			case <-time.After(time.Minute): // a guard: it measures nothing
				t.Fatalf("%s(a pipe whose writer stopped) still waits after the context ended", read.name)
			}
		})
	}
}
