package cli

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
)

// TestVerifyFilesStopsOnSignal: a Ctrl-C during verify-attestation of a
// big JSON Lines file stops the checks and reports nothing. It used to
// check all of a 90,000-envelope file (7 s) after the signal, print
// "90000 passed" and then exit 130.
func TestVerifyFilesStopsOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&interruptError{sig: syscall.SIGINT})
	files := []fileItems{{name: "big.intoto.jsonl", items: make([]attest.Item, 1000)}}
	results, err := verifyFiles(ctx, files, nil, attest.VerifyOptions{})
	var ie *interruptError
	if !errors.As(err, &ie) || results != nil {
		t.Fatalf("verifyFiles after SIGINT = %d results, %v; want none and the interruption", len(results), err)
	}
}
