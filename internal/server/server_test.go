package server_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

func TestPublishFetchVerify(t *testing.T) {
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	e := newEnv(t, sqliteStore(t), server.Config{Now: func() time.Time { return now }})
	ci := newKey(t)
	c := e.client(e.token([]string{"acme"}, ci))

	env1, b1 := envelope(t, ci, "app", "one")
	env2, b2 := envelope(t, ci, "app", "two")
	_, b3 := envelope(t, ci, "lib", "three")
	res, err := c.Publish(bg, "", [][]byte{b1, b2, b3})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for i, r := range res.Results {
		if r.Index != int64(i) || r.Duplicate || r.Receipt.Index != uint64(i) {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	// Each receipt verifies offline with the pinned key and binds its envelope.
	for i, env := range []*attest.Envelope{env1, env2} {
		v, err := tlog.VerifyReceiptFor(res.Results[i].Receipt, e.verifier(), tlog.CheckpointOptions{}, attest.PAE(env.PayloadType, env.Payload))
		if err != nil {
			t.Fatalf("VerifyReceiptFor(result %d): %v", i, err)
		}
		if !v.Time().Equal(now) {
			t.Errorf("receipt time = %v, want the log's clock %v", v.Time(), now)
		}
		if !v.Leaf.SignedBy(ci.signer.KeyID(), env.Signatures[0].Sig) {
			t.Errorf("the leaf does not record the signature the log verified")
		}
	}
	// Fetch by subject: both attestations about "app", none about "lib".
	got, err := c.Attestations(bg, digestOf("app"))
	if err != nil || len(got) != 2 || got[0].Index != 0 || got[1].Index != 1 {
		t.Fatalf("Attestations(app) = %+v, %v", got, err)
	}
	for _, a := range got {
		env, _, err := attest.ParseEnvelope(a.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tlog.VerifyReceiptFor(a.Receipt, e.verifier(), tlog.CheckpointOptions{}, attest.PAE(env.PayloadType, env.Payload)); err != nil {
			t.Errorf("fetched receipt %d: %v", a.Index, err)
		}
	}
	// Entry by index.
	ent, err := c.Entry(bg, 2)
	if err != nil || ent.Index != 2 {
		t.Fatalf("Entry(2) = %+v, %v", ent, err)
	}
	if _, err := c.Entry(bg, 3); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("Entry(3) = %v, want ErrNotFound", err)
	}
	// Checkpoint and consistency.
	cp1, err := client.Watch(bg, c, e.verifier(), tlog.CheckpointOptions{}, nil)
	if err != nil || cp1.Size != 3 {
		t.Fatalf("Watch = %+v, %v", cp1, err)
	}
	_, b4 := envelope(t, ci, "app", "four")
	if _, err := c.Publish(bg, "acme", [][]byte{b4}); err != nil {
		t.Fatal(err)
	}
	cp2, err := client.Watch(bg, c, e.verifier(), tlog.CheckpointOptions{}, &cp1.Checkpoint)
	if err != nil || cp2.Size != 4 {
		t.Fatalf("Watch(from 3) = %+v, %v", cp2, err)
	}
	status, h, body := e.get("", "/api/v1/log/checkpoint")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || !strings.HasPrefix(string(body), e.signer.Origin()+"\n4\n") {
		t.Errorf("GET checkpoint = %d %q %q", status, h.Get("Content-Type"), body)
	}
	status, _, body = e.get("", "/api/v1/log/key")
	if status != 200 || strings.TrimSpace(string(body)) != e.signer.VerifierKey() {
		t.Errorf("GET key = %d %q", status, body)
	}
	p, err := c.Inclusion(bg, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.VerifyInclusion(p, 1, 4, tlog.LeafHash([]byte(res.Results[1].Receipt.Leaf)), cp2.Root); err != nil {
		t.Errorf("inclusion proof from the API: %v", err)
	}
}

func digestOf(name string) tlog.Hash { return tlog.LeafHash([]byte(name)) }

// TestSecurityCase57_DedupOnDecodedBytes: the same attestation resubmitted
// with its base64 written another way (URL-safe alphabet, no padding, other
// key id hints, signatures in another order) is the same entry, not a new
// "unique" one.
func TestSecurityCase57_DedupOnDecodedBytes(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{})
	a, b := newKey(t), newKey(t)
	c := e.client(e.token([]string{"acme"}, a, b))
	env, _ := envelope(t, a, "app", "x")
	sig2, _ := b.signer.Sign(attest.PAE(env.PayloadType, env.Payload))
	env.Signatures = append(env.Signatures, attest.Signature{KeyID: b.signer.KeyID(), Sig: sig2})
	std, _ := json.Marshal(env)
	res, err := c.Publish(bg, "", [][]byte{std})
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]func(m map[string]any){
		"url-safe unpadded payload": func(m map[string]any) {
			m["payload"] = base64.RawURLEncoding.EncodeToString(env.Payload)
		},
		"other key id hints": func(m map[string]any) {
			for _, s := range m["signatures"].([]any) {
				s.(map[string]any)["keyid"] = "whatever"
			}
		},
		"signatures reversed": func(m map[string]any) {
			s := m["signatures"].([]any)
			s[0], s[1] = s[1], s[0]
		},
	}
	for name, f := range variants {
		var m map[string]any
		json.Unmarshal(std, &m)
		f(m)
		b, _ := json.Marshal(m)
		got, err := c.Publish(bg, "", [][]byte{b})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := got.Results[0]; !r.Duplicate || r.Index != res.Results[0].Index || r.Receipt.Leaf != res.Results[0].Receipt.Leaf {
			t.Errorf("%s: result %+v, want the first entry (index %d) as a duplicate", name, r, res.Results[0].Index)
		}
	}
	if tr, _ := e.st.Tree(bg); tr.Size != 1 {
		t.Errorf("log size = %d after resubmissions, want 1", tr.Size)
	}
	// Non-canonical base64 (non-zero trailing bits, "QR==" for "QQ==") is
	// refused outright rather than logged as something new.
	for note := "a"; ; note += "a" {
		_, b := envelope(t, a, "app", note)
		var m map[string]any
		json.Unmarshal(b, &m)
		p := m["payload"].(string)
		if !strings.HasSuffix(p, "=") {
			continue
		}
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		last := strings.TrimRight(p, "=")
		ch := alphabet[strings.IndexByte(alphabet, last[len(last)-1])|1]
		m["payload"] = last[:len(last)-1] + string(ch) + p[len(last):]
		bad, _ := json.Marshal(m)
		if _, err := c.Publish(bg, "", [][]byte{bad}); !errors.Is(err, api.ErrBadRequest) {
			t.Errorf("Publish(payload with non-zero trailing bits) = %v, want ErrBadRequest", err)
		}
		break
	}
	if tr, _ := e.st.Tree(bg); tr.Size != 1 {
		t.Errorf("log size = %d, want 1", tr.Size)
	}
}

// TestReceiptsSurviveGrowth: a receipt handed out at size n still verifies
// after the log grows, and a later checkpoint is consistent with it.
func TestReceiptsSurviveGrowth(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{})
	k := newKey(t)
	c := e.client(e.token([]string{"p"}, k))
	var receipts []*tlog.Receipt
	for i := 0; i < 40; i++ {
		_, b := envelope(t, k, "a", string(rune('A'+i)))
		res, err := c.Publish(bg, "", [][]byte{b})
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, res.Results[0].Receipt)
	}
	final, err := client.Watch(bg, c, e.verifier(), tlog.CheckpointOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range receipts {
		v, err := tlog.VerifyReceipt(r, e.verifier(), tlog.CheckpointOptions{})
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		p, err := c.Consistency(bg, v.Checkpoint.Size, final.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckExtension(v.Checkpoint.Checkpoint, final.Checkpoint, p); err != nil {
			t.Errorf("checkpoint of receipt %d is not consistent with the final one: %v", i, err)
		}
	}
}

// TestOneLogPerDatabase: a server with another key refuses a database that
// already holds a log.
func TestOneLogPerDatabase(t *testing.T) {
	st := sqliteStore(t)
	newEnv(t, st, server.Config{})
	signer2, _ := tlog.NewSigner("log.test/"+t.Name(), mustEd25519(t))
	if _, err := server.New(bg, server.Config{Store: st, Signer: signer2}); !errors.Is(err, store.ErrIdentity) {
		t.Errorf("server.New with another key = %v, want ErrIdentity", err)
	}
}
