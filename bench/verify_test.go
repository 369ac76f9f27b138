package bench

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/verify"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/policy"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// verifyFixture is one signed envelope and what verifying it needs, on disk
// (for the whole commands) and in memory (for the core code paths).
type verifyFixture struct {
	dir                        string
	pubPath, envPath, artifact string
	pub                        crypto.PublicKey
	envelope                   []byte // the .intoto.jsonl line, as written
	payloadSize                int
	subject                    digest.Set
	sha256Hex                  string
}

// slsaProvenance is a SLSA Provenance v1 predicate of about 2 KB once in a
// statement: a build of one artifact from a dozen source files.
func slsaProvenance() json.RawMessage {
	var deps []string
	for i := range 12 {
		sum := digest.Set{digest.SHA256: fmt.Sprintf("%064x", i*7919+1)}
		deps = append(deps, fmt.Sprintf(`{"name":"src/pkg%02d/file.go","digest":{"sha256":%q}}`, i, sum[digest.SHA256]))
	}
	return json.RawMessage(`{"buildDefinition":{"buildType":"https://consign.dev/buildtypes/run/v1",` +
		`"externalParameters":{"step":"build","command":["go","build","-trimpath","-o","dist/app","./cmd/app"],"excludePatterns":[]},` +
		`"internalParameters":{"exitCode":0},"resolvedDependencies":[` + strings.Join(deps, ",") + `]},` +
		`"runDetails":{"builder":{"id":"https://consign.dev/builders/local/v1"},` +
		`"metadata":{"startedOn":"2026-01-02T03:04:05Z","finishedOn":"2026-01-02T03:04:09Z"},"byproducts":[]}}`)
}

// newVerifyFixture signs the statement with a fresh ECDSA P-256 key and
// writes the public key, the artifact and the envelope (one JSON Lines line,
// as 'consign attest --out' writes it) under b.TempDir().
func newVerifyFixture(b *testing.B) *verifyFixture {
	b.Helper()
	f := &verifyFixture{dir: b.TempDir()}
	key, err := sign.Generate(sign.ECDSAP256)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := sign.NewSigner(key)
	if err != nil {
		b.Fatal(err)
	}
	f.pub = key.Public()
	pubPEM, err := sign.MarshalPublicKey(f.pub)
	if err != nil {
		b.Fatal(err)
	}
	f.pubPath = filepath.Join(f.dir, "k.pub")
	f.artifact = filepath.Join(f.dir, "app")
	f.envPath = filepath.Join(f.dir, "env.intoto.jsonl")
	if err := os.WriteFile(f.pubPath, pubPEM, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(f.artifact, bytes.Repeat([]byte("consign benchmark artifact\n"), 1000), 0o644); err != nil {
		b.Fatal(err)
	}
	if f.subject, err = digest.File(f.artifact, digest.SHA256, digest.SHA512); err != nil {
		b.Fatal(err)
	}
	f.sha256Hex = f.subject[digest.SHA256]
	st, err := attest.NewStatement(attest.PredicateSLSAProvenance,
		[]attest.Subject{{Name: "dist/app", Digest: digest.Set{digest.SHA256: f.sha256Hex}}}, slsaProvenance())
	if err != nil {
		b.Fatal(err)
	}
	env, err := attest.SignStatement(st, signer)
	if err != nil {
		b.Fatal(err)
	}
	f.payloadSize = len(env.Payload)
	if f.payloadSize < 1500 || f.payloadSize > 2600 {
		b.Fatalf("statement is %d bytes, want about 2 KB", f.payloadSize)
	}
	line, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	f.envelope = append(line, '\n')
	if err := os.WriteFile(f.envPath, f.envelope, 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

// consignCore is what 'consign verify-attestation' does per file once its
// key is loaded and the artifact hashed: read the file's items, verify the
// envelope (payloadType, signature over PAE, strict statement, predicate
// type, subject digest).
func consignCore(f *verifyFixture, kr *attest.Keyring) error {
	items, err := attest.Read(f.envelope, f.envPath)
	if err != nil {
		return err
	}
	if len(items) != 1 {
		return fmt.Errorf("%d items", len(items))
	}
	_, err = attest.VerifyItem(&items[0], kr, attest.VerifyOptions{
		PredicateTypes: []string{attest.PredicateSLSAProvenance}, Subject: f.subject,
	})
	return err
}

// cosignCore is what cosign's VerifyBlobAttestationCommand.Exec does for a
// key-verified envelope once its key is loaded and the artifact hashed:
// static.NewAttestation, cosign.VerifyBlobAttestation (the DSSE signature
// through sigstore's verifier adapter and go-securesystemslib, then the
// in-toto subject claim), and policy.AttestationToPayloadJSON (the predicate
// type check).
func cosignCore(ctx context.Context, f *verifyFixture, co *cosign.CheckOpts) error {
	att, err := static.NewAttestation(bytes.TrimSpace(f.envelope))
	if err != nil {
		return err
	}
	h := v1.Hash{Algorithm: "sha256", Hex: f.sha256Hex}
	if _, err := cosign.VerifyBlobAttestation(ctx, att, h, co); err != nil {
		return err
	}
	p, got, err := policy.AttestationToPayloadJSON(ctx, "slsaprovenance1", att)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("predicate type %s", got)
	}
	return nil
}

func consignCommand(f *verifyFixture) error {
	var stdout, stderr bytes.Buffer
	deps := &cli.Deps{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		LookupEnv:       func(string) (string, bool) { return "", false },
		Now:             time.Now,
		StdinIsTerminal: func() bool { return false },
		ReadPassword:    func() ([]byte, error) { return nil, fmt.Errorf("no terminal") },
	}
	if code := cli.Run(context.Background(), deps, []string{"verify-attestation", "--key", f.pubPath, "--type", "slsa", "--subject", f.artifact, f.envPath}); code != 0 {
		return fmt.Errorf("consign verify-attestation: exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	return nil
}

func cosignCommand(ctx context.Context, f *verifyFixture) error {
	cmd := verify.VerifyBlobAttestationCommand{
		KeyOpts:       options.KeyOpts{KeyRef: f.pubPath},
		SignaturePath: f.envPath,
		IgnoreTlog:    true,
		CheckClaims:   true,
		PredicateType: "slsaprovenance1",
	}
	return cmd.Exec(ctx, f.artifact)
}

// offlineCosign keeps cosign's command off the network, as verify.sh does
// for the cosign binary: with a key and no trusted root, cosign first looks
// for Sigstore's TUF trusted root; a non-default TUF mirror with no cached
// root.json (in an empty TUF_ROOT) makes it give up at once, before any
// request, and carry on with the key. cosign also prints "Verified OK" (and a
// warning about the trusted root) on os.Stderr each time; that goes to
// /dev/null while the benchmark runs.
func offlineCosign(b *testing.B) {
	b.Setenv("TUF_ROOT", b.TempDir())
	b.Setenv("TUF_MIRROR", "http://127.0.0.1:9/no-tuf-mirror")
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		b.Setenv(k, "http://127.0.0.1:9")
	}
	for _, k := range []string{"SIGSTORE_ROOT_FILE", "SIGSTORE_REKOR_PUBLIC_KEY", "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", "SIGSTORE_TSA_CERTIFICATE_FILE", "TUF_ROOT_JSON"} {
		b.Setenv(k, "")
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = devnull
	b.Cleanup(func() {
		os.Stderr = stderr
		devnull.Close()
	})
}

// BenchmarkVerifyEnvelope verifies the same envelope (ECDSA P-256, a ~2 KB
// SLSA Provenance v1 statement about one artifact) with consign and with
// cosign v2.6.5's verify-blob-attestation code for a key:
//
//   - consign, cosign: the core, in memory: envelope bytes, parsed public
//     key and the artifact's digest given; signature, statement, predicate
//     type and subject checked.
//   - consign-command, cosign-command: the whole verify command in process
//     (flags as on the command line; reads the key, the envelope and the
//     artifact from disk, hashes the artifact, reports).
//
// Before timing, each path must accept the envelope and reject it for
// another key, so that no path is timed doing less than the others.
func BenchmarkVerifyEnvelope(b *testing.B) {
	ctx := context.Background()
	f := newVerifyFixture(b)
	kr, err := attest.NewKeyring(f.pub)
	if err != nil {
		b.Fatal(err)
	}
	sv, err := signature.LoadVerifier(f.pub, crypto.SHA256) // what cosign's key loading ends in
	if err != nil {
		b.Fatal(err)
	}
	co := &cosign.CheckOpts{SigVerifier: sv, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier}

	other, err := sign.Generate(sign.ECDSAP256)
	if err != nil {
		b.Fatal(err)
	}
	okr, err := attest.NewKeyring(other.Public())
	if err != nil {
		b.Fatal(err)
	}
	osv, err := signature.LoadVerifier(other.Public(), crypto.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	if err := consignCore(f, kr); err != nil {
		b.Fatalf("consign rejects the envelope: %v", err)
	}
	if err := consignCore(f, okr); err == nil {
		b.Fatalf("consign accepts the envelope for another key")
	}
	if err := cosignCore(ctx, f, co); err != nil {
		b.Fatalf("cosign rejects the envelope: %v", err)
	}
	if err := cosignCore(ctx, f, &cosign.CheckOpts{SigVerifier: osv, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier}); err == nil {
		b.Fatalf("cosign accepts the envelope for another key")
	}

	b.Run("consign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(f.envelope)))
		for b.Loop() {
			if err := consignCore(f, kr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cosign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(f.envelope)))
		for b.Loop() {
			if err := cosignCore(ctx, f, co); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consign-command", func(b *testing.B) {
		b.ReportAllocs()
		if err := consignCommand(f); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := consignCommand(f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cosign-command", func(b *testing.B) {
		offlineCosign(b)
		b.ReportAllocs()
		if err := cosignCommand(ctx, f); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := cosignCommand(ctx, f); err != nil {
				b.Fatal(err)
			}
		}
	})
}
