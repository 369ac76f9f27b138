package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// TestRunConcurrent: Run may be called from several goroutines at once, as
// a program embedding consign's CLI or parallel tests do; each prints its
// own help. Under -race (as CI runs it) it fails if building the command
// tree writes process-wide state, as registering cobra's template function
// on every Run did.
func TestRunConcurrent(t *testing.T) {
	const n = 8
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, n)
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			deps := &Deps{Stdout: &outs[i], Stderr: &outs[i], LookupEnv: func(string) (string, bool) { return "", false }}
			codes[i] = Run(context.Background(), deps, []string{"verify", "--help"})
		})
	}
	wg.Wait()
	for i := range n {
		if codes[i] != ExitOK {
			t.Errorf("run %d: exit %d, want 0\n%s", i, codes[i], outs[i].String())
		}
		if got := outs[i].String(); !strings.Contains(got, "--policy") || strings.Contains(got, "[=true|false]") {
			t.Errorf("run %d: help does not list its flags as consign prints them:\n%s", i, got)
		}
	}
}
