package tlog_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestPEMLogKey: a log key given as a PEM public key (as policies name
// keys) verifies the log's checkpoints whatever its origin, but only a
// signature made under the checkpoint's own origin counts.
func TestPEMLogKey(t *testing.T) {
	s, priv := newSignerKey(t, "log.example/pem")
	want, err := sign.MarshalPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.PublicKeyPEM()); got != string(want) {
		t.Fatalf("PublicKeyPEM = %q, want what sign writes, %q", got, want)
	}
	v, err := tlog.ParseVerifier(string(want))
	if err != nil {
		t.Fatalf("ParseVerifier(PEM) = %v", err)
	}
	if v.Origin() != "" || !v.PublicKey().Equal(priv.Public().(ed25519.PublicKey)) {
		t.Errorf("PEM verifier: origin %q, key mismatch", v.Origin())
	}
	msg := signCP(t, s, tlog.Checkpoint{Origin: "log.example/pem", Size: 3, Root: tlog.EmptyRoot})
	if _, err := tlog.OpenCheckpoint(msg, v, tlog.CheckpointOptions{}); err != nil {
		t.Errorf("OpenCheckpoint with the PEM key = %v", err)
	}
	// The same key signing under name A a body that claims origin B.
	other, _ := tlog.NewSigner("log.example/a", priv)
	forged := signNote(t, other, priv, "log.example/b\n3\n"+tlog.EmptyRoot.String()+"\n")
	if _, err := tlog.OpenCheckpoint(forged, v, tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("OpenCheckpoint(signed as A, origin B) = %v, want ErrCheckpointSignature", err)
	}
	if _, err := tlog.OpenCheckpoint(msg, newSigner(t, "log.example/pem").Verifier(), tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("OpenCheckpoint with another key = %v, want ErrCheckpointSignature", err)
	}
	ecdsa, _ := sign.Generate(sign.ECDSAP256)
	ecPEM, _ := sign.MarshalPublicKey(ecdsa.Public())
	if _, err := tlog.ParseVerifier(string(ecPEM)); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("ParseVerifier(an ECDSA key) = %v, want ErrMalformed", err)
	}
	if _, err := tlog.ParseVerifier(string(want) + string(want)); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("ParseVerifier(two PEM blocks) = %v, want ErrMalformed", err)
	}
}
