package pack_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// fuzzTree is a real log of up to 64 entries: its stored hashes and the
// root at every size.
type fuzzTree struct {
	hashes []tlog.Hash
	roots  []tlog.Hash // roots[n] is the root of the first n entries
}

func newFuzzTree(t testing.TB, n int) *fuzzTree {
	ft := &fuzzTree{roots: []tlog.Hash{{}}}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = ft.hashes[x]
		}
		return out, nil
	})
	for i := range n {
		hs, err := tlog.StoredHashes(int64(i), tlog.LeafHash([]byte{byte(i)}), r)
		if err != nil {
			t.Fatal(err)
		}
		ft.hashes = append(ft.hashes, hs...)
		root, err := tlog.TreeHash(int64(i+1), r)
		if err != nil {
			t.Fatal(err)
		}
		ft.roots = append(ft.roots, root)
	}
	ft.roots[0], _ = tlog.TreeHash(0, r)
	return ft
}

func (ft *fuzzTree) prove(t testing.TB, from, to int) []tlog.Hash {
	p, err := tlog.ProveConsistency(int64(from), int64(to), tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = ft.hashes[x]
		}
		return out, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withLogFiles is the pack of pp with log/checkpoint and
// log/consistency.json holding checkpoint and consistency, listed in the
// manifest with their sizes and digests.
func (pp packParts) withLogFiles(t testing.TB, checkpoint, consistency []byte) []byte {
	m := *pp.manifest
	m.Files = slices.DeleteFunc(slices.Clone(m.Files), func(f pack.File) bool {
		return f.Role == pack.RoleCheckpoint || f.Role == pack.RoleConsistency
	})
	data := map[string][]byte{"log/checkpoint": checkpoint, "log/consistency.json": consistency}
	for _, f := range m.Files {
		data[f.Path] = pp.files[f.Path]
	}
	for path, role := range map[string]string{"log/checkpoint": pack.RoleCheckpoint, "log/consistency.json": pack.RoleConsistency} {
		sum := sha256.Sum256(data[path])
		m.Files = append(m.Files, pack.File{Path: path, Role: role, Type: pack.TypeFile, Mode: "0644", Size: int64(len(data[path])), SHA256: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(m.Files, func(a, b pack.File) int { return bytes.Compare([]byte(a.Path), []byte(b.Path)) })
	manifest, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	entries := []entry{file(pack.ManifestName, string(manifest))}
	for _, f := range m.Files {
		entries = append(entries, file(f.Path, string(data[f.Path])))
	}
	return archive(t, false, entries...)
}

type fuzzProof struct {
	From     uint64      `json:"from"`
	FromRoot tlog.Hash   `json:"fromRoot"`
	Proof    []tlog.Hash `json:"proof"`
}

// FuzzVerifyLog fuzzes pack.Verify's checkpoint and consistency handling
// from structured parts, under a policy that names the log's key: the
// harness signs a checkpoint of a real tree (of the fuzzer's size, with
// its true root or a false one: what a forking log signs), and writes
// log/consistency.json from real consistency proofs the fuzzer picks and
// mangles (or from its raw bytes, when there are any), so that inputs reach the proof checks
// instead of a signature or checksum failure. Verify never panics, and the
// log passes only when every proof in the file is true of the real tree
// and the checkpoint is the tree's own root (a proof to a false root, or
// from a false old root, never verifies).
// logHarness makes packs for FuzzVerifyLog: a release under a policy that
// names the log's key, and a real tree.
type logHarness struct {
	signer *tlog.Signer
	r      *release
	pp     packParts
	ft     *fuzzTree
}

func newLogHarness(t testing.TB) *logHarness {
	signer, err := tlog.NewSigner("log.example/fuzz", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	r := newReleaseWith(t, 1, 1, signer)
	return &logHarness{signer: signer, r: r, pp: partsOf(t, r.build(t, pack.WriteOptions{})), ft: newFuzzTree(t, 64)}
}

// run verifies the pack with the checkpoint and consistency file the
// fuzzer's parts make, returning the result, the consistency file and the
// checkpoint.
func (h *logHarness) run(t *testing.T, size uint8, falseRoot bool, froms, mangle []byte, skew uint8, raw []byte) (*pack.Result, []byte, tlog.Checkpoint) {
	signer, ft, pp, r := h.signer, h.ft, h.pp, h.r
	n := int(size)%64 + 1
	cp := tlog.Checkpoint{Origin: signer.Origin(), Size: uint64(n), Root: ft.roots[n]}
	if falseRoot {
		cp.Root = tlog.LeafHash([]byte("a fork"))
	}
	note, err := signer.Sign(cp)
	if err != nil {
		t.Fatal(err)
	}
	cf := struct {
		Size   uint64      `json:"size"`
		Root   tlog.Hash   `json:"root"`
		Proofs []fuzzProof `json:"proofs"`
	}{Size: cp.Size + uint64(skew%2), Root: cp.Root, Proofs: []fuzzProof{}}
	for i, b := range froms {
		if i == 8 {
			break
		}
		from := int(b) % (n + 1)
		pr := fuzzProof{From: uint64(from), FromRoot: ft.roots[from], Proof: ft.prove(t, from, n)}
		for j, m := range mangle {
			if len(pr.Proof) > 0 && j/32 == i {
				pr.Proof[j%len(pr.Proof)][j%32] ^= m
			}
		}
		if skew&2 != 0 {
			pr.FromRoot[0] ^= 1
		}
		cf.Proofs = append(cf.Proofs, pr)
	}
	consistency, err := json.Marshal(cf)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 0 {
		consistency = raw
	}
	p, err := pack.Read(context.Background(), bytes.NewReader(pp.withLogFiles(t, note, consistency)), pack.Options{})
	if err != nil {
		t.Fatalf("Read(a pack with log files) = %v", err)
	}
	defer p.Close()
	res, err := pack.Verify(context.Background(), p, pack.VerifyConfig{TrustRoots: r.cfg.TrustRoots, Now: r.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Log == nil {
		t.Fatalf("no log result under a policy that names the log's key")
	}
	return res, consistency, cp
}

func FuzzVerifyLog(f *testing.F) {
	h := newLogHarness(f)
	f.Add(uint8(7), false, []byte{1, 3, 6}, []byte{}, uint8(0), []byte(nil))
	f.Add(uint8(7), true, []byte{1, 3, 6}, []byte{}, uint8(0), []byte(nil))
	f.Add(uint8(20), false, []byte{8, 16, 19, 0, 20}, []byte{0, 0, 1}, uint8(0), []byte(nil))
	f.Add(uint8(33), false, []byte{32}, []byte{}, uint8(3), []byte(nil))
	f.Add(uint8(5), false, []byte{}, []byte{}, uint8(0), []byte(`{"size":5,"root":"AAAA","proofs":[{"from":1}]}`))
	f.Fuzz(func(t *testing.T, size uint8, falseRoot bool, froms, mangle []byte, skew uint8, raw []byte) {
		res, consistency, cp := h.run(t, size, falseRoot, froms, mangle, skew, raw)
		n := int(cp.Size)
		if res.Log.Status != verify.StatusPass {
			return
		}
		var got struct {
			Size   uint64      `json:"size"`
			Root   tlog.Hash   `json:"root"`
			Proofs []fuzzProof `json:"proofs"`
		}
		if err := json.Unmarshal(consistency, &got); err != nil {
			t.Fatalf("the log passed with a consistency file that does not parse: %v", err)
		}
		for _, pr := range got.Proofs {
			if pr.From > uint64(n) {
				t.Fatalf("the log passed with a proof from %d, past the checkpoint's %d", pr.From, n)
			}
			// A proof to the checkpoint itself, or from the empty tree
			// (a prefix of every tree, a forked one too), says nothing
			// about the checkpoint's root: true of any tree.
			trivial := (pr.From == uint64(n) && pr.FromRoot == cp.Root) || (pr.From == 0 && pr.FromRoot == tlog.EmptyRoot)
			if !trivial && (falseRoot || pr.FromRoot != h.ft.roots[pr.From]) {
				t.Fatalf("the log passed with a proof from %d (%v) to %d (%v) that is not true of the tree", pr.From, pr.FromRoot, n, cp.Root)
			}
		}
	})
}

// TestVerifyLogHarness: FuzzVerifyLog's harness makes packs whose log
// passes with true proofs, and fails with a false root, a false old root,
// a mangled proof or a consistency file about another size; otherwise its
// inputs would all be noise.
func TestVerifyLogHarness(t *testing.T) {
	h := newLogHarness(t)
	for _, tt := range []struct {
		name      string
		falseRoot bool
		mangle    []byte
		skew      uint8
		want      string
	}{
		{"true proofs", false, nil, 0, verify.StatusPass},
		{"a false root", true, nil, 0, verify.StatusFail},
		{"a mangled proof", false, []byte{1}, 0, verify.StatusFail},
		{"another size", false, nil, 1, verify.StatusFail},
		{"a false old root", false, nil, 2, verify.StatusFail},
	} {
		res, _, _ := h.run(t, 20, tt.falseRoot, []byte{3, 8, 16}, tt.mangle, tt.skew, nil)
		if res.Log.Status != tt.want {
			t.Errorf("%s: log %s (%s), want %s", tt.name, res.Log.Status, res.Log.Reason, tt.want)
		}
	}
}
