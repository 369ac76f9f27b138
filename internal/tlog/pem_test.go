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

// TestLoadVerifier: whichever form the log key takes, the verifier that
// LoadVerifier returns is pinned to one origin, and a checkpoint of another
// origin signed by the same key does not open with it.
func TestLoadVerifier(t *testing.T) {
	s, priv := newSignerKey(t, "log.example/a")
	root := sha([]byte("root"))
	msgA := signCP(t, s, tlog.Checkpoint{Origin: "log.example/a", Size: 3, Root: root})
	// The same key signing as another log (a key reused, or a split log).
	other, err := tlog.NewSigner("log.example/b", priv)
	if err != nil {
		t.Fatal(err)
	}
	msgB := signCP(t, other, tlog.Checkpoint{Origin: "log.example/b", Size: 3, Root: root})
	pem := string(s.PublicKeyPEM())
	tests := []struct {
		name, text, origin string
		wantErr            error
	}{
		{"verifier key", s.VerifierKey() + "\n", "", nil},
		{"verifier key, same origin", s.VerifierKey(), "log.example/a", nil},
		{"verifier key, another origin", s.VerifierKey(), "log.example/b", tlog.ErrOrigin},
		{"PEM with origin", pem, "log.example/a", nil},
		{"PEM without origin", pem, "", tlog.ErrNoOrigin},
		{"PEM, bad origin", pem, "a b", tlog.ErrMalformed},
		{"garbage", "nonsense", "log.example/a", tlog.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tlog.LoadVerifier(tt.text, tt.origin)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("LoadVerifier = %v, %v; want %v", v, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if v.Origin() != "log.example/a" {
				t.Errorf("Origin() = %q, want the pinned log.example/a", v.Origin())
			}
			if _, err := tlog.OpenCheckpoint(msgA, v, tlog.CheckpointOptions{}); err != nil {
				t.Errorf("OpenCheckpoint(the log's own) = %v", err)
			}
			if _, err := tlog.OpenCheckpoint(msgB, v, tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrUnverified) {
				t.Errorf("OpenCheckpoint(same key, other origin) = %v, want a verification failure", err)
			}
		})
	}
}
