package tlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/tlog"
)

var testTime = time.Date(2026, 11, 1, 12, 34, 56, 789_000_000, time.UTC)

func testLeaf(t testing.TB, i int) *tlog.Leaf {
	t.Helper()
	kid := fmt.Sprintf("%064x", i+1)
	l, err := tlog.NewLeaf(testTime.Add(time.Duration(i)*time.Second), []byte(fmt.Sprintf("PAE %d", i)),
		[]tlog.LeafSignature{tlog.SignatureOf(kid, []byte(fmt.Sprintf("sig %d", i)))})
	if err != nil {
		t.Fatalf("NewLeaf: %v", err)
	}
	return l
}

// receiptLog is a small log of real leaves, its signer, and receipts.
type receiptLog struct {
	tree   *memTree
	signer *tlog.Signer
	leaves []*tlog.Leaf
}

func newReceiptLog(t testing.TB, n int) *receiptLog {
	rl := &receiptLog{tree: &memTree{}, signer: newSigner(t, "log.example/receipts")}
	for i := 0; i < n; i++ {
		l := testLeaf(t, i)
		rl.leaves = append(rl.leaves, l)
		rl.tree.add(t, l.Marshal())
	}
	return rl
}

func (rl *receiptLog) receipt(t testing.TB, index, size int) *tlog.Receipt {
	t.Helper()
	p, err := tlog.ProveInclusion(int64(index), int64(size), rl.tree)
	if err != nil {
		t.Fatal(err)
	}
	cp := signCP(t, rl.signer, tlog.Checkpoint{Origin: rl.signer.Origin(), Size: uint64(size), Root: rl.tree.root(t, int64(size))})
	return &tlog.Receipt{Origin: rl.signer.Origin(), Index: uint64(index), Leaf: string(rl.tree.leaves[index]), Proof: p, Checkpoint: string(cp)}
}

func TestLeafEncoding(t *testing.T) {
	l := testLeaf(t, 0)
	want := "consign.dev/log/entry/v1\ntime 2026-11-01T12:34:56.789Z\nstatement sha256:" + fmt.Sprintf("%x", sha256.Sum256([]byte("PAE 0"))) +
		"\nsig " + fmt.Sprintf("%064x", 1) + " sha256:" + fmt.Sprintf("%x", sha256.Sum256([]byte("sig 0"))) + "\n"
	if got := string(l.Marshal()); got != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", got, want)
	}
	back, err := tlog.ParseLeaf([]byte(want))
	if err != nil || !bytes.Equal(back.Marshal(), l.Marshal()) {
		t.Fatalf("ParseLeaf(Marshal) = %v, %v", back, err)
	}
	// The key ignores the time; the hash does not.
	later, _ := tlog.NewLeaf(testTime.Add(time.Hour), []byte("PAE 0"), []tlog.LeafSignature{tlog.SignatureOf(fmt.Sprintf("%064x", 1), []byte("sig 0"))})
	if later.Key() != l.Key() || later.Hash() == l.Hash() {
		t.Errorf("Key must not depend on time and Hash must")
	}
	if err := l.Covers([]byte("PAE 0")); err != nil {
		t.Errorf("Covers(its PAE) = %v", err)
	}
	if err := l.Covers([]byte("PAE 1")); !errors.Is(err, tlog.ErrBinding) {
		t.Errorf("Covers(another PAE) = %v, want ErrBinding", err)
	}
	if !l.SignedBy(fmt.Sprintf("%064x", 1), []byte("sig 0")) || l.SignedBy(fmt.Sprintf("%064x", 2), []byte("sig 0")) || l.SignedBy(fmt.Sprintf("%064x", 1), []byte("sig 1")) {
		t.Errorf("SignedBy does not match exactly the recorded key and signature")
	}
	// Two signatures, given in either order, make one leaf.
	a, b := tlog.SignatureOf(fmt.Sprintf("%064x", 9), []byte("x")), tlog.SignatureOf(fmt.Sprintf("%064x", 3), []byte("y"))
	l1, _ := tlog.NewLeaf(testTime, []byte("p"), []tlog.LeafSignature{a, b})
	l2, _ := tlog.NewLeaf(testTime, []byte("p"), []tlog.LeafSignature{b, a, b})
	if !bytes.Equal(l1.Marshal(), l2.Marshal()) {
		t.Errorf("signature order or repetition changes the leaf")
	}
	// The key is the SHA-256 of the encoding without its time line, for
	// any number of signatures and a time of whole seconds.
	for _, l := range []*tlog.Leaf{l, l1, later} {
		lines := strings.SplitAfter(string(l.Marshal()), "\n")
		if !strings.HasPrefix(lines[1], "time ") {
			t.Fatalf("second line %q", lines[1])
		}
		if want := tlog.Hash(sha256.Sum256([]byte(lines[0] + strings.Join(lines[2:], "")))); l.Key() != want {
			t.Errorf("Key = %x, want the hash of the encoding without its time line, %x", l.Key(), want)
		}
	}
	if got := string(l1.Marshal()); !strings.Contains(got, "\ntime 2026-11-01T12:34:56.789Z\n") || strings.Count(got, "\nsig ") != 2 {
		t.Errorf("Marshal of a leaf of two signatures =\n%s", got)
	}
	// A leaf made from the PAE's hash is the leaf made from the PAE.
	if bySum, err := tlog.NewLeafOfSum(testTime, sha256.Sum256([]byte("p")), []tlog.LeafSignature{b, a, b}); err != nil || !bytes.Equal(bySum.Marshal(), l1.Marshal()) {
		t.Errorf("NewLeafOfSum = %v, %v; want the leaf of NewLeaf", bySum, err)
	}
	whole, _ := tlog.NewLeaf(testTime.Truncate(time.Second), []byte("p"), []tlog.LeafSignature{a})
	if got := string(whole.Marshal()); !strings.Contains(got, "\ntime 2026-11-01T12:34:56Z\n") {
		t.Errorf("Marshal of a leaf of whole seconds =\n%s", got)
	}
	if _, err := tlog.NewLeaf(testTime, []byte("p"), nil); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("NewLeaf(no signatures) = %v, want ErrMalformed", err)
	}
	if _, err := tlog.NewLeaf(testTime, []byte("p"), []tlog.LeafSignature{{KeyID: "ABC"}}); !errors.Is(err, tlog.ErrMalformed) {
		t.Errorf("NewLeaf(bad key id) = %v, want ErrMalformed", err)
	}
}

func TestParseLeafRejects(t *testing.T) {
	good := string(testLeaf(t, 0).Marshal())
	two, _ := tlog.NewLeaf(testTime, []byte("p"), []tlog.LeafSignature{
		tlog.SignatureOf(fmt.Sprintf("%064x", 1), []byte("a")), tlog.SignatureOf(fmt.Sprintf("%064x", 2), []byte("b"))})
	lines := strings.SplitAfter(string(two.Marshal()), "\n")
	swapped := lines[0] + lines[1] + lines[2] + lines[4] + lines[3]
	for name, bad := range map[string]string{
		"no trailing newline":  strings.TrimSuffix(good, "\n"),
		"other version":        strings.Replace(good, "entry/v1", "entry/v2", 1),
		"time with offset":     strings.Replace(good, "56.789Z", "56.789+00:00", 1),
		"time in microseconds": strings.Replace(good, "56.789Z", "56.789001Z", 1),
		"trailing zero":        strings.Replace(good, "56.789Z", "56.7890Z", 1),
		"uppercase hex":        strings.Replace(good, "statement sha256:", "statement sha256:"+"A", 1)[:0] + strings.ToUpper(good),
		"no signature":         strings.Join(strings.SplitAfter(good, "\n")[:3], ""),
		"unsorted signatures":  swapped,
		"repeated signature":   good + strings.SplitAfter(good, "\n")[3],
		"extra line":           good + "product acme\n",
		"CRLF":                 strings.ReplaceAll(good, "\n", "\r\n"),
	} {
		if l, err := tlog.ParseLeaf([]byte(bad)); !errors.Is(err, tlog.ErrMalformed) || l != nil {
			t.Errorf("ParseLeaf(%s) = %v, %v; want ErrMalformed and nil", name, l, err)
		}
	}
}

func TestReceiptRoundTrip(t *testing.T) {
	rl := newReceiptLog(t, 9)
	for size := 1; size <= 9; size++ {
		for i := 0; i < size; i++ {
			r := rl.receipt(t, i, size)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			back, err := tlog.ParseReceipt(b)
			if err != nil {
				t.Fatalf("ParseReceipt(%s) = %v", b, err)
			}
			b2, _ := json.Marshal(back)
			if !bytes.Equal(b, b2) {
				t.Fatalf("receipt does not round-trip:\n%s\n%s", b, b2)
			}
			v, err := tlog.VerifyReceiptFor(back, rl.signer.Verifier(), tlog.CheckpointOptions{}, []byte(fmt.Sprintf("PAE %d", i)))
			if err != nil {
				t.Fatalf("VerifyReceiptFor(index %d, size %d) = %v", i, size, err)
			}
			if v.Index != uint64(i) || !v.Time().Equal(rl.leaves[i].Time) || v.Checkpoint.Size != uint64(size) {
				t.Errorf("VerifyReceipt = %+v", v)
			}
			if _, err := tlog.VerifyReceiptFor(back, rl.signer.Verifier(), tlog.CheckpointOptions{}, []byte("another PAE")); !errors.Is(err, tlog.ErrBinding) {
				t.Errorf("VerifyReceiptFor(another attestation) = %v, want ErrBinding", err)
			}
		}
	}
}

// TestSecurityCase72_ReceiptBinding: a proof valid for index i presented
// for index j, a leaf swapped for another entry's, a root that differs by
// 0x20 in one byte, a proof against a root no signed checkpoint holds, and a
// receipt checked with another log's key: all rejected.
func TestSecurityCase72_ReceiptBinding(t *testing.T) {
	rl := newReceiptLog(t, 12)
	lv := rl.signer.Verifier()
	good := rl.receipt(t, 5, 12)
	if _, err := tlog.VerifyReceipt(good, lv, tlog.CheckpointOptions{}); err != nil {
		t.Fatalf("genuine receipt: %v", err)
	}
	cp, _ := tlog.OpenCheckpoint([]byte(good.Checkpoint), lv, tlog.CheckpointOptions{})
	mod := func(f func(r *tlog.Receipt)) *tlog.Receipt {
		r := *good
		r.Proof = append([]tlog.Hash(nil), good.Proof...)
		f(&r)
		return &r
	}
	otherRoot := cp.Root
	otherRoot[7] ^= 0x20
	unsignedRoot := rl.receipt(t, 5, 12)
	unsignedRoot.Checkpoint = strings.Replace(good.Checkpoint, cp.Root.String(), otherRoot.String(), 1)
	tests := []struct {
		name    string
		r       *tlog.Receipt
		wantErr error
	}{
		{"index i proof claimed for j", mod(func(r *tlog.Receipt) { r.Index = 4 }), tlog.ErrInclusion},
		{"another entry's leaf", mod(func(r *tlog.Receipt) { r.Leaf = string(rl.tree.leaves[6]) }), tlog.ErrInclusion},
		{"root differing by 0x20 (unsigned)", unsignedRoot, tlog.ErrCheckpointSignature},
		{"proof for a smaller checkpoint", mod(func(r *tlog.Receipt) { r.Checkpoint = rl.receipt(t, 5, 11).Checkpoint }), tlog.ErrInclusion},
		{"first proof hash flipped", mod(func(r *tlog.Receipt) { r.Proof[0][0] ^= 1 }), tlog.ErrInclusion},
		{"proof truncated", mod(func(r *tlog.Receipt) { r.Proof = r.Proof[:len(r.Proof)-1] }), tlog.ErrInclusion},
		{"another origin", mod(func(r *tlog.Receipt) { r.Origin = "log.example/other" }), tlog.ErrOrigin},
	}
	for _, tt := range tests {
		if v, err := tlog.VerifyReceipt(tt.r, lv, tlog.CheckpointOptions{}); !errors.Is(err, tt.wantErr) || v != nil {
			t.Errorf("VerifyReceipt(%s) = %v, %v; want %v", tt.name, v, err, tt.wantErr)
		}
	}
	// The same receipt checked with another log's key (a second instance).
	other := newSigner(t, rl.signer.Origin())
	if _, err := tlog.VerifyReceipt(good, other.Verifier(), tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("VerifyReceipt with another instance's key = %v, want ErrCheckpointSignature", err)
	}
}

// TestSecurityCase73_IndexBounds: negative indices, index == size, 2^64-1,
// numbers past 2^53, fractions and exponents are refused with a typed error
// and no panic.
func TestSecurityCase73_IndexBounds(t *testing.T) {
	rl := newReceiptLog(t, 4)
	good := rl.receipt(t, 1, 4)
	b, _ := json.Marshal(good)
	for _, idx := range []string{"-1", "18446744073709551615", "9223372036854775808", "1.0", "1e0", "01", "\"1\"", "null", "true", "-0"} {
		bad := bytes.Replace(b, []byte(`"index":1`), []byte(`"index":`+idx), 1)
		if r, err := tlog.ParseReceipt(bad); !errors.Is(err, tlog.ErrMalformed) || r != nil {
			t.Errorf("ParseReceipt(index %s) = %v, %v; want ErrMalformed", idx, r, err)
		}
	}
	// Past 2^53 the index is read exactly, never through a float.
	big := bytes.Replace(b, []byte(`"index":1`), []byte(`"index":9007199254740993`), 1)
	if r, err := tlog.ParseReceipt(big); err != nil || r.Index != 9007199254740993 {
		t.Errorf("ParseReceipt(index 2^53+1) = %v, %v; want the exact index", r, err)
	}
	// An index that parses but is not inside the checkpoint's tree.
	for _, idx := range []uint64{4, 5, 1 << 53, 1<<53 + 1, 1<<63 - 1} {
		r := *good
		r.Index = idx
		if _, err := tlog.VerifyReceipt(&r, rl.signer.Verifier(), tlog.CheckpointOptions{}); !errors.Is(err, tlog.ErrIndex) {
			t.Errorf("VerifyReceipt(index %d of 4) = %v, want ErrIndex", idx, err)
		}
	}
	if err := tlog.VerifyInclusion(nil, 0, 1<<64-1, tlog.Hash{}, tlog.Hash{}); !errors.Is(err, tlog.ErrIndex) {
		t.Errorf("VerifyInclusion(size 2^64-1) = %v, want ErrIndex", err)
	}
	if _, err := tlog.ProveInclusion(-1, 4, rl.tree); !errors.Is(err, tlog.ErrIndex) {
		t.Errorf("ProveInclusion(-1) = %v, want ErrIndex", err)
	}
	if _, err := tlog.ProveInclusion(4, 4, rl.tree); !errors.Is(err, tlog.ErrIndex) {
		t.Errorf("ProveInclusion(4 of 4) = %v, want ErrIndex", err)
	}
	if _, err := tlog.ProveConsistency(5, 4, rl.tree); !errors.Is(err, tlog.ErrIndex) {
		t.Errorf("ProveConsistency(5 -> 4) = %v, want ErrIndex", err)
	}
}

func TestParseReceiptRejects(t *testing.T) {
	rl := newReceiptLog(t, 3)
	b, _ := json.Marshal(rl.receipt(t, 1, 3))
	good := string(b)
	for name, bad := range map[string]string{
		"duplicate key":      strings.Replace(good, `"index":1`, `"index":1,"index":2`, 1),
		"case-folded key":    strings.Replace(good, `"index":1`, `"index":1,"Index":2`, 1),
		"case-folded alone":  strings.Replace(good, `"index":1`, `"INDEX":1`, 1),
		"unknown field":      strings.Replace(good, `"index":1`, `"index":1,"extra":0`, 1),
		"missing proof":      strings.Replace(good, `"inclusionProof"`, `"x"`, 1),
		"wrong media type":   strings.Replace(good, tlog.ReceiptMediaType, "application/json", 1),
		"trailing data":      good + "{}",
		"not an object":      "[" + good + "]",
		"null proof":         regexpReplace(good, `"inclusionProof":\[[^\]]*\]`, `"inclusionProof":null`),
		"short proof hash":   regexpReplace(good, `"inclusionProof":\["[^"]*"`, `"inclusionProof":["AAAA"`),
		"leaf not canonical": strings.Replace(good, `\nstatement`, `\n\nstatement`, 1),
		"invalid UTF-8":      strings.Replace(good, "log.example", "log.\xffexample", 1),
	} {
		if r, err := tlog.ParseReceipt([]byte(bad)); !errors.Is(err, tlog.ErrMalformed) || r != nil {
			t.Errorf("ParseReceipt(%s) = %v, %v; want ErrMalformed", name, r, err)
		}
	}
}

// TestPure checks that tlog stays maths: no network, files, database or
// process access in its import graph.
func TestPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/consign-dev/consign/internal/tlog").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "net", "net/http", "os/exec", "database/sql":
			t.Errorf("internal/tlog imports %s; it must do no I/O", dep)
		}
		if strings.HasPrefix(dep, "github.com/consign-dev/consign/") && !slices.Contains(tlogLeaves, dep) {
			t.Errorf("internal/tlog imports %s; it depends on nothing of consign's but the leaves %v", dep, tlogLeaves)
		}
	}
}

// tlogLeaves are the only packages of consign's tlog may import: itself,
// the one strict JSON checker and the limits it applies, which import
// nothing else of consign's (TestPure checks the closure).
var tlogLeaves = []string{
	"github.com/consign-dev/consign/internal/tlog",
	"github.com/consign-dev/consign/internal/strictjson",
	"github.com/consign-dev/consign/internal/limits",
}
