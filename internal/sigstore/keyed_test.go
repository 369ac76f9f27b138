package sigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/verify"
)

// A key-signed DSSE bundle logged in a Rekor v1 log of the test's own: the
// log's key is in a trusted root the test writes, the entry (dsse v0.0.1)
// carries the log's signed entry timestamp, as the bundles cosign
// attest --key --new-bundle-format writes. The statement is the suite's
// SLSA provenance about d.txt, signed again with a functionary's key.

// testLog is a Rekor v1 log: its key and its trusted root.
type testLog struct {
	key  *ecdsa.PrivateKey
	id   []byte // SHA-256 of the key's DER SPKI
	root []byte // a trusted_root.json naming the log only
}

func newTestLog(t *testing.T) *testLog {
	t.Helper()
	l := &testLog{key: newP256(t)}
	der, err := x509.MarshalPKIXPublicKey(l.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	l.id = sum[:]
	l.root = []byte(fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
"tlogs":[{"baseUrl":"https://rekor.test","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":%q,"keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2020-01-01T00:00:00Z"}},"logId":{"keyId":%q}}],
"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}`, base64.StdEncoding.EncodeToString(der), base64.StdEncoding.EncodeToString(l.id)))
	return l
}

// keyedBundle signs payload with fn and logs it in l at the given time,
// returning the Sigstore bundle (v0.1: a signed entry timestamp, no
// inclusion proof). edit, when set, changes the bundle's JSON before it
// is encoded.
func (l *testLog) keyedBundle(t *testing.T, fn *testkey.Key, payload []byte, at time.Time, edit func(b map[string]any)) []byte {
	t.Helper()
	env, err := attest.SignPayload(attest.PayloadType, payload, fn.Signer)
	if err != nil {
		t.Fatal(err)
	}
	envJSON, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(fn.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	body, err := json.Marshal(map[string]any{"apiVersion": "0.0.1", "kind": "dsse", "spec": map[string]any{
		"envelopeHash": map[string]string{"algorithm": "sha256", "value": hexSum(envJSON)},
		"payloadHash":  map[string]string{"algorithm": "sha256", "value": hexSum(payload)},
		"signatures":   []map[string]string{{"signature": base64.StdEncoding.EncodeToString(env.Signatures[0].Sig), "verifier": base64.StdEncoding.EncodeToString(pubPEM)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	const logIndex = 7
	set, err := json.Marshal(map[string]any{"body": base64.StdEncoding.EncodeToString(body), "integratedTime": at.Unix(), "logID": hex.EncodeToString(l.id), "logIndex": logIndex})
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal sorts a map's keys, and nothing here needs escaping:
	// set is already the canonical JSON (RFC 8785) Rekor signs.
	h := sha256.Sum256(set)
	setSig, err := ecdsa.SignASN1(rand.Reader, l.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	var envMap map[string]any
	if err := json.Unmarshal(envJSON, &envMap); err != nil {
		t.Fatal(err)
	}
	b := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
		"verificationMaterial": map[string]any{
			"publicKey": map[string]any{"hint": fn.ID()},
			"tlogEntries": []any{map[string]any{
				"logIndex": strconv.Itoa(logIndex), "logId": map[string]any{"keyId": base64.StdEncoding.EncodeToString(l.id)},
				"kindVersion": map[string]any{"kind": "dsse", "version": "0.0.1"}, "integratedTime": strconv.FormatInt(at.Unix(), 10),
				"inclusionPromise":  map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(setSig)},
				"canonicalizedBody": base64.StdEncoding.EncodeToString(body),
			}},
		},
		"dsseEnvelope": envMap,
	}
	if edit != nil {
		edit(b)
	}
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keyedPolicy is a release policy whose intake stage is signed by the
// functionary's key; roots is its trusted_roots block ("" for none).
func keyedPolicy(owner, fn *testkey.Key, roots string) string {
	return fmt.Sprintf(`product: acme
expires: 2030-01-01T00:00:00Z
owner: {key: %s}
%sfunctionaries:
  builder: {keys: [%s]}
stages:
  - name: intake
    by: [builder]
    require: [slsa]
`, strconv.Quote(owner.PEM), roots, strconv.Quote(fn.PEM))
}

func verifyKeyed(t *testing.T, owner *testkey.Key, pol string, given [][]byte, bv verify.BundleVerifier, bundles ...[]byte) *verify.Result {
	t.Helper()
	cfg := verify.Config{Policy: signedPolicy(t, owner, pol), PolicyName: "policy", TrustRoots: []crypto.PublicKey{owner.Public()},
		Artifacts: []verify.Artifact{{Name: "d.txt", Digest: digest.Set{digest.SHA256: dTxtSHA256}}},
		Now:       func() time.Time { return policyNow }, Bundles: bv, TrustedRoots: given}
	for i, b := range bundles {
		cfg.Attestations = append(cfg.Attestations, verify.Input{Name: fmt.Sprintf("b%d.sigstore.json", i), Data: b})
	}
	res, err := verify.Verify(t.Context(), cfg)
	if err != nil {
		t.Fatalf("verify.Verify: %v", err)
	}
	return res
}

// suitePayload is the DSSE payload of the suite's custom trust root case:
// a SLSA provenance about d.txt.
func suitePayload(t *testing.T) []byte {
	t.Helper()
	var b struct {
		DSSEEnvelope struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(loadCase(t, customCase).bundle, &b); err != nil || len(b.DSSEEnvelope.Payload) == 0 {
		t.Fatalf("reading the suite's payload: %v", err)
	}
	return b.DSSEEnvelope.Payload
}

// TestPolicyKeyedBundleLogged: a bundle signed with a functionary's key
// counts when its transparency log entry verifies against the policy's
// trusted root, carried in the policy or given by digest.
func TestPolicyKeyedBundleLogged(t *testing.T) {
	owner, fn, log := testkey.New(t, "owner"), testkey.New(t, "builder"), newTestLog(t)
	b := log.keyedBundle(t, fn, suitePayload(t), policyNow.Add(-24*time.Hour), nil)
	for name, tt := range map[string]struct {
		roots string
		given [][]byte
	}{
		"carried":   {roots: "trusted_roots:\n  rekor: {root: " + strconv.Quote(string(log.root)) + "}\n"},
		"by digest": {roots: "trusted_roots:\n  rekor: {sha256: " + rootDigest(log.root) + "}\n", given: [][]byte{readFile(t, publicGood), log.root}},
	} {
		t.Run(name, func(t *testing.T) {
			res := verifyKeyed(t, owner, keyedPolicy(owner, fn, tt.roots), tt.given, PolicyVerifier{}, b)
			if !res.Passed {
				t.Fatalf("Verify() failed:\n%s", failures(res))
			}
			if s := res.Stages[0].Signers; len(s) != 1 || s[0].KeyID != fn.ID() {
				t.Errorf("stage signers = %+v, want the builder's key", s)
			}
		})
	}
}

// TestPolicyKeyedBundleFailClosed: a key-signed bundle whose log entry is
// missing, tampered with, from a log the trusted root does not name, or
// cannot be checked, counts for nothing, and the report says why.
func TestPolicyKeyedBundleFailClosed(t *testing.T) {
	owner, fn, log := testkey.New(t, "owner"), testkey.New(t, "builder"), newTestLog(t)
	payload := suitePayload(t)
	at := policyNow.Add(-24 * time.Hour)
	carried := "trusted_roots:\n  rekor: {root: " + strconv.Quote(string(log.root)) + "}\n"
	entry := func(b map[string]any) map[string]any {
		return b["verificationMaterial"].(map[string]any)["tlogEntries"].([]any)[0].(map[string]any)
	}
	flipB64 := func(s string) string {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 1
		return base64.StdEncoding.EncodeToString(raw)
	}
	other := testkey.New(t, "other")
	tests := []struct {
		name   string
		roots  string
		given  [][]byte
		bv     verify.BundleVerifier
		bundle []byte
		want   string
	}{
		{name: "no log entry", roots: carried, bundle: log.keyedBundle(t, fn, payload, at, func(b map[string]any) {
			b["verificationMaterial"].(map[string]any)["tlogEntries"] = []any{}
		}), want: "transparency log entry is not verified: trusted root rekor: "},
		{name: "signed entry timestamp flipped", roots: carried, bundle: log.keyedBundle(t, fn, payload, at, func(b map[string]any) {
			p := entry(b)["inclusionPromise"].(map[string]any)
			p["signedEntryTimestamp"] = flipB64(p["signedEntryTimestamp"].(string))
		}), want: "not enough verified log entries"},
		{name: "integrated time changed", roots: carried, bundle: log.keyedBundle(t, fn, payload, at, func(b map[string]any) {
			entry(b)["integratedTime"] = strconv.FormatInt(at.Unix()-1, 10)
		}), want: "not enough verified log entries"},
		{name: "entry for another payload", roots: carried, bundle: func() []byte {
			logged := log.keyedBundle(t, fn, []byte(strings.Replace(string(payload), "d.txt", "e.txt", 1)), at, nil)
			fresh := log.keyedBundle(t, fn, payload, at, nil)
			var l, f map[string]any
			if json.Unmarshal(logged, &l) != nil || json.Unmarshal(fresh, &f) != nil {
				t.Fatal("bundle JSON")
			}
			f["verificationMaterial"] = l["verificationMaterial"]
			out, _ := json.Marshal(f)
			return out
		}(), want: "transparency log entry is not verified"},
		{name: "logged by a log the root does not name", roots: "trusted_roots:\n  rekor: {root: " + strconv.Quote(string(newTestLog(t).root)) + "}\n",
			bundle: log.keyedBundle(t, fn, payload, at, nil), want: "not enough verified log entries"},
		{name: "another instance's root", roots: "trusted_roots:\n  rekor: {root: " + strconv.Quote(string(readFile(t, publicGood))) + "}\n",
			bundle: log.keyedBundle(t, fn, payload, at, nil), want: "trusted root rekor: "},
		{name: "no trusted root in the policy", bundle: log.keyedBundle(t, fn, payload, at, nil), want: "the policy names no trusted root"},
		{name: "root named by digest not given", roots: "trusted_roots:\n  rekor: {sha256: " + rootDigest(log.root) + "}\n",
			bundle: log.keyedBundle(t, fn, payload, at, nil), want: "was not given"},
		{name: "no bundle verifier", roots: carried, bv: nilVerifier{}, bundle: log.keyedBundle(t, fn, payload, at, nil), want: "Sigstore bundles are not verified here"},
		{name: "logged entry by another key", roots: carried, bundle: func() []byte {
			// The envelope is the builder's, the log entry names other's key.
			logged := log.keyedBundle(t, other, payload, at, nil)
			fresh := log.keyedBundle(t, fn, payload, at, nil)
			var l, f map[string]any
			if json.Unmarshal(logged, &l) != nil || json.Unmarshal(fresh, &f) != nil {
				t.Fatal("bundle JSON")
			}
			f["verificationMaterial"].(map[string]any)["tlogEntries"] = l["verificationMaterial"].(map[string]any)["tlogEntries"]
			out, _ := json.Marshal(f)
			return out
		}(), want: "transparency log entry is not verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bv verify.BundleVerifier = PolicyVerifier{}
			if _, ok := tt.bv.(nilVerifier); ok {
				bv = nil
			}
			res := verifyKeyed(t, owner, keyedPolicy(owner, fn, tt.roots), tt.given, bv, tt.bundle)
			if res.Passed {
				t.Fatalf("Verify() passed, want the bundle refused with %q", tt.want)
			}
			if got := failures(res); !strings.Contains(got, tt.want) || !strings.Contains(got, "stage intake") {
				t.Errorf("Verify() failures:\n%s\nwant the intake stage failed and a reason containing %q", got, tt.want)
			}
		})
	}
}

// nilVerifier marks the case where the caller gives no bundle verifier.
type nilVerifier struct{ verify.BundleVerifier }
