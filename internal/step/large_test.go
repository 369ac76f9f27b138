package step_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/step"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// TestLargeLink: the record of a step with 100,000 products and as many
// materials becomes a link statement that is signed, written as one line,
// read back, verified against a product's digest, and its materials
// parsed; the line's bytes per entry, times limits.Subjects, fit every byte
// cap on the way (envelope, log, publish body), so that a million-file
// step is recordable and publishable; and a statement of limits.Subjects
// products is made while one more is refused, with an error that says so.
// The digests are made up (no files are written): what is tested is the
// caps, not the hashing. (A whole million-entry round trip takes minutes
// and gigabytes; bench/e2e.sh measures large steps.)
func TestLargeLink(t *testing.T) {
	n := 100_000
	mats, prods := make(map[string]digest.Set, n), make(map[string]digest.Set, n)
	for i := range n {
		mats[fmt.Sprintf("src/d%03d/f%07d.c", i%100, i)] = sha(fmt.Sprint("m", i))
		prods[fmt.Sprintf("rootfs/usr/lib/d%03d/f%07d.so", i%100, i)] = sha(fmt.Sprint("p", i))
	}
	rec := &step.Record{Name: "build", Command: []string{"make"}, Materials: artifacts(t, mats), Products: artifacts(t, prods)}
	mats, prods = nil, nil
	key := testkey.New(t, "ci")
	s := key.Signer
	kr, err := attest.NewKeyring(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := rec.LinkStatement()
	if err != nil {
		t.Fatalf("LinkStatement(%d products, %d materials) = %v", n, n, err)
	}
	env, err := attest.SignStatement(st, s)
	if err != nil {
		t.Fatalf("SignStatement = %v", err)
	}
	if payload, err := rec.LinkPayload(); err != nil || !bytes.Equal(payload, env.Payload) {
		t.Errorf("LinkPayload() = %d bytes, %v; want the %d bytes of LinkStatement().Marshal()", len(payload), err, len(env.Payload))
	}
	line := append(env.AppendJSON(nil), '\n')
	t.Logf("a %d-product, %d-material link: %d MB payload, %d MB line, made in %v", n, n, len(env.Payload)>>20, len(line)>>20, time.Since(start))
	million := len(line) / n * limits.Subjects
	if million > limits.Envelope || million > limits.LogEnvelope || million > limits.PublishBody {
		t.Errorf("a link of %d entries each side would be some %d bytes, over a cap (envelope %d, log %d, publish body %d)", limits.Subjects, million, limits.Envelope, limits.LogEnvelope, limits.PublishBody)
	}
	st, env = nil, nil

	items, err := attest.Read(line, "big.intoto.jsonl")
	if err != nil || len(items) != 1 || items[0].Err != nil {
		t.Fatalf("Read = %d items, %v", len(items), err)
	}
	line = nil
	v, err := attest.VerifyItem(&items[0], kr, attest.VerifyOptions{Subject: sha(fmt.Sprint("p", n-1)), PredicateTypes: []string{attest.PredicateLink}})
	if err != nil {
		t.Fatalf("VerifyItem(the last product) = %v", err)
	}
	if got := len(v.Statement.Subject); got != n {
		t.Errorf("verified statement has %d subjects, want %d", got, n)
	}
	l, err := predicate.ParseLink(v.Statement.Predicate)
	if err != nil {
		t.Fatalf("parsing the link predicate: %v", err)
	}
	if got := len(l.Materials); got != n {
		t.Errorf("link has %d materials, want %d", got, n)
	}

	// limits.Subjects products make a statement; one more is refused,
	// saying why. The products share one digest set, to spare memory.
	d := sha("p")
	subs := make([]attest.Subject, limits.Subjects, limits.Subjects+1)
	for i := range subs {
		subs[i] = attest.Subject{Name: fmt.Sprintf("f%07d", i), Digest: d}
	}
	if _, err := attest.NewStatement(attest.PredicateLink, subs, nil); err != nil {
		t.Errorf("NewStatement(%d subjects) = %v", len(subs), err)
	}
	subs = append(subs, attest.Subject{Name: "one/more", Digest: d})
	if _, err := attest.NewStatement(attest.PredicateLink, subs, nil); !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("NewStatement(%d subjects) = %v, want %v", len(subs), err, attest.ErrInvalid)
	}
}
