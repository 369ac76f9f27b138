package pack_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
)

// FuzzRead: any input is read or refused with an error wrapping
// ErrInvalid, within the limits, and what is read matches its manifest.
func FuzzRead(f *testing.F) {
	r := newRelease(f, 1, 1)
	f.Add(r.build(f, pack.WriteOptions{}))
	f.Add(r.build(f, pack.WriteOptions{Gzip: true}))
	a := file("attestations/a.jsonl", "aaaa")
	f.Add(archive(f, false, manifestFor(f, policyFile, a, symlink("docs/l", "../attestations/a.jsonl")), policyFile, a, symlink("docs/l", "../attestations/a.jsonl")))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := pack.Limits{MaxBytes: 8 << 20, MaxEntries: 1000, MaxMetadata: 4 << 20}
		p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{Limits: lim})
		if err != nil {
			if !errors.Is(err, pack.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, f := range p.Manifest.Files {
			if f.Role == pack.RoleArtifact || f.Type != pack.TypeFile {
				continue
			}
			if f.Role == pack.RoleAttestations || f.Role == pack.RoleReceipts {
				// Kept as documents: their lines, without blank ones and
				// the white space around them.
				if n := int64(len(p.Data(f.Path))); n > f.Size+1 {
					t.Fatalf("%s: %d bytes of documents, manifest %d", f.Path, n, f.Size)
				}
			} else if int64(len(p.Data(f.Path))) != f.Size {
				t.Fatalf("%s: %d bytes, manifest %d", f.Path, len(p.Data(f.Path)), f.Size)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add(manifestFor(f, policyFile).data)
	f.Add([]byte(`{"packFormat":"https://consign.dev/pack/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := pack.ParseManifest(data)
		if err != nil {
			if !errors.Is(err, pack.ErrManifest) {
				t.Fatalf("error %v does not wrap ErrManifest", err)
			}
			return
		}
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pack.ParseManifest(b); err != nil {
			t.Fatalf("a manifest that parsed does not parse again after Marshal: %v", err)
		}
	})
}
