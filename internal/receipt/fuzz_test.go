package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

// FuzzSetAdd feeds receipts files made from a real log's receipts to
// Set.Add: it never panics, it adds no more receipts than the file has
// lines, the set holds what it says it added, and a receipt it adds gives
// a logged attestation its real log time and nothing else.
func FuzzSetAdd(f *testing.F) {
	ls, err := tlog.NewSigner("log.example/fuzz", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		f.Fatal(err)
	}
	a := signer(f)
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{t1, t1.Add(time.Hour), t1.Add(2 * time.Hour)}
	envs := []*attest.Envelope{statement(f, "x", a), statement(f, "y", a), statement(f, "z", a)}
	data := logOf(f, ls, []*sign.Signer{a}, times, envs...)
	f.Add(data)
	lines := bytes.SplitAfter(data, []byte("\n"))
	f.Add(lines[1])
	f.Add(append(append([]byte(nil), lines[2]...), lines[2]...))
	f.Add(bytes.TrimSuffix(lines[0], []byte("\n")))
	f.Add([]byte("\n\n{}\n"))
	never := statement(f, "never logged", a)
	f.Fuzz(func(t *testing.T, data []byte) {
		set := receipt.NewSet(ls.Verifier(), tlog.CheckpointOptions{})
		n, _ := set.Add(data, "fuzz.receipts.jsonl")
		if n < 0 || n > bytes.Count(data, []byte("\n"))+1 || set.Len() != n {
			t.Fatalf("Add = %d of %d lines; Len %d", n, bytes.Count(data, []byte("\n"))+1, set.Len())
		}
		for i, env := range envs {
			got, err := set.Check(env, nil)
			if err != nil && !errors.Is(err, receipt.ErrNoReceipt) {
				t.Fatalf("Check(statement %d) = %v", i, err)
			}
			if err == nil && !got.Equal(times[i]) {
				t.Fatalf("Check(statement %d) = %v, its log time is %v", i, got, times[i])
			}
		}
		if _, err := set.Check(never, nil); !errors.Is(err, receipt.ErrNoReceipt) {
			t.Fatalf("Check(never logged) = %v", err)
		}
	})
}
