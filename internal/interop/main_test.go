package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/cli/syftgen"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// testPassword seals every encrypted key file the tests write.
const testPassword = "interop test password"

// TestMain keeps cosign's code off the network. With a key and no trusted
// root, cosign's verifiers first try to fetch Sigstore's TUF trusted root;
// pointing TUF_MIRROR at a mirror with no cached root.json (in an empty
// TUF_ROOT) makes that fail before any request is made, after which cosign
// carries on with the key alone, as it does offline. The proxy variables are a
// second fence: anything that still tried HTTP would fail at once, not reach
// the Internet. Passwords in the caller's environment are cleared so that
// every key is opened with the password the test gave it.
func TestMain(m *testing.M) {
	tufRoot, err := os.MkdirTemp("", "consign-interop-tuf-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	settings := map[string]string{
		"TUF_ROOT":    tufRoot,
		"TUF_MIRROR":  "http://127.0.0.1:9/no-tuf-mirror",
		"HTTPS_PROXY": "http://127.0.0.1:9",
		"HTTP_PROXY":  "http://127.0.0.1:9",
		"https_proxy": "http://127.0.0.1:9",
		"http_proxy":  "http://127.0.0.1:9",
	}
	for k, v := range settings {
		os.Setenv(k, v)
	}
	for _, k := range []string{"NO_PROXY", "no_proxy", "COSIGN_PASSWORD", "CONSIGN_PASSWORD", "SIGSTORE_ROOT_FILE",
		"SIGSTORE_REKOR_PUBLIC_KEY", "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", "SIGSTORE_TSA_CERTIFICATE_FILE", "TUF_ROOT_JSON"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	os.RemoveAll(tufRoot)
	os.Exit(code)
}

// keyFiles is a key pair written to disk: Priv is encrypted with testPassword
// in cosign's format, Pub is PKIX PEM.
type keyFiles struct {
	Priv, Pub string // paths
	Public    crypto.PublicKey
	Signer    *sign.Signer // nil for keys made by cosign
}

// consignKey makes a key with consign (sign.Generate) and writes it as
// consign keygen does.
func consignKey(t *testing.T, dir, name, alg string) keyFiles {
	t.Helper()
	key, err := sign.Generate(alg)
	if err != nil {
		t.Fatalf("sign.Generate(%q) = %v", alg, err)
	}
	privPEM, err := sign.MarshalPrivateKey(key, []byte(testPassword))
	if err != nil {
		t.Fatalf("sign.MarshalPrivateKey() = %v", err)
	}
	pubPEM, err := sign.MarshalPublicKey(key.Public())
	if err != nil {
		t.Fatalf("sign.MarshalPublicKey() = %v", err)
	}
	s, err := sign.NewSigner(key)
	if err != nil {
		t.Fatalf("sign.NewSigner() = %v", err)
	}
	kf := keyFiles{Priv: filepath.Join(dir, name+".key"), Pub: filepath.Join(dir, name+".pub"), Public: key.Public(), Signer: s}
	writeFile(t, kf.Priv, privPEM)
	writeFile(t, kf.Pub, pubPEM)
	return kf
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spkiID is the key id computed the way cosign and Sigstore do it, without
// consign's code: hex SHA-256 of the DER SubjectPublicKeyInfo.
func spkiID(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("x509.MarshalPKIXPublicKey(%T) = %v", pub, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// loadKeyring reads public key files with consign's parser.
func loadKeyring(t *testing.T, pubPaths ...string) *attest.Keyring {
	t.Helper()
	var keys []crypto.PublicKey
	for _, p := range pubPaths {
		pub, err := sign.ParsePublicKey(readFile(t, p))
		if err != nil {
			t.Fatalf("sign.ParsePublicKey(%s) = %v", p, err)
		}
		keys = append(keys, pub)
	}
	kr, err := attest.NewKeyring(keys...)
	if err != nil {
		t.Fatalf("attest.NewKeyring() = %v", err)
	}
	return kr
}

// fileDigest is what consign's --subject FILE computes: sha256 and sha512.
func fileDigest(t *testing.T, path string) digest.Set {
	t.Helper()
	d, err := digest.File(path, digest.SHA256, digest.SHA512)
	if err != nil {
		t.Fatalf("digest.File(%s) = %v", path, err)
	}
	return d
}

// readOne reads path with attest.Read and requires exactly one item of the
// given format, read without error.
func readOne(t *testing.T, path, wantFormat string) attest.Item {
	t.Helper()
	items, err := attest.Read(readFile(t, path), path)
	if err != nil {
		t.Fatalf("attest.Read(%s) = %v", filepath.Base(path), err)
	}
	if len(items) != 1 {
		t.Fatalf("attest.Read(%s) found %d items, want 1", filepath.Base(path), len(items))
	}
	it := items[0]
	if it.Err != nil {
		t.Fatalf("attest.Read(%s): item error %v", filepath.Base(path), it.Err)
	}
	if it.Format != wantFormat {
		t.Fatalf("attest.Read(%s) format = %q, want %q", filepath.Base(path), it.Format, wantFormat)
	}
	return it
}

// cliResult is what one in-process consign invocation did.
type cliResult struct {
	Code           int
	Stdout, Stderr string
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// runConsign runs consign's command tree in process, as cmd/consign-sbom
// does (with the SBOM generator), with no terminal and no password in the
// environment.
func runConsign(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	deps := &cli.Deps{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		LookupEnv: func(name string) (string, bool) {
			if name == "CONSIGN_PASSWORD" {
				return testPassword, true
			}
			return "", false
		},
		Now:             time.Now,
		StdinIsTerminal: func() bool { return false },
		ReadPassword:    func() ([]byte, error) { return nil, fmt.Errorf("no terminal in tests") },
		SBOM:            syftgen.Generator{},
	}
	code := cli.Run(context.Background(), deps, args)
	return cliResult{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// wantExit runs consign and checks its exit code.
func wantExit(t *testing.T, want int, args ...string) cliResult {
	t.Helper()
	r := runConsign(t, args...)
	if r.Code != want {
		t.Errorf("consign %s: exit %d, want %d\n%s", strings.Join(args, " "), r.Code, want, r)
	}
	return r
}

// tamperedCopy writes a copy of the file at path with one more byte.
func tamperedCopy(t *testing.T, path string) string {
	t.Helper()
	out := path + ".tampered"
	writeFile(t, out, append(readFile(t, path), '!'))
	return out
}
