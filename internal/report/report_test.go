package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/testutil/golden"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// TestVerificationText: every kind of node of a verification, in the
// tree's order and wording (go test ./internal/report -update rewrites the
// golden files after a deliberate change).
func TestVerificationText(t *testing.T) {
	golden.Check(t, "failed", []byte(report.VerificationText(failedResult())))
	golden.Check(t, "passed", []byte(report.VerificationText(passedResult())))
}

func TestPackText(t *testing.T) {
	golden.Check(t, "failed", []byte(report.PackText(packResult())))
	r := packResult()
	r.Passed, r.Failures, r.Notes, r.VSA, r.Log, r.SBOMs, r.Pack.Name, r.Pack.Size = true, nil, nil, nil, nil, nil, "", 512
	golden.Check(t, "passed", []byte(report.PackText(r)))
	// A policy whose signature did not verify signs no product or version:
	// the first line claims neither.
	r = packResult()
	r.Pack.Product, r.Pack.PolicyVersion, r.Pack.Unknown = "", 0, "the policy's signature did not verify"
	golden.Check(t, "unverified-policy", []byte(report.PackText(r)))
}

// TestFormats: Text writes the text, JSON the result's own encoding (one
// line), for both kinds of result.
func TestFormats(t *testing.T) {
	res := failedResult()
	res.MediaType = verify.ResultMediaType
	var text, js bytes.Buffer
	if err := report.Verification(&text, report.Text, res); err != nil {
		t.Fatal(err)
	}
	if got, want := text.String(), report.VerificationText(res); got != want {
		t.Errorf("Verification(Text) = %q, want VerificationText's %q", got, want)
	}
	if err := report.Verification(&js, report.JSON, res); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(res)
	if got := js.String(); got != string(want)+"\n" {
		t.Errorf("Verification(JSON) = %s, want %s", got, want)
	}
	if !strings.Contains(js.String(), `"mediaType":"application/vnd.consign.verification-result+json;version=1"`) {
		t.Errorf("Verification(JSON) has no versioned media type: %s", js.String())
	}

	pr := packResult()
	text.Reset()
	js.Reset()
	if err := report.Pack(&text, report.Text, pr); err != nil || text.String() != report.PackText(pr) {
		t.Errorf("Pack(Text) = %q, %v", text.String(), err)
	}
	if err := report.Pack(&js, report.JSON, pr); err != nil {
		t.Fatal(err)
	}
	var back pack.Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Pack.Product != "app" || len(back.SBOMs) != 3 || len(back.SBOMs[0].Profiles) != 1 || back.SBOMs[1].Schema.Violations != 2 {
		t.Errorf("Pack(JSON) = %s, %v", js.String(), err)
	}
}

func TestMark(t *testing.T) {
	for status, want := range map[string]string{
		verify.StatusPass: "PASS", verify.StatusCounted: "PASS",
		verify.StatusFail: "FAIL", verify.StatusInvalid: "FAIL",
		verify.StatusUnused: "----", verify.StatusNotCounted: "----", "": "----",
	} {
		if got := report.Mark(status); got != want {
			t.Errorf("Mark(%q) = %q, want %q", status, got, want)
		}
	}
}

func testListing() *pack.Listing {
	return &pack.Listing{
		Compression: "gzip",
		Manifest: &pack.Manifest{Format: "1", Product: "app", Release: "1.0", Policy: "policy/policy.json",
			Artifacts: []pack.Artifact{{Name: "app", Digest: appSum, Path: "artifacts/app"}, {Name: "other", Digest: appSum}}},
		Entries: []pack.Listed{
			{Name: "manifest.json", Type: "file", Mode: "0644", Size: 100},
			{Name: "policy/policy.json", Type: "file", Mode: "0644", Size: 2000, Role: pack.RolePolicy},
			{Name: "extra", Type: "symlink", Mode: "0777", Target: "../etc/passwd"},
		},
		Problems: []string{"extra: not in the manifest"},
	}
}

func TestListing(t *testing.T) {
	var b bytes.Buffer
	if err := report.Listing(&b, report.Text, "r.pack", testListing()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "text", b.Bytes())
	b.Reset()
	if err := report.Listing(&b, report.JSON, "r.pack", testListing()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Verified bool `json:"verified"`
		pack.Listing
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil || got.Verified || len(got.Entries) != 3 || got.Problems[0] != "extra: not in the manifest" {
		t.Errorf("Listing(JSON) = %s, %v", b.String(), err)
	}
}

// TestPacked: what the packer is told: counted attestations of those read,
// files by role, the checkpoint and the VSA.
func TestPacked(t *testing.T) {
	res := failedResult() // two counted of five read
	plan := &pack.Plan{
		Manifest: &pack.Manifest{Product: "app", Artifacts: []pack.Artifact{{Name: "app"}, {Name: "lib"}}, Files: []pack.File{
			{Role: pack.RoleAttestations}, {Role: pack.RoleAttestations}, {Role: pack.RoleSBOM}, {Role: pack.RoleVSA}, {Role: pack.RoleArtifact},
		}},
		Result: res, Receipts: 3, Checkpoint: &tlog.SignedCheckpoint{Checkpoint: tlog.Checkpoint{Size: 42}},
		Notes: []string{"a receipt was left out"},
	}
	var b bytes.Buffer
	report.Packed(&b, plan, "policy.json", "r.pack")
	golden.Check(t, "packed", b.Bytes())
}
