package interop

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/verify"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// slsaPredicate is a SLSA Provenance v1 predicate of the kind 'consign run'
// writes, for an artifact built from src/main.go.
const slsaPredicate = `{
  "buildDefinition": {
    "buildType": "https://consign.dev/buildtypes/run/v1",
    "externalParameters": {"step": "build", "command": ["go", "build", "-o", "dist/app", "./cmd/app"]},
    "internalParameters": {"exitCode": 0},
    "resolvedDependencies": [
      {"name": "src/main.go", "digest": {"sha256": "8d7c5f7e4b2f2e0b1b6c0f4e2d9a9b3c7e1f0a2b4c6d8e0f1a3b5c7d9e1f3a5b"}}
    ]
  },
  "runDetails": {
    "builder": {"id": "https://consign.dev/builders/local/v1"},
    "metadata": {"startedOn": "2026-01-02T03:04:05Z", "finishedOn": "2026-01-02T03:04:09Z"}
  }
}`

// cosignVerifyBlobAttestation runs cosign's verify-blob-attestation code for
// a key, the way cosign's own verify_blob_attestation_test.go calls it: the
// transparency log ignored (consign has no Rekor entry to offer), claims
// checked against the artifact, and the predicate type required.
func cosignVerifyBlobAttestation(pubPath, envelopePath, predicateType, artifact string) error {
	cmd := verify.VerifyBlobAttestationCommand{
		KeyOpts:       options.KeyOpts{KeyRef: pubPath},
		SignaturePath: envelopePath,
		IgnoreTlog:    true,
		CheckClaims:   true,
		PredicateType: predicateType,
	}
	return cmd.Exec(context.Background(), artifact)
}

// TestCosignVerifiesConsignAttestation: an envelope consign signs (through
// the library and through 'consign attest') passes cosign's
// verify-blob-attestation with consign's .pub, and fails it for a tampered
// artifact, another key, and another predicate type.
func TestCosignVerifiesConsignAttestation(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{sign.ECDSAP256, sign.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			kf := consignKey(t, dir, "ci", alg)
			other := consignKey(t, dir, "other", alg)
			artifact := filepath.Join(dir, "app")
			writeFile(t, artifact, []byte("the artifact's bytes\n"))
			tampered := tamperedCopy(t, artifact)

			// The envelope as attest.SignStatement makes it.
			d, err := digest.File(artifact)
			if err != nil {
				t.Fatal(err)
			}
			st, err := attest.NewStatement(attest.PredicateSLSAProvenance, []attest.Subject{{Name: "app", Digest: d}}, json.RawMessage(slsaPredicate))
			if err != nil {
				t.Fatalf("attest.NewStatement() = %v", err)
			}
			env, err := attest.SignStatement(st, kf.Signer)
			if err != nil {
				t.Fatalf("attest.SignStatement() = %v", err)
			}
			b, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			library := filepath.Join(dir, "library.json")
			writeFile(t, library, b)

			// The envelope as 'consign attest' writes it: one line of a .intoto.jsonl.
			predPath := filepath.Join(dir, "provenance.json")
			writeFile(t, predPath, []byte(slsaPredicate))
			jsonl := filepath.Join(dir, "build.intoto.jsonl")
			wantExit(t, 0, "attest", "--key", kf.Priv, "--type", "slsa", "--predicate", predPath, "--subject", artifact, "--out", jsonl)

			for _, envPath := range []string{library, jsonl} {
				name := filepath.Base(envPath)
				if err := cosignVerifyBlobAttestation(kf.Pub, envPath, "slsaprovenance1", artifact); err != nil {
					t.Errorf("cosign verify-blob-attestation --key consign.pub %s: %v, want success", name, err)
				}
				// The predicate type as a URI, as cosign also accepts.
				if err := cosignVerifyBlobAttestation(kf.Pub, envPath, attest.PredicateSLSAProvenance, artifact); err != nil {
					t.Errorf("cosign verify-blob-attestation --type %s %s: %v, want success", attest.PredicateSLSAProvenance, name, err)
				}
				// Negative controls, each failing for its own reason (cosign v2.6.5's messages).
				wantErrContains(t, "tampered artifact "+name, cosignVerifyBlobAttestation(kf.Pub, envPath, "slsaprovenance1", tampered), "no matching subject digest")
				wantErrContains(t, "--key other.pub "+name, cosignVerifyBlobAttestation(other.Pub, envPath, "slsaprovenance1", artifact), "accepted signatures do not match threshold")
				wantErrContains(t, "--type spdxjson "+name, cosignVerifyBlobAttestation(kf.Pub, envPath, "spdxjson", artifact), "invalid predicate type")
			}

			// cosign's --digest/--digestAlg form (no artifact file) agrees.
			cmd := verify.VerifyBlobAttestationCommand{
				KeyOpts:       options.KeyOpts{KeyRef: kf.Pub},
				SignaturePath: library,
				IgnoreTlog:    true,
				CheckClaims:   true,
				PredicateType: "slsaprovenance1",
				Digest:        d[digest.SHA256],
				DigestAlg:     "sha256",
			}
			if err := cmd.Exec(context.Background(), ""); err != nil {
				t.Errorf("cosign verify-blob-attestation --digest %s: %v, want success", d[digest.SHA256], err)
			}
			cmd.Digest = fileDigestSHA256(t, tampered)
			wantErrContains(t, "--digest (tampered artifact's)", cmd.Exec(context.Background(), ""), "no matching subject digest")
		})
	}
}

// wantErrContains checks that a negative control failed, and for the reason
// it is meant to exercise.
func wantErrContains(t *testing.T, what string, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Errorf("cosign verify-blob-attestation %s = nil, want an error", what)
	} else if !strings.Contains(err.Error(), substr) {
		t.Errorf("cosign verify-blob-attestation %s = %v, want an error containing %q", what, err, substr)
	}
}

func fileDigestSHA256(t *testing.T, path string) string {
	t.Helper()
	return fileDigest(t, path)[digest.SHA256]
}
