package tlog_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/tlog"
)

// cosigner is a witness named name with key priv, cosigning at time at.
func cosigner(t *testing.T, name string, priv ed25519.PrivateKey, at int64) (*tlog.Cosigner, *tlog.Witness) {
	t.Helper()
	c, err := tlog.NewCosigner(name, priv, func() time.Time { return time.Unix(at, 0) })
	if err != nil {
		t.Fatalf("NewCosigner(%q): %v", name, err)
	}
	w, err := tlog.ParseWitness(c.VerifierKey())
	if err != nil {
		t.Fatalf("ParseWitness(%q): %v", c.VerifierKey(), err)
	}
	return c, w
}

// cosignAll has each cosigner in turn add its cosignature to msg.
func cosignAll(t *testing.T, msg []byte, log *tlog.Verifier, cs ...*tlog.Cosigner) []byte {
	t.Helper()
	for _, c := range cs {
		var err error
		if msg, err = c.Cosign(msg, log); err != nil {
			t.Fatalf("Cosign(%s): %v", c.Name(), err)
		}
	}
	return msg
}

// TestWitnessThreshold_OneKeyTwoNames: a cosignature signs the checkpoint
// and a time, not the witness's name, so one key listed under two names
// would let its holder meet a threshold of two alone. Such a list is refused,
// and a cosigned checkpoint counts each key once.
func TestWitnessThreshold_OneKeyTwoNames(t *testing.T) {
	const origin = "log.example/witnessed"
	log := newSigner(t, origin)
	lv := log.Verifier()
	msg := signCP(t, log, tlog.Checkpoint{Origin: origin, Size: 7, Root: sha([]byte("root"))})

	key := mustKey(t)
	ca, wa := cosigner(t, "witness.example/a", key, 1_800_000_000)
	cb, wb := cosigner(t, "witness.example/b", key, 1_800_000_001)
	cosigned := cosignAll(t, msg, lv, ca, cb)

	twoNames := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{wa, wb}, WitnessThreshold: 2}
	if got, err := tlog.OpenCheckpoint(cosigned, lv, twoNames); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("OpenCheckpoint(one key under two names, threshold 2) accepted %v, %v; want ErrMalformed", witnessesOf(got), err)
	}
	oneOfTwo := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{wa, wb}, WitnessThreshold: 1}
	if _, err := tlog.OpenCheckpoint(cosigned, lv, oneOfTwo); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("OpenCheckpoint(one key under two names, threshold 1) = %v; want the list refused", err)
	}

	// Two witnesses with two keys meet the threshold of two.
	cc, wc := cosigner(t, "witness.example/c", mustKey(t), 1_800_000_002)
	two := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{wa, wc}, WitnessThreshold: 2}
	got, err := tlog.OpenCheckpoint(cosignAll(t, msg, lv, ca, cc), lv, two)
	if err != nil || len(got.Witnesses) != 2 {
		t.Fatalf("OpenCheckpoint(two keys, threshold 2) = %+v, %v; want accepted with two witnesses", got, err)
	}
}

// TestSecurityCase12_OneWitnessKeyCountsOnce: a threshold of independent
// witnesses is met only by independent keys. The log's own key listed as a
// witness under another name is refused (the log would witness itself), and
// one witness cosigning twice (two times, one name) counts once.
func TestSecurityCase12_OneWitnessKeyCountsOnce(t *testing.T) {
	const origin = "log.example/twice"
	log, logPriv := newSignerKey(t, origin)
	lv := log.Verifier()
	msg := signCP(t, log, tlog.Checkpoint{Origin: origin, Size: 3, Root: sha([]byte("r"))})

	self, wself := cosigner(t, "witness.example/log", logPriv, 1_800_000_000)
	realPriv := mustKey(t)
	real, wreal := cosigner(t, "witness.example/real", realPriv, 1_800_000_000)
	policy := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{wself, wreal}, WitnessThreshold: 2}
	if got, err := tlog.OpenCheckpoint(cosignAll(t, msg, lv, self, real), lv, policy); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("OpenCheckpoint(the log's key as a witness) accepted %v, %v; want ErrMalformed", witnessesOf(got), err)
	}

	again, _ := cosigner(t, "witness.example/real", realPriv, 1_800_000_100)
	twice := cosignAll(t, msg, lv, real)
	twice = append(twice, cosignAll(t, msg, lv, again)[len(msg):]...)
	_, wother := cosigner(t, "witness.example/other", mustKey(t), 0)
	policy = tlog.CheckpointOptions{Witnesses: []*tlog.Witness{wreal, wother}, WitnessThreshold: 2}
	if got, err := tlog.OpenCheckpoint(twice, lv, policy); !errors.Is(err, tlog.ErrWitness) {
		t.Errorf("OpenCheckpoint(one witness cosigning twice, threshold 2) accepted %v, %v; want ErrWitness", witnessesOf(got), err)
	}
}

func witnessesOf(c *tlog.SignedCheckpoint) []string {
	if c == nil {
		return nil
	}
	return c.Witnesses
}
