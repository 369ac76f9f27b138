package tlog_test

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/tlog"
)

// A log signs its checkpoint; a client holding the log's key (from the
// operator or a policy, never from the log) opens it.
func ExampleOpenCheckpoint() {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // a fixed key, for the example
	log, _ := tlog.NewSigner("log.example.com/consign", priv)
	note, _ := log.Sign(tlog.Checkpoint{Origin: "log.example.com/consign", Size: 0, Root: tlog.EmptyRoot})

	pinned, _ := tlog.ParseVerifier(log.VerifierKey())
	cp, err := tlog.OpenCheckpoint(note, pinned, tlog.CheckpointOptions{})
	fmt.Println(cp.Origin, cp.Size, err)
	// Output: log.example.com/consign 0 <nil>
}

// A leaf records the log's time, the attestation's statement and the
// signatures the log verified; nothing else.
func ExampleLeaf_Marshal() {
	keyID := "2fbca223eca1f6e2c8c8d6c2b5f1e7d9a3b4c5d6e7f8091a2b3c4d5e6f708192"
	l, _ := tlog.NewLeaf(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), []byte("DSSEv1 ..."),
		[]tlog.LeafSignature{tlog.SignatureOf(keyID, []byte("signature bytes"))})
	fmt.Print(string(l.Marshal()))
	// Output:
	// consign.dev/log/entry/v1
	// time 2026-11-01T12:00:00Z
	// statement sha256:d5d1a0139c17e8c33bd32060d93de8b2d8309dfd7b5f024a423644890b77bb14
	// sig 2fbca223eca1f6e2c8c8d6c2b5f1e7d9a3b4c5d6e7f8091a2b3c4d5e6f708192 sha256:f4c2fee470729bcc60d90edfc687bb5b3e377cd31d39e7fadcc6d9978ff18df4
}
