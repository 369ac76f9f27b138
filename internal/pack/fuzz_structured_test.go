package pack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/report"
)

// packParts is a real pack taken apart: its manifest and its files.
type packParts struct {
	manifest *pack.Manifest
	files    map[string][]byte
}

func partsOf(t testing.TB, data []byte) packParts {
	p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	parts := packParts{manifest: p.Manifest, files: map[string][]byte{}}
	for _, f := range p.Manifest.Files {
		parts.files[f.Path] = p.Data(f.Path)
	}
	return parts
}

// assemble writes the pack with the file at index which (of the manifest's
// files, or one more: a new file of role, added) holding content, its size
// and SHA-256 in the manifest made to match, so the pack reads past its
// checksums. Index len(files)+1 replaces the manifest itself with content.
func (pp packParts) assemble(t testing.TB, which uint8, role string, content []byte, gz bool) []byte {
	m := *pp.manifest
	m.Files = append([]pack.File(nil), m.Files...)
	data := map[string][]byte{}
	for k, v := range pp.files {
		data[k] = v
	}
	i := int(which) % (len(m.Files) + 2)
	if i == len(m.Files) {
		m.Files = append(m.Files, pack.File{Path: "log/fuzz." + role, Role: role, Type: pack.TypeFile, Mode: "0644"})
	}
	manifest, err := json.Marshal(m)
	if i < len(m.Files) {
		sum := sha256.Sum256(content)
		m.Files[i].Size, m.Files[i].SHA256 = int64(len(content)), hex.EncodeToString(sum[:])
		data[m.Files[i].Path] = content
		manifest, err = json.Marshal(m)
	} else {
		manifest = content
	}
	if err != nil {
		t.Fatal(err)
	}
	entries := []entry{file(pack.ManifestName, string(manifest))}
	for _, f := range m.Files {
		e := file(f.Path, string(data[f.Path]))
		e.hdr.Typeflag = tar.TypeReg
		entries = append(entries, e)
	}
	return archive(t, gz, entries...)
}

var fuzzRoles = []string{pack.RoleAttestations, pack.RoleReceipts, pack.RoleCheckpoint, pack.RoleConsistency, pack.RolePolicy, "sbom", "other"}

// FuzzReadVerify fuzzes a pack under its checksums: the fuzzer picks a
// file of a real pack (or a new file of a role, or the manifest) and its
// content, and the harness writes the pack with matching sizes and digests,
// so that each input reaches the manifest, policy, attestation, receipt,
// checkpoint and consistency checks instead of a checksum mismatch. Read
// and Verify never panic; errors are typed; the unchanged pack passes.
func FuzzReadVerify(f *testing.F) {
	r := newRelease(f, 1, 1)
	pp := partsOf(f, r.build(f, pack.WriteOptions{}))
	for i, fl := range pp.manifest.Files {
		f.Add(uint8(i), uint8(0), pp.files[fl.Path], false)
	}
	f.Add(uint8(len(pp.manifest.Files)), uint8(2), []byte("log.example\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"), false)
	f.Add(uint8(len(pp.manifest.Files)), uint8(3), []byte(`{"size":1,"root":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=","proofs":[]}`), true)
	man, _ := json.Marshal(pp.manifest)
	f.Add(uint8(len(pp.manifest.Files)+1), uint8(0), man, false)
	lim := pack.Limits{MaxBytes: 8 << 20, MaxEntries: 1000, MaxMetadata: 4 << 20}
	f.Fuzz(func(t *testing.T, which, role uint8, content []byte, gz bool) {
		data := pp.assemble(t, which, fuzzRoles[int(role)%len(fuzzRoles)], content, gz)
		p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{Limits: lim})
		if err != nil {
			if !errors.Is(err, pack.ErrInvalid) {
				t.Fatalf("Read: error %v does not wrap ErrInvalid", err)
			}
			return
		}
		defer p.Close()
		res, err := pack.Verify(context.Background(), p, pack.VerifyConfig{TrustRoots: r.cfg.TrustRoots, Now: r.cfg.Now})
		if err != nil {
			return
		}
		if res.Passed && len(res.Failures) > 0 {
			t.Fatalf("a pack passed with failures: %q", res.Failures)
		}
	})
}

// TestReadVerifyUnchanged: the structured fuzzer's harness reassembles the
// real pack so that it still verifies, or its inputs would all be noise.
func TestReadVerifyUnchanged(t *testing.T) {
	r := newRelease(t, 1, 1)
	pp := partsOf(t, r.build(t, pack.WriteOptions{}))
	for i, fl := range pp.manifest.Files {
		p, err := read(t, pp.assemble(t, uint8(i), "", pp.files[fl.Path], i%2 == 0), pack.Options{})
		if err != nil {
			t.Fatalf("Read(reassembled, %s as it was) = %v", fl.Path, err)
		}
		if res := r.verify(t, p); !res.Passed {
			t.Fatalf("the reassembled pack does not verify:\n%s", report.PackText(res))
		}
	}
}
