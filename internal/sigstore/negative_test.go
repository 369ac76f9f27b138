package sigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"golang.org/x/mod/sumdb/note"
)

// Negative fixtures made from the suite's genuine bundles and trusted
// roots: each changes one thing an attacker controls (or one thing the
// verifier's owner got wrong) and must fail closed.

func spki(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func newP256(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// resignCheckpoint replaces the log's signature on a Rekor v2 checkpoint
// with one by a new key under the same log name; with sameHint, the new
// signature carries the trusted key's 4-byte key hint.
func resignCheckpoint(t *testing.T, envelope string, sameHint bool) string {
	t.Helper()
	body, sigs, ok := strings.Cut(envelope, "\n\n")
	if !ok {
		t.Fatalf("checkpoint %q has no signature block", envelope)
	}
	name := strings.SplitN(body, "\n", 2)[0]
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := note.Sign(&note.Note{Text: body + "\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if !sameHint {
		return string(signed)
	}
	// "— name base64(hint || signature)": put the trusted key's hint on
	// the forged signature.
	oldSig := strings.Fields(strings.Split(sigs, "\n")[0])[2]
	old, err := base64.StdEncoding.DecodeString(oldSig)
	if err != nil {
		t.Fatal(err)
	}
	text, sigBlock, _ := strings.Cut(string(signed), "\n\n")
	f := strings.Fields(strings.TrimSpace(sigBlock))
	forged, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		t.Fatal(err)
	}
	copy(forged[:4], old[:4])
	return fmt.Sprintf("%s\n\n— %s %s\n", text, f[1], base64.StdEncoding.EncodeToString(forged))
}

func TestVerifyNegative(t *testing.T) {
	tests := []struct {
		name string
		base string
		// edit changes the fixture; the identity is the beacon's
		edit func(t *testing.T, f *fixture)
		want error
	}{
		{"Rekor v2 checkpoint signed by an unknown key", "rekor2-happy-path", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				cp := get(m, "verificationMaterial", "tlogEntries", 0, "inclusionProof", "checkpoint").(map[string]any)
				cp["envelope"] = resignCheckpoint(t, cp["envelope"].(string), false)
			})
		}, ErrUnverified},
		{"Rekor v2 checkpoint signed by an unknown key with the log key's hint", "rekor2-happy-path", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				cp := get(m, "verificationMaterial", "tlogEntries", 0, "inclusionProof", "checkpoint").(map[string]any)
				cp["envelope"] = resignCheckpoint(t, cp["envelope"].(string), true)
			})
		}, ErrUnverified},
		{"Rekor v2 log key in the trusted root is another key under the same log id", "rekor2-happy-path", func(t *testing.T, f *fixture) {
			pub, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			f.root = editJSON(t, f.root, func(m map[string]any) {
				for _, l := range get(m, "tlogs").([]any) {
					if k := get(l, "publicKey").(map[string]any); k["keyDetails"] == "PKIX_ED25519" {
						k["rawBytes"] = spki(t, pub)
					}
				}
			})
		}, ErrUnverified},
		{"Rekor v1 bundle against another instance's trusted root", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			f.root = loadCase(t, "rekor2-happy-path").root
		}, ErrUnverified},
		{"SCT by an unknown CT log key under the trusted log id", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			f.root = editJSON(t, f.root, func(m map[string]any) {
				for _, l := range get(m, "ctlogs").([]any) {
					get(l, "publicKey").(map[string]any)["rawBytes"] = spki(t, newP256(t).Public())
				}
			})
		}, ErrUnverified},
		{"no CT log in the trusted root: an SCT is required", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			f.root = editJSON(t, f.root, func(m map[string]any) { delete(m, "ctlogs") })
		}, ErrUnverified},
		{"tampered SCT in the certificate", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				c := get(m, "verificationMaterial", "certificate").(map[string]any)
				der, err := base64.StdEncoding.DecodeString(c["rawBytes"].(string))
				if err != nil {
					t.Fatal(err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range cert.Extensions {
					if e.Id.String() == "1.3.6.1.4.1.11129.2.4.2" { // the SCT list
						i := bytes.Index(der, e.Value)
						der[i+len(e.Value)-1] ^= 1 // the last byte of the SCT's signature
					}
				}
				c["rawBytes"] = base64.StdEncoding.EncodeToString(der)
			})
		}, ErrUnverified},
		{"log entry of another bundle (CVE-2022-36056)", "happy-path-v0.2", func(t *testing.T, f *fixture) {
			other := loadCase(t, "happy-path-v0.3")
			var entries any
			editJSON(t, other.bundle, func(m map[string]any) { entries = get(m, "verificationMaterial", "tlogEntries") })
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				get(m, "verificationMaterial").(map[string]any)["tlogEntries"] = entries
			})
		}, ErrUnverified},
		{"a second log entry, for another artifact", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			var foreign any
			editJSON(t, loadCase(t, "rekor2-dsse-happy-path").bundle, func(m map[string]any) {
				foreign = get(m, "verificationMaterial", "tlogEntries", 0, "canonicalizedBody")
			})
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				vm := get(m, "verificationMaterial").(map[string]any)
				entries := vm["tlogEntries"].([]any)
				extra := map[string]any{}
				for k, v := range entries[0].(map[string]any) {
					extra[k] = v
				}
				extra["logIndex"] = "1"
				extra["canonicalizedBody"] = foreign
				vm["tlogEntries"] = append(entries, extra)
			})
		}, ErrLogEntry},
		{"DSSE payloadType changed after logging (Rekor v2)", "rekor2-dsse-happy-path", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				env := get(m, "dsseEnvelope").(map[string]any)
				env["payloadType"] = strings.TrimSuffix(env["payloadType"].(string), "n") + "N"
			})
		}, ErrLogEntry},
		{"DSSE payloadType changed after logging (Rekor v1)", "happy-path-intoto-in-dsse-v3", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				env := get(m, "dsseEnvelope").(map[string]any)
				env["payloadType"] = strings.TrimSuffix(env["payloadType"].(string), "n") + "N"
			})
		}, ErrUnverified},
		{"a timestamp that does not verify beside a good log time", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			var tsa any
			editJSON(t, loadCase(t, "rekor2-happy-path").bundle, func(m map[string]any) {
				tsa = get(m, "verificationMaterial", "timestampVerificationData")
			})
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				get(m, "verificationMaterial").(map[string]any)["timestampVerificationData"] = tsa
			})
		}, ErrUnverified},
		{"Rekor v2 inclusion proof claiming another tree size", "rekor2-happy-path", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				get(m, "verificationMaterial", "tlogEntries", 0, "inclusionProof").(map[string]any)["treeSize"] = "737"
			})
		}, ErrLogEntry},
		{"Rekor v2 inclusion proof claiming another leaf", "rekor2-happy-path", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				p := get(m, "verificationMaterial", "tlogEntries", 0, "inclusionProof").(map[string]any)
				p["logIndex"] = "0"
			})
		}, ErrLogEntry},
		{"33 log entries, over the limit", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				vm := get(m, "verificationMaterial").(map[string]any)
				entries := vm["tlogEntries"].([]any)
				for i := range maxEntries {
					extra := map[string]any{}
					for k, v := range entries[0].(map[string]any) {
						extra[k] = v
					}
					extra["logIndex"] = fmt.Sprint(i)
					entries = append(entries, extra)
				}
				vm["tlogEntries"] = entries
			})
		}, ErrUnverified},
		{"message digest of another artifact", "happy-path-v0.3", func(t *testing.T, f *fixture) {
			sum := sha256.Sum256([]byte("another artifact"))
			f.bundle = editJSON(t, f.bundle, func(m map[string]any) {
				get(m, "messageSignature", "messageDigest").(map[string]any)["digest"] = base64.StdEncoding.EncodeToString(sum[:])
			})
		}, ErrLogEntry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := loadCase(t, tt.base)
			if _, err := Verify(f.config(beaconIdentity())); err != nil {
				t.Fatalf("the unchanged %s does not verify: %v", tt.base, err)
			}
			tt.edit(t, &f)
			for _, digestMode := range []bool{false, true} {
				cfg := f.config(beaconIdentity())
				if digestMode {
					sum := sha256.Sum256(f.artifact)
					cfg.Artifact, cfg.Digest = nil, sum[:]
				}
				res, err := Verify(cfg)
				if !errors.Is(err, tt.want) || res != nil {
					t.Errorf("Verify(digest mode %v) = %+v, %v; want %v", digestMode, res, err, tt.want)
				}
			}
		})
	}
}

// TestVerifyHostileInput feeds bundles that are well-formed JSON but not
// well-formed bundles, the inputs that made other verifiers panic
// (security cases 10, 11 in docs/security.md): each is an error, never a panic or a pass.
func TestVerifyHostileInput(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3")
	const v3 = `"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"`
	bundles := []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"signatures":[null]}`,
		`{` + v3 + `}`,
		`{` + v3 + `,"verificationMaterial":null}`,
		`{` + v3 + `,"verificationMaterial":{"certificate":{"rawBytes":""},"tlogEntries":[]},"messageSignature":{"signature":""}}`,
		`{` + v3 + `,"verificationMaterial":{"certificate":{"rawBytes":""},"tlogEntries":[null]},"messageSignature":{}}`,
		`{` + v3 + `,"verificationMaterial":{"x509CertificateChain":{"certificates":[]}},"dsseEnvelope":{"payload":"","payloadType":"","signatures":[]}}`,
		`{` + v3 + `,"verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"","payloadType":"","signatures":[{}]}}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.0"}`,
	}
	for _, b := range bundles {
		cfg := f.config(beaconIdentity())
		cfg.Bundle = []byte(b)
		res, err := Verify(cfg)
		if err == nil || res != nil {
			t.Errorf("Verify(%s) = %+v, %v; want an error", b, res, err)
		}
	}
	for _, root := range []string{`{}`, `null`, `{"tlogs":[null]}`, `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{}]}`} {
		cfg := f.config(beaconIdentity())
		cfg.TrustedRoot = []byte(root)
		if res, err := Verify(cfg); err == nil || res != nil {
			t.Errorf("Verify(trusted root %s) = %+v, %v; want an error", root, res, err)
		}
	}
}

// TestCheckArtifact covers the last binding check on its own: sigstore-go
// has verified the signature over the artifact it read, and the digest
// consign computed of that same stream must be the one the log committed to.
func TestCheckArtifact(t *testing.T) {
	data := []byte("artifact")
	sum := sha256.Sum256(data)
	want := &logged{crypto.SHA256, sum[:]}
	h := newArtifactHasher(bytes.NewReader(data), crypto.SHA256)
	if _, err := h.Read(make([]byte, 3)); err != nil { // sigstore-go read part of it
		t.Fatal(err)
	}
	got, err := h.sum()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkArtifact(want, got); err != nil {
		t.Errorf("checkArtifact(same artifact) = %v", err)
	}
	h = newArtifactHasher(bytes.NewReader([]byte("another")), crypto.SHA256)
	if got, err = h.sum(); err != nil {
		t.Fatal(err)
	}
	if err := checkArtifact(want, got); !errors.Is(err, ErrUnverified) {
		t.Errorf("checkArtifact(another artifact) = %v, want ErrUnverified", err)
	}
}

// TestVerifyMangled flips every byte, one at a time, of the fields an
// attacker can rewrite without breaking the JSON: the signature, the
// message digest, the signed entry timestamp, an inclusion proof hash and a
// Rekor v2 checkpoint's signature. Every mangled bundle must fail.
func TestVerifyMangled(t *testing.T) {
	tests := []struct {
		base string
		path []any
	}{
		{"happy-path-v0.3", []any{"messageSignature", "signature"}},
		{"happy-path-v0.3", []any{"messageSignature", "messageDigest", "digest"}},
		{"happy-path-v0.3", []any{"verificationMaterial", "tlogEntries", 0, "inclusionPromise", "signedEntryTimestamp"}},
		{"happy-path-v0.3", []any{"verificationMaterial", "tlogEntries", 0, "inclusionProof", "hashes", 0}},
		{"rekor2-dsse-happy-path", []any{"dsseEnvelope", "signatures", 0, "sig"}},
		{"rekor2-happy-path", []any{"verificationMaterial", "tlogEntries", 0, "inclusionProof", "rootHash"}},
	}
	for _, tt := range tests {
		f := loadCase(t, tt.base)
		var orig string
		editJSON(t, f.bundle, func(m map[string]any) { orig = get(m, tt.path...).(string) })
		raw, err := base64.StdEncoding.DecodeString(orig)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.base, tt.path, err)
		}
		for i := range raw {
			mangled := bytes.Clone(raw)
			mangled[i]++
			parent, last := tt.path[:len(tt.path)-1], tt.path[len(tt.path)-1]
			cfg := f.config(beaconIdentity())
			cfg.Bundle = editJSON(t, f.bundle, func(m map[string]any) {
				enc := base64.StdEncoding.EncodeToString(mangled)
				switch p := get(m, parent...).(type) {
				case map[string]any:
					p[last.(string)] = enc
				case []any:
					p[last.(int)] = enc
				}
			})
			if res, err := Verify(cfg); err == nil || res != nil {
				t.Errorf("%s: %v byte %d + 1 verified", tt.base, tt.path, i)
			}
		}
	}
}

// TestBindEntriesLimit checks consign's own cap on log entries, which runs
// before any entry body is parsed.
func TestBindEntriesLimit(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3")
	for _, n := range []int{maxEntries, maxEntries + 1} {
		data := editJSON(t, f.bundle, func(m map[string]any) {
			vm := get(m, "verificationMaterial").(map[string]any)
			one := vm["tlogEntries"].([]any)[0]
			entries := make([]any, n)
			for i := range entries {
				entries[i] = one
			}
			vm["tlogEntries"] = entries
		})
		b := new(bundle.Bundle)
		if err := b.UnmarshalJSON(data); err != nil {
			t.Fatal(err)
		}
		_, err := bindEntries(b)
		if got, want := err != nil, n > maxEntries; got != want {
			t.Errorf("bindEntries(%d entries) = %v, want an error: %v", n, err, want)
		}
	}
}
