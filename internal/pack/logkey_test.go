package pack_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestLogKeyOrigin: the policy's log origin pins the log key it names, so
// a checkpoint the same key signs for another log does not verify.
func TestLogKeyOrigin(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	v, err := sign.NewVerifier(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	ours, _ := tlog.NewSigner("log.example/acme", priv)
	theirs, _ := tlog.NewSigner("log.example/other", priv)
	cp := func(s *tlog.Signer) []byte {
		b, err := s.Sign(tlog.Checkpoint{Origin: s.Origin(), Size: 1, Root: tlog.LeafHash([]byte("x"))})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := &policy.Policy{Log: &policy.Log{Key: &policy.Key{Verifier: v}, Origin: "log.example/acme"}}
	key, err := pack.LogKey(p)
	if err != nil || key.Origin() != "log.example/acme" {
		t.Fatalf("LogKey = %v, %v; want the key pinned to log.example/acme", key, err)
	}
	if _, err := tlog.OpenCheckpoint(cp(ours), key, tlog.CheckpointOptions{}); err != nil {
		t.Errorf("OpenCheckpoint(the policy's log) = %v", err)
	}
	if _, err := tlog.OpenCheckpoint(cp(theirs), key, tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrUnverified) {
		t.Errorf("OpenCheckpoint(same key, another origin) = %v, want a verification failure", err)
	}
	p.Log.Origin = ""
	if key, err := pack.LogKey(p); err != nil || key.Origin() != "" {
		t.Errorf("LogKey(no origin) = %v, %v; want the unpinned key", key, err)
	}
}
