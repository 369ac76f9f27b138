package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestCanonicalEnvelope: prepare stores Envelope.MarshalJSON's output,
// which must be what json.Marshal writes (and the log stored before).
func TestCanonicalEnvelope(t *testing.T) {
	for _, env := range []*attest.Envelope{
		{PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":"<b>&"}`), Signatures: []attest.Signature{{KeyID: "k<1>&\u2028", Sig: []byte{0, 1, 255}}}},
		{PayloadType: "x\u2029\xff", Payload: nil, Signatures: nil},
	} {
		got, err := env.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("MarshalJSON = %s, json.Marshal = %s", got, want)
		}
	}
}

// TestPublishResponseJSON checks the hand-written encoder of the publish
// answer against encoding/json.
func TestPublishResponseJSON(t *testing.T) {
	rc := &tlog.Receipt{Origin: "log.test/<&>", Index: 7, Leaf: "consign.dev/leaf/v1\ntime x\n", Proof: []tlog.Hash{{1}, {2}}, Checkpoint: "log.test\n8\nabc=\n\n— log.test sig\n"}
	for _, r := range []api.PublishResponse{
		{},
		{Results: []api.PublishResult{}},
		{Results: []api.PublishResult{{Index: 7, Receipt: rc}}},
		{Results: []api.PublishResult{{Index: 7, Duplicate: true, Receipt: rc}, {Index: 1 << 62}, {Index: 0, Receipt: &tlog.Receipt{}}}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendPublishJSON(nil, &r); string(got) != string(want) {
			t.Errorf("appendPublishJSON =\n%s\nwant\n%s", got, want)
		}
	}
}

// The key cache gives the first maxKeyTables Ed25519 keys of a generation
// verifiers with precomputed tables, and no more: the tables' memory is
// bounded whatever keys tokens name.
func TestKeyCacheTables(t *testing.T) {
	var c keyCache
	for i := range maxKeyTables + 3 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pemKey, err := sign.MarshalPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.verifier(string(pemKey))
		if err != nil {
			t.Fatal(err)
		}
		// Precomputed returns a verifier that has its table as it is.
		if got, want := v.Precomputed() == v, i < maxKeyTables; got != want {
			t.Fatalf("key %d: precomputed %v, want %v", i, got, want)
		}
		if again, _ := c.verifier(string(pemKey)); again != v {
			t.Fatalf("key %d: not cached", i)
		}
	}
	if c.tables != maxKeyTables {
		t.Fatalf("%d tables, want %d", c.tables, maxKeyTables)
	}
}
