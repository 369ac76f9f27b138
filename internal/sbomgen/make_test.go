package sbomgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// smallTree is a directory of one file, quick to scan, and that file's
// sha256.
func smallTree(t *testing.T) (dir, sha string) {
	t.Helper()
	dir = t.TempDir()
	content := []byte("the one artifact\n")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	return dir, hex.EncodeToString(sum[:])
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestMake attests the JSON outputs about the scanned files, writes every
// output with a path into Files, and sends nothing to standard output.
func TestMake(t *testing.T) {
	t.Parallel()
	dir, sha := smallTree(t)
	key := testkey.New(t, "sbomgen")
	made, err := Make(context.Background(), sbomspec.Request{
		Config: sbomspec.Config{Target: dir, Epoch: &epoch, NoGoModCache: true},
		Outputs: []sbomspec.Output{
			{Format: sbomspec.DefaultFormat, Path: "sbom.cdx.json"},
			{Format: sbomspec.Format{Name: sbomspec.FormatSPDXJSON, Version: "2.3"}},
			{Format: sbomspec.Format{Name: sbomspec.FormatSyftJSON, Version: ""}, Path: "sbom.syft.json"},
		},
		Signer: key.Signer,
	})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	if got := []string{made.Files[0].Path, made.Files[1].Path}; len(made.Files) != 2 || got[0] != "sbom.cdx.json" || got[1] != "sbom.syft.json" {
		t.Errorf("files = %q, want sbom.cdx.json and sbom.syft.json", got)
	}
	if made.Stdout != nil {
		t.Errorf("standard output holds %d bytes, want none when attesting", len(made.Stdout))
	}
	if len(made.Subjects) != 1 || made.Subjects[0].Digest[digest.SHA256] != sha || !strings.HasSuffix(made.Subjects[0].Name, "a.txt") {
		t.Fatalf("subjects = %+v, want a.txt with sha256 %s", made.Subjects, sha)
	}
	kr, err := attest.NewKeyring(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if len(made.Envelopes) != 2 {
		t.Fatalf("%d envelopes, want 2 (CycloneDX and SPDX JSON)", len(made.Envelopes))
	}
	for i, pt := range []string{attest.PredicateCycloneDX, attest.PredicateSPDX} {
		v, err := attest.VerifyEnvelope(made.Envelopes[i], kr, attest.VerifyOptions{PredicateTypes: []string{pt}, Subject: digest.Set{digest.SHA256: sha}})
		if err != nil {
			t.Fatalf("envelope %d: VerifyEnvelope = %v", i, err)
		}
		if _, err := sbomdoc.Decode(v.Statement.Predicate); err != nil {
			t.Errorf("envelope %d: the predicate is no SBOM: %v", i, err)
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, made.Files[0].Data); err != nil {
		t.Fatal(err)
	}
	var st attest.Statement
	if err := json.Unmarshal(made.Envelopes[0].Payload, &st); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.Predicate, compact.Bytes()) {
		t.Errorf("the attested CycloneDX SBOM is not the one written to sbom.cdx.json")
	}
}

// TestMakeUnsigned sends the one output without a path to standard output
// and hashes no subjects.
func TestMakeUnsigned(t *testing.T) {
	t.Parallel()
	dir, _ := smallTree(t)
	made, res, err := makeSBOMs(context.Background(), sbomspec.Request{
		Config:  sbomspec.Config{Target: dir, Epoch: &epoch, NoGoModCache: true},
		Outputs: []sbomspec.Output{{Format: sbomspec.DefaultFormat}},
	})
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	if doc, err := sbomdoc.Decode(made.Stdout); err != nil || doc.Format != sbomspec.FormatCycloneDXJSON {
		t.Errorf("standard output decodes to %v, %v; want a CycloneDX JSON SBOM", doc, err)
	}
	if len(made.Files)+len(made.Envelopes)+len(made.Subjects)+len(res.Subjects) != 0 {
		t.Errorf("made %+v, want standard output alone", made)
	}
}

// TestMakeGivenSubjects attests the subjects given, not the scanned files,
// and refuses more than limits.Subjects of them with ErrTooManySubjects.
func TestMakeGivenSubjects(t *testing.T) {
	t.Parallel()
	dir, _ := smallTree(t)
	key := testkey.New(t, "sbomgen")
	release := attest.Subject{Name: "app.tar", Digest: digest.Set{digest.SHA256: strings.Repeat("ab", 32)}}
	req := sbomspec.Request{
		Config:   sbomspec.Config{Target: dir, Epoch: &epoch, NoGoModCache: true},
		Outputs:  []sbomspec.Output{{Format: sbomspec.DefaultFormat}},
		Signer:   key.Signer,
		Subjects: []attest.Subject{release},
	}
	made, res, err := makeSBOMs(context.Background(), req)
	if err != nil {
		t.Fatalf("Make = %v", err)
	}
	var st attest.Statement
	if err := json.Unmarshal(made.Envelopes[0].Payload, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != "app.tar" || len(res.Subjects) != 0 {
		t.Errorf("statement subjects %+v, scanned subjects %+v; want app.tar alone, and no scan subjects", st.Subject, res.Subjects)
	}

	req.Subjects = nil
	for i := range limits.Subjects + 1 {
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		req.Subjects = append(req.Subjects, attest.Subject{Name: fmt.Sprint(i), Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}})
	}
	made, err = Make(context.Background(), req)
	if !errors.Is(err, ErrTooManySubjects) || !errors.Is(err, attest.ErrInvalid) || made != nil {
		t.Errorf("Make with %d subjects = %v, %v; want ErrTooManySubjects, which is also attest.ErrInvalid", len(req.Subjects), made, err)
	}
}
