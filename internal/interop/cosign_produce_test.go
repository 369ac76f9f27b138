package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cattest "github.com/sigstore/cosign/v2/cmd/cosign/cli/attest"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	csign "github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/verify"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/sign"
)

// Sigstore bundle media types (protobuf-specs, bundle.proto).
const (
	mediaTypeV01    = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	mediaTypeV02    = "application/vnd.dev.sigstore.bundle+json;version=0.2"
	mediaTypeV03Old = "application/vnd.dev.sigstore.bundle+json;version=0.3"
	mediaTypeV03    = "application/vnd.dev.sigstore.bundle.v0.3+json" // what cosign v2.6.5 writes
)

// cosignKeys is a key pair made by cosign's own key generation.
type cosignKeys struct {
	keyFiles
	name string
}

func makeCosignKeys(t *testing.T, dir string) []cosignKeys {
	t.Helper()
	ed, err := signature.GetAlgorithmDetails(protocommon.PublicKeyDetails_PKIX_ED25519)
	if err != nil {
		t.Fatal(err)
	}
	var out []cosignKeys
	for _, k := range []struct {
		name string
		algo *signature.AlgorithmDetails
	}{{"ecdsa-p256", nil}, {"ed25519", &ed}} {
		var kb *cosign.KeysBytes
		if k.algo == nil {
			kb, err = cosign.GenerateKeyPair(passwordFunc(testPassword))
		} else {
			kb, err = cosign.GenerateKeyPairWithAlgorithm(k.algo, passwordFunc(testPassword))
		}
		if err != nil {
			t.Fatalf("cosign key generation (%s) = %v", k.name, err)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(kb.PublicBytes)
		if err != nil {
			t.Fatal(err)
		}
		kf := keyFiles{Priv: filepath.Join(dir, k.name, "cosign.key"), Pub: filepath.Join(dir, k.name, "cosign.pub"), Public: pub}
		writeFile(t, kf.Priv, kb.PrivateBytes)
		writeFile(t, kf.Pub, kb.PublicBytes)
		out = append(out, cosignKeys{keyFiles: kf, name: k.name})
	}
	return out
}

// cosignAttestBlob runs cosign attest-blob's code with a key and no
// transparency log upload: --predicate, --type slsaprovenance1, and either
// --output-signature (a raw DSSE envelope) or --bundle, old or new format.
func cosignAttestBlob(t *testing.T, key keyFiles, predicate, artifact, outputSignature, bundle string, newBundle bool) {
	t.Helper()
	c := cattest.AttestBlobCommand{
		KeyOpts: options.KeyOpts{
			KeyRef:          key.Priv,
			PassFunc:        passwordFunc(testPassword),
			BundlePath:      bundle,
			NewBundleFormat: newBundle,
		},
		PredicatePath:   predicate,
		PredicateType:   "slsaprovenance1",
		TlogUpload:      false,
		RekorEntryType:  "dsse",
		OutputSignature: outputSignature,
	}
	if err := c.Exec(context.Background(), artifact); err != nil {
		t.Fatalf("cosign attest-blob --key %s --tlog-upload=false (bundle %q, new format %v) = %v", key.Priv, bundle, newBundle, err)
	}
}

// withMediaType rewrites the mediaType of a bundle cosign wrote.
func withMediaType(t *testing.T, bundle []byte, mediaType string) []byte {
	t.Helper()
	old := `"mediaType":"` + mediaTypeV03 + `"`
	if !bytes.Contains(bundle, []byte(old)) {
		t.Fatalf("cosign's bundle does not start with %s: %s", old, bundle)
	}
	return bytes.Replace(bundle, []byte(old), []byte(`"mediaType":"`+mediaType+`"`), 1)
}

// TestConsignVerifiesCosignBlobAttestations: what 'cosign attest-blob --key
// --tlog-upload=false' writes (a DSSE envelope, a legacy cosign bundle, a
// Sigstore bundle v0.3, and the same bundle declared as v0.1 and v0.2) is
// read by attest.Read, verified by attest.VerifyItem and by 'consign
// verify-attestation', and fails with another key or a tampered artifact.
//
// The v0.1 and v0.2 files are cosign's v0.3 bundle with only its mediaType
// changed. That content is valid for those versions: key-based bundles
// without transparency-log entries have no inclusion promise (v0.1) or proof
// (v0.2) to require, and the public-key verification material exists in every
// version. sigstore-go's bundle validation, which enforces the per-version
// rules, accepts each variant, and for ECDSA so does cosign's own
// verify-blob-attestation --new-bundle-format. (Not for Ed25519: cosign
// v2.6.5 signs attestations with Ed25519ph but verifies with --key as pure
// Ed25519, so it rejects its own Ed25519 attestations; consign accepts both.)
func TestConsignVerifiesCosignBlobAttestations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := consignKey(t, dir, "other", sign.ECDSAP256)
	for _, key := range makeCosignKeys(t, dir) {
		t.Run(key.name, func(t *testing.T) {
			t.Parallel()
			d := filepath.Join(dir, key.name)
			artifact := filepath.Join(d, "app")
			writeFile(t, artifact, []byte("an artifact attested by cosign\n"))
			tampered := tamperedCopy(t, artifact)
			predicate := filepath.Join(d, "provenance.json")
			writeFile(t, predicate, []byte(slsaPredicate))

			envelope := filepath.Join(d, "app.dsse.json")
			legacy := filepath.Join(d, "app.cosign.bundle")
			cosignAttestBlob(t, key.keyFiles, predicate, artifact, envelope, legacy, false)
			sigstore := filepath.Join(d, "app.sigstore.json")
			cosignAttestBlob(t, key.keyFiles, predicate, artifact, filepath.Join(d, "unused.dsse.json"), sigstore, true)

			files := []struct {
				path, format, version, mediaType string
			}{
				{path: envelope, format: attest.FormatDSSE},
				{path: legacy, format: attest.FormatCosignBundle},
				{path: sigstore, format: attest.FormatSigstoreBundle, version: "0.3", mediaType: mediaTypeV03},
			}
			for _, v := range []struct{ mt, version string }{{mediaTypeV01, "0.1"}, {mediaTypeV02, "0.2"}, {mediaTypeV03Old, "0.3"}} {
				p := filepath.Join(d, "app.sigstore-v"+v.version+"-"+map[bool]string{true: "old", false: "new"}[v.mt == mediaTypeV03Old]+".json")
				writeFile(t, p, withMediaType(t, readFile(t, sigstore), v.mt))
				files = append(files, struct{ path, format, version, mediaType string }{p, attest.FormatSigstoreBundle, v.version, v.mt})
			}

			kr := loadKeyring(t, key.Pub)
			wrong := loadKeyring(t, other.Pub)
			subject := fileDigest(t, artifact)
			opts := attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}, Subject: subject}
			for _, f := range files {
				name := filepath.Base(f.path)
				if f.mediaType != "" {
					// The bundle is valid for its declared version by sigstore-go's rules.
					var b sgbundle.Bundle
					if err := b.UnmarshalJSON(readFile(t, f.path)); err != nil {
						t.Fatalf("sigstore-go rejects %s (%s): %v", name, f.mediaType, err)
					}
					if key.name == "ecdsa-p256" {
						if err := cosignVerifyNewBundle(t, key.Pub, f.path, artifact); err != nil {
							t.Errorf("cosign verify-blob-attestation --new-bundle-format %s = %v, want success", name, err)
						}
					}
				}

				it := readOne(t, f.path, f.format)
				if it.Version != f.version {
					t.Errorf("attest.Read(%s).Version = %q, want %q", name, it.Version, f.version)
				}
				v, err := attest.VerifyItem(&it, kr, opts)
				if err != nil {
					t.Errorf("attest.VerifyItem(%s, cosign.pub) = %v, want nil", name, err)
				} else {
					if got, want := v.Statement.Type, attest.StatementV01; got != want {
						t.Errorf("%s: statement _type %q, want %q (cosign v2 attest-blob writes v0.1)", name, got, want)
					}
					if len(v.Signers) != 1 || v.Signers[0].KeyID() != spkiID(t, key.Public) {
						t.Errorf("%s: signers %v, want exactly cosign.pub (%s)", name, v.Signers, spkiID(t, key.Public))
					}
					if len(v.Matched) != 1 || v.Matched[0].Name != "app" {
						t.Errorf("%s: matched subjects %v, want the one named app", name, v.Matched)
					}
				}
				if key.name == "ed25519" && it.Envelope != nil {
					// cosign signs DSSE with Ed25519ph by default: consign's
					// acceptance of Ed25519ph is what this case exercises.
					assertEd25519ph(t, key.Public, attest.PAE(it.Envelope.PayloadType, it.Envelope.Payload), it.Envelope.Signatures[0].Sig)
				}
				// Negative controls.
				if _, err := attest.VerifyItem(&it, wrong, opts); !errors.Is(err, attest.ErrSignature) {
					t.Errorf("attest.VerifyItem(%s, other key) = %v, want %v", name, err, attest.ErrSignature)
				}
				bad := opts
				bad.Subject = fileDigest(t, tampered)
				if _, err := attest.VerifyItem(&it, kr, bad); !errors.Is(err, attest.ErrSubjectMismatch) {
					t.Errorf("attest.VerifyItem(%s, tampered artifact) = %v, want %v", name, err, attest.ErrSubjectMismatch)
				}

				// End to end through consign's CLI.
				wantExit(t, cli.ExitOK, "verify-attestation", "--key", key.Pub, "--type", "slsa", "--subject", artifact, f.path)
				wantExit(t, cli.ExitOK, "verify-attestation", "--key", key.Pub, f.path)
				wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", other.Pub, "--type", "slsa", "--subject", artifact, f.path)
				wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", key.Pub, "--type", "slsa", "--subject", tampered, f.path)
			}
		})
	}
}

// cosignVerifyNewBundle is cosign verify-blob-attestation --new-bundle-format
// with a key, offline, as cosign's own tests run it: an empty trusted root.
func cosignVerifyNewBundle(t *testing.T, pub, bundle, artifact string) error {
	t.Helper()
	root := filepath.Join(t.TempDir(), "trusted_root.json")
	writeFile(t, root, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`))
	cmd := verify.VerifyBlobAttestationCommand{
		KeyOpts:         options.KeyOpts{KeyRef: pub, BundlePath: bundle, NewBundleFormat: true},
		IgnoreTlog:      true,
		CheckClaims:     true,
		PredicateType:   "slsaprovenance1",
		TrustedRootPath: root,
	}
	return cmd.Exec(context.Background(), artifact)
}

// assertEd25519ph checks with sigstore's verifiers that sig is Ed25519ph,
// not pure Ed25519, over msg.
func assertEd25519ph(t *testing.T, pub crypto.PublicKey, msg, sig []byte) {
	t.Helper()
	ph, err := signature.LoadVerifierWithOpts(pub, sigopts.WithED25519ph())
	if err != nil {
		t.Fatal(err)
	}
	if err := ph.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
		t.Errorf("sigstore Ed25519ph verifier rejects cosign's signature: %v", err)
	}
	pure, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := pure.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err == nil {
		t.Errorf("cosign's Ed25519 signature verifies as pure Ed25519; this case no longer exercises Ed25519ph")
	}
}

// TestConsignVerifiesCosignBlobSignatures: what 'cosign sign-blob --key
// --tlog-upload=false' writes for an ECDSA P-256 key (the base64 signature
// file, a legacy bundle, a Sigstore bundle v0.3 with a messageSignature) is
// verified by consign against the artifact, and fails with another key or a
// tampered artifact.
//
// cosign v2.6.5 cannot sign a blob with an Ed25519 key offline (sign-blob
// switches to pure Ed25519 when it does not upload, then asks for the hash
// of a hash-less algorithm and panics), so the Ed25519 case is the signature
// sign-blob makes when it does upload: cosign's own signer for the key,
// loaded with cosign's default options (Ed25519ph), over the artifact.
func TestConsignVerifiesCosignBlobSignatures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := consignKey(t, dir, "other", sign.ECDSAP256)
	keys := makeCosignKeys(t, dir)
	for _, key := range keys {
		t.Run(key.name, func(t *testing.T) {
			t.Parallel()
			d := filepath.Join(dir, key.name)
			artifact := filepath.Join(d, "app")
			writeFile(t, artifact, []byte("an artifact signed by cosign\n"))
			tampered := tamperedCopy(t, artifact)

			type sigFile struct{ path, format string }
			var files []sigFile
			if key.name == "ecdsa-p256" {
				ro := &options.RootOptions{Timeout: time.Minute}
				ko := options.KeyOpts{KeyRef: key.Priv, PassFunc: passwordFunc(testPassword)}
				sig := filepath.Join(d, "app.sig")
				if _, err := csign.SignBlobCmd(ro, ko, artifact, true, sig, "", false); err != nil {
					t.Fatalf("cosign sign-blob --output-signature = %v", err)
				}
				ko.BundlePath = filepath.Join(d, "app.cosign.bundle")
				if _, err := csign.SignBlobCmd(ro, ko, artifact, true, filepath.Join(d, "unused1.sig"), "", false); err != nil {
					t.Fatalf("cosign sign-blob --bundle = %v", err)
				}
				legacy := ko.BundlePath
				ko.BundlePath, ko.NewBundleFormat = filepath.Join(d, "app.sigstore.json"), true
				if _, err := csign.SignBlobCmd(ro, ko, artifact, true, filepath.Join(d, "unused2.sig"), "", false); err != nil {
					t.Fatalf("cosign sign-blob --new-bundle-format --bundle = %v", err)
				}
				files = []sigFile{{sig, attest.FormatBlobSignature}, {legacy, attest.FormatCosignBundle}, {ko.BundlePath, attest.FormatSigstoreBundle}}
			} else {
				sv, err := cosign.LoadPrivateKey(readFile(t, key.Priv), []byte(testPassword), nil)
				if err != nil {
					t.Fatalf("cosign.LoadPrivateKey(cosign.key) = %v", err)
				}
				sig, err := sv.SignMessage(bytes.NewReader(readFile(t, artifact)))
				if err != nil {
					t.Fatal(err)
				}
				assertEd25519ph(t, key.Public, readFile(t, artifact), sig)
				p := filepath.Join(d, "app.sig")
				writeFile(t, p, []byte(base64.StdEncoding.EncodeToString(sig)))
				files = []sigFile{{p, attest.FormatBlobSignature}}
			}

			kr := loadKeyring(t, key.Pub)
			wrong := loadKeyring(t, other.Pub)
			for _, f := range files {
				name := filepath.Base(f.path)
				it := readOne(t, f.path, f.format)
				if it.Blob == nil {
					t.Fatalf("attest.Read(%s) holds no blob signature", name)
				}
				if f.format == attest.FormatSigstoreBundle {
					sum := sha256.Sum256(readFile(t, artifact))
					if got, want := it.Blob.Digest["sha256"], hex.EncodeToString(sum[:]); got != want {
						t.Errorf("%s: messageDigest read as %q, want %q", name, got, want)
					}
				}
				v, err := attest.VerifyItem(&it, kr, attest.VerifyOptions{Subject: fileDigest(t, artifact)})
				if err != nil {
					t.Errorf("attest.VerifyItem(%s, cosign.pub, artifact) = %v, want nil", name, err)
				} else if len(v.Signers) != 1 || v.Signers[0].KeyID() != spkiID(t, key.Public) {
					t.Errorf("%s: signers %v, want exactly cosign.pub", name, v.Signers)
				}
				if _, err := attest.VerifyItem(&it, wrong, attest.VerifyOptions{Subject: fileDigest(t, artifact)}); !errors.Is(err, attest.ErrSignature) {
					t.Errorf("attest.VerifyItem(%s, other key) = %v, want %v", name, err, attest.ErrSignature)
				}
				if _, err := attest.VerifyItem(&it, kr, attest.VerifyOptions{Subject: fileDigest(t, tampered)}); !errors.Is(err, attest.ErrUnverified) {
					t.Errorf("attest.VerifyItem(%s, tampered artifact) = %v, want %v", name, err, attest.ErrUnverified)
				}

				r := wantExit(t, cli.ExitOK, "verify-attestation", "--key", key.Pub, "--subject", artifact, f.path)
				if !strings.Contains(r.Stdout, "1 passed") {
					t.Errorf("consign verify-attestation %s: report does not say 1 passed:\n%s", name, r.Stdout)
				}
				wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", other.Pub, "--subject", artifact, f.path)
				wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", key.Pub, "--subject", tampered, f.path)
			}
		})
	}
}

// TestConsignVerifiesPureEd25519BlobSignature: a blob signature made with an
// Ed25519 key the way 'cosign sign-blob --tlog-upload=false' means to make it
// (cosign loads the key with no options when it does not upload, which is
// pure Ed25519 over the blob's bytes; older cosign releases wrote these) is
// accepted by cosign's own verify-blob, and must be by consign too, and
// refused for another key or a changed artifact.
func TestConsignVerifiesPureEd25519BlobSignature(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var key cosignKeys
	for _, k := range makeCosignKeys(t, dir) {
		if k.name == "ed25519" {
			key = k
		}
	}
	other := consignKey(t, dir, "other", sign.Ed25519)
	artifact := filepath.Join(dir, "app")
	writeFile(t, artifact, []byte("an artifact signed with pure Ed25519\n"))
	tampered := tamperedCopy(t, artifact)

	sv, err := cosign.LoadPrivateKey(readFile(t, key.Priv), []byte(testPassword), &[]signature.LoadOption{})
	if err != nil {
		t.Fatalf("cosign.LoadPrivateKey(cosign.key, no options) = %v", err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(readFile(t, artifact)))
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "app.sig")
	writeFile(t, sigPath, []byte(base64.StdEncoding.EncodeToString(sig)))

	// Oracle: cosign verify-blob --key cosign.pub --signature app.sig accepts it.
	vb := verify.VerifyBlobCmd{KeyOpts: options.KeyOpts{KeyRef: key.Pub}, SigRef: sigPath, IgnoreTlog: true}
	if err := vb.Exec(context.Background(), artifact); err != nil {
		t.Fatalf("cosign verify-blob rejects its own pure Ed25519 signature: %v", err)
	}
	if err := vb.Exec(context.Background(), tampered); err == nil {
		t.Fatalf("cosign verify-blob accepts a tampered artifact")
	}

	readOne(t, sigPath, attest.FormatBlobSignature)
	wantExit(t, cli.ExitOK, "verify-attestation", "--key", key.Pub, "--subject", artifact, sigPath)
	wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", other.Pub, "--subject", artifact, sigPath)
	wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", key.Pub, "--subject", tampered, sigPath)
}
