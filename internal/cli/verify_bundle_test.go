package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/cli"
)

// The sigstore-conformance suite's defaults for a case that names no
// identity, issuer or trusted root (test/client.py, test/assets/bundle-verify/README.md).
const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
	conformanceDir      = "../../testdata/sigstore-conformance"
	// publicGoodRoot stands in for "the Sigstore public good production
	// instance", which the suite's clients fetch through TUF.
	publicGoodRoot = "../../testdata/sigstore/public-good.trusted_root.json"
)

// malformedInput lists the failing cases whose input does not parse (a
// bundle, trusted root or key that is not one): consign exits 1 for them,
// "bad input", and 3 ("verified, and the answer is no") for every other
// failing case.
var malformedInput = map[string]bool{
	"bundle-empty-certificate-chain_fail":         true, // its inclusion proof has no checkpoint
	"bundle-invalid-base64-signature_fail":        true,
	"bundle-malformed-json_fail":                  true,
	"bundle-negative-log-index_fail":              true,
	"bundle-unknown-version_fail":                 true,
	"bundle-with-root-cert_fail":                  true, // its inclusion proof has no checkpoint
	"incorrect-public-key_fail":                   true, // the log entry's body does not validate
	"intoto-log-entry-mismatch_fail":              true, // the log entry's body does not validate
	"intoto-missing-inclusion-proof_fail":         true,
	"invalid-inclusion-proof_fail":                true, // its inclusion proof has no checkpoint
	"managed-key-wrong-key_fail":                  true, // key.pub is not a P-256 point
	"rekor2-no-inclusion-proof_fail":              true,
	"rekor2-timestamp-with-incorrect-time_fail":   true, // the timestamp is not base64
	"trust-root-tlog-missing-validity-start_fail": true,
}

// conformanceArgs builds the verify-bundle command line the suite's harness
// builds (test/client.py build_verify_args) for one case directory.
func conformanceArgs(t *testing.T, dir string, digestMode bool) []string {
	t.Helper()
	args := []string{"verify-bundle", "--bundle", filepath.Join(dir, "bundle.sigstore.json")}
	if key := filepath.Join(dir, "key.pub"); exists(key) {
		args = append(args, "--key", key)
	} else {
		args = append(args, "--certificate-identity", caseValue(t, dir, "identity", conformanceIdentity),
			"--certificate-oidc-issuer", caseValue(t, dir, "issuer", conformanceIssuer))
	}
	root := filepath.Join(dir, "trusted_root.json")
	if !exists(root) {
		root = publicGoodRoot
	}
	args = append(args, "--trusted-root", root)
	artifact := filepath.Join(dir, "artifact")
	if !exists(artifact) {
		artifact = filepath.Join(conformanceDir, "a.txt")
	}
	if digestMode {
		data, err := os.ReadFile(artifact)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		return append(args, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return append(args, artifact)
}

func caseValue(t *testing.T, dir, name, def string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		return def
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func runConsign(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestSigstoreConformance runs consign verify-bundle on every bundle-verify
// case of the sigstore-conformance suite, with the artifact's path and with
// its digest, and checks the suite's verdict: a case whose name ends in
// _fail must fail, every other must verify.
func TestSigstoreConformance(t *testing.T) {
	entries, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases, pass, fail int
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cases++
		dir := filepath.Join(conformanceDir, e.Name())
		wantFail := strings.HasSuffix(e.Name(), "_fail")
		for _, mode := range []string{"path", "digest"} {
			t.Run(e.Name()+"/"+mode, func(t *testing.T) {
				code, stdout, stderr := runConsign(conformanceArgs(t, dir, mode == "digest")...)
				switch {
				case !wantFail && code != cli.ExitOK:
					t.Errorf("exit %d, want 0 (the suite's verdict: verifies)\n%s", code, stderr)
				case wantFail && malformedInput[e.Name()] && code != cli.ExitError:
					t.Errorf("exit %d, want %d (malformed input)\n%s%s", code, cli.ExitError, stdout, stderr)
				case wantFail && !malformedInput[e.Name()] && code != cli.ExitVerifyNo:
					t.Errorf("exit %d, want %d (the suite's verdict: fails)\n%s%s", code, cli.ExitVerifyNo, stdout, stderr)
				case wantFail && strings.Contains(stdout, "Verified OK"):
					t.Errorf("a failing case printed %q", stdout)
				}
			})
		}
		if wantFail {
			fail++
		} else {
			pass++
		}
	}
	if cases < 70 {
		t.Errorf("found %d conformance cases in %s, want the suite's 70", cases, conformanceDir)
	}
	t.Logf("sigstore-conformance bundle-verify: %d cases (%d must verify, %d must fail), each run as a path and as a digest: %d runs",
		cases, pass, fail, 2*cases)
}
