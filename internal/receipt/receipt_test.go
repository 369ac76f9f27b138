package receipt_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// Set is what the verification engine asks about receipts.
var _ verify.ReceiptChecker = (*receipt.Set)(nil)

type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func signer(t testing.TB) *sign.Signer {
	k, _ := sign.Generate(sign.Ed25519)
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func statement(t testing.TB, note string, by ...*sign.Signer) *attest.Envelope {
	pred, _ := json.Marshal(map[string]string{"n": note})
	st, _ := attest.NewStatement("https://example.com/t/v1", []attest.Subject{{Name: "a", Digest: map[string]string{"sha256": fmt.Sprintf("%064x", 7)}}}, pred)
	var ss []attest.Signer
	for _, b := range by {
		ss = append(ss, b)
	}
	env, err := attest.SignStatement(st, ss...)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// logOf logs envs (each accepted at its time, each signature recorded with
// the key of signers that verifies it, as the server does) and returns the
// receipts file.
func logOf(t testing.TB, ls *tlog.Signer, signers []*sign.Signer, times []time.Time, envs ...*attest.Envelope) []byte {
	m := &memTree{}
	var leaves [][]byte
	for i, env := range envs {
		var sigs []tlog.LeafSignature
		for _, s := range env.Signatures {
			for _, k := range signers {
				v, _ := sign.NewVerifier(k.Public())
				if v.Verify(attest.PAE(env.PayloadType, env.Payload), s.Sig) == nil {
					sigs = append(sigs, tlog.SignatureOf(k.KeyID(), s.Sig))
				}
			}
		}
		l, err := tlog.NewLeaf(times[i], attest.PAE(env.PayloadType, env.Payload), sigs)
		if err != nil {
			t.Fatal(err)
		}
		hs, _ := tlog.StoredHashes(int64(i), l.Hash(), m)
		m.hashes = append(m.hashes, hs...)
		leaves = append(leaves, l.Marshal())
	}
	n := int64(len(envs))
	root, _ := tlog.TreeHash(n, m)
	cp, _ := ls.Sign(tlog.Checkpoint{Origin: ls.Origin(), Size: uint64(n), Root: root})
	var out []byte
	for i := range envs {
		p, _ := tlog.ProveInclusion(int64(i), n, m)
		b, _ := json.Marshal(&tlog.Receipt{Origin: ls.Origin(), Index: uint64(i), Leaf: string(leaves[i]), Proof: p, Checkpoint: string(cp)})
		out = append(append(out, b...), '\n')
	}
	return out
}

func TestSetCheck(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ls, _ := tlog.NewSigner("log.example/r", priv)
	pemKey, _ := tlog.ParseVerifier(string(ls.PublicKeyPEM()))
	a, b := signer(t), signer(t)
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logged := statement(t, "x", a)
	twoSigs := statement(t, "y", a, b)
	data := logOf(t, ls, []*sign.Signer{a, b}, []time.Time{t1, t1.Add(time.Hour)}, logged, twoSigs)

	for _, key := range []*tlog.Verifier{ls.Verifier(), pemKey} {
		set := receipt.NewSet(key, tlog.CheckpointOptions{})
		if n, err := set.Add(data, "r.jsonl"); n != 2 || err != nil {
			t.Fatalf("Add = %d, %v", n, err)
		}
		if got, err := set.Check(logged, nil); err != nil || !got.Equal(t1) {
			t.Errorf("Check(logged) = %v, %v; want %v", got, err, t1)
		}
		// The same statement with a signature added later: no log time.
		later := *logged
		sb, _ := b.Sign(attest.PAE(logged.PayloadType, logged.Payload))
		later.Signatures = append(append([]attest.Signature(nil), logged.Signatures...), attest.Signature{KeyID: "b", Sig: sb})
		if _, err := set.Check(&later, nil); !errors.Is(err, receipt.ErrNoReceipt) {
			t.Errorf("Check(with a signature added after logging) = %v, want ErrNoReceipt", err)
		}
		// A subset of the logged signatures is fine.
		one := *twoSigs
		one.Signatures = twoSigs.Signatures[:1]
		if _, err := set.Check(&one, nil); err != nil {
			t.Errorf("Check(one of the logged signatures) = %v", err)
		}
		if _, err := set.Check(statement(t, "never logged", a), nil); !errors.Is(err, receipt.ErrNoReceipt) {
			t.Errorf("Check(not logged) = %v, want ErrNoReceipt", err)
		}
		if _, err := set.Check(nil, nil); !errors.Is(err, receipt.ErrNoReceipt) {
			t.Errorf("Check(nil) = %v", err)
		}
	}
	// Receipts of another log's key are not added.
	other, _ := tlog.NewSigner("log.example/r", func() ed25519.PrivateKey { _, p, _ := ed25519.GenerateKey(rand.Reader); return p }())
	set := receipt.NewSet(other.Verifier(), tlog.CheckpointOptions{})
	if n, err := set.Add(data, "r.jsonl"); n != 0 || !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("Add(receipts of another key) = %d, %v", n, err)
	}
	if got := receipt.PathFor("dir/build.intoto.jsonl"); got != "dir/build.receipts.jsonl" {
		t.Errorf("PathFor = %q", got)
	}
	if got := receipt.PathFor("env.json"); got != "env.json.receipts.jsonl" {
		t.Errorf("PathFor = %q", got)
	}
}

// TestPathFor: receipts go beside their attestations, named without the
// attestations' JSON Lines extension; NAME.jsonl's were NAME.jsonl.receipts.jsonl.
func TestPathFor(t *testing.T) {
	tests := []struct{ in, want, legacy string }{
		{"dir/build.intoto.jsonl", "dir/build.receipts.jsonl", ""},
		{"f.jsonl", "f.receipts.jsonl", "f.jsonl.receipts.jsonl"},
		{"dir/f.jsonl", "dir/f.receipts.jsonl", "dir/f.jsonl.receipts.jsonl"},
		{"env.json", "env.json.receipts.jsonl", ""},
		{"b.sigstore.json", "b.sigstore.json.receipts.jsonl", ""},
		{".jsonl", ".jsonl.receipts.jsonl", ""},
		{"dir/.jsonl", "dir/.jsonl.receipts.jsonl", ""},
	}
	for _, tt := range tests {
		if got := receipt.PathFor(tt.in); got != tt.want {
			t.Errorf("PathFor(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := receipt.LegacyPathFor(tt.in); got != tt.legacy {
			t.Errorf("LegacyPathFor(%q) = %q, want %q", tt.in, got, tt.legacy)
		}
	}
}

// TestVerifyFor: a receipt proves an envelope only when its entry records
// the envelope's statement and every one of its signatures.
func TestVerifyFor(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ls, _ := tlog.NewSigner("log.example/r", priv)
	a, b := signer(t), signer(t)
	t1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := statement(t, "x", a)
	data := logOf(t, ls, []*sign.Signer{a}, []time.Time{t1}, env)
	r, err := tlog.ParseReceipt(data[:len(data)-1])
	if err != nil {
		t.Fatal(err)
	}
	if v, err := receipt.VerifyFor(r, ls.Verifier(), tlog.CheckpointOptions{}, env); err != nil || !v.Time().Equal(t1) {
		t.Fatalf("VerifyFor(the logged envelope) = %v, %v", v, err)
	}
	sb, _ := b.Sign(attest.PAE(env.PayloadType, env.Payload))
	added := *env
	added.Signatures = append(append([]attest.Signature(nil), env.Signatures...), attest.Signature{Sig: sb})
	noSigs := *env
	noSigs.Signatures = nil
	for name, e := range map[string]*attest.Envelope{
		"another statement":   statement(t, "y", a),
		"a signature added":   &added,
		"no signature at all": &noSigs,
	} {
		if _, err := receipt.VerifyFor(r, ls.Verifier(), tlog.CheckpointOptions{}, e); !errors.Is(err, tlog.ErrBinding) {
			t.Errorf("VerifyFor(%s) = %v, want ErrBinding", name, err)
		}
	}
	other, _ := tlog.NewSigner("log.example/r", func() ed25519.PrivateKey { _, p, _ := ed25519.GenerateKey(rand.Reader); return p }())
	if _, err := receipt.VerifyFor(r, other.Verifier(), tlog.CheckpointOptions{}, env); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("VerifyFor(another log's key) = %v, want ErrCheckpointSignature", err)
	}
}
