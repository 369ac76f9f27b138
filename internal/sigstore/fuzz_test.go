package sigstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// seedBundles adds every bundle of the conformance suite to f's corpus.
func seedBundles(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join(suite, "*", "bundle.sigstore.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed bundles in %s: %v", suite, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzVerify checks that whatever bytes a bundle holds, Verify either
// fails with one of its errors or verifies a bundle signed by the identity
// asked for, never anything else.
func FuzzVerify(f *testing.F) {
	seedBundles(f)
	root, err := os.ReadFile(publicGood)
	if err != nil {
		f.Fatal(err)
	}
	artifact, err := os.ReadFile(filepath.Join(suite, "a.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, bundle []byte) {
		res, err := Verify(Config{Bundle: bundle, TrustedRoot: root, Identity: beaconIdentity(), Artifact: bytes.NewReader(artifact)})
		switch {
		case err != nil && res != nil:
			t.Fatalf("Verify returned a result and an error: %v", err)
		case len(bundle) == 0 && !errors.Is(err, ErrConfig):
			t.Fatalf("Verify(no bundle) = %v, want ErrConfig", err)
		case len(bundle) > 0 && err != nil && !errors.Is(err, ErrBundle) && !errors.Is(err, ErrUnverified):
			t.Fatalf("Verify = %v, want ErrBundle or ErrUnverified", err)
		case err == nil && (res.Subject != beacon || res.Issuer != actions):
			t.Fatalf("Verify passed a bundle signed by %q (%q)", res.Subject, res.Issuer)
		}
	})
}

// FuzzEntryDigest feeds arbitrary log entry bodies to consign's own entry
// parser, outside Verify's recover: it must return an error or a digest of
// its algorithm's size, and never panic.
func FuzzEntryDigest(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256","value":"a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}}}}`))
	f.Add([]byte(`{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{"hashedRekordV002":{"data":{"algorithm":"SHA2_256","digest":"oM/HEnHW4njlfNMy/5V8P3BD/do1TEy7GQow1W76Ab8="}}}}`))
	f.Add([]byte(`{"apiVersion":"0.0.1","kind":"dsse","spec":{"payloadHash":{"algorithm":"sha512","value":""}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, _, err := entryDigest(body)
		if err == nil && (d.hash == 0 || len(d.value) != d.hash.Size()) {
			t.Fatalf("entryDigest(%q) = %v with a %d-byte value", body, d.hash, len(d.value))
		}
		if err != nil && !errors.Is(err, ErrLogEntry) {
			t.Fatalf("entryDigest(%q) = %v, want ErrLogEntry", body, err)
		}
	})
}
