package oci_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
)

const containerLayout = "../../testdata/slsa-verifier/gha_generic_container/v2.1.0/container_workflow_dispatch"

// copyLayout copies the v2.1.0 container generator layout into a
// temporary directory for a test to damage.
func copyLayout(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(containerLayout, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(containerLayout, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestReadLayout reads slsa-verifier's container image as cosign saved
// it, and its attestation as a Sigstore bundle that verifies.
func TestReadLayout(t *testing.T) {
	if !oci.IsLayout(containerLayout) || oci.IsLayout(t.TempDir()) {
		t.Fatal("IsLayout")
	}
	img, atts, err := oci.ReadLayout(containerLayout)
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest.Hex != "234e2c830c2fb31ac5671789d22adfe44d30c3ee831d01beae5e237841a13122" || len(atts) != 1 || atts[0].Kind != oci.KindAttestation {
		t.Fatalf("image %s, %d attachments", img.Digest, len(atts))
	}
	b, err := atts[0].CosignBundle()
	if err != nil {
		t.Fatal(err)
	}
	root := readTestdata(t, "sigstore/public-good.trusted_root.json")
	id := &sigstore.Identity{SubjectRegexp: "https://github.com/slsa-framework/slsa-github-generator/.+", Issuer: actions}
	d, err := hex.DecodeString(img.Digest.Hex)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sigstore.Verify(sigstore.Config{Bundle: b, TrustedRoot: root, Identity: id, Digest: d}); err != nil {
		t.Fatalf("the rewritten bundle: %v", err)
	}

	// The annotations are not trusted: a signed entry timestamp or a
	// certificate changed, or a log entry of another attestation, fail.
	for name, edit := range map[string]func(a map[string]string){
		"SET changed": func(a map[string]string) {
			a[oci.RekorBundleAnnotation] = strings.Replace(a[oci.RekorBundleAnnotation], `"SignedEntryTimestamp":"ME`, `"SignedEntryTimestamp":"MF`, 1)
		},
		"integrated time changed": func(a map[string]string) {
			var r map[string]any
			json.Unmarshal([]byte(a[oci.RekorBundleAnnotation]), &r)
			p := r["Payload"].(map[string]any)
			p["integratedTime"] = p["integratedTime"].(float64) + 1
			nb, _ := json.Marshal(r)
			a[oci.RekorBundleAnnotation] = string(nb)
		},
		"certificate of another signer": func(a map[string]string) {
			_, oatts, err := oci.ReadLayout(strings.Replace(containerLayout, "v2.1.0", "v2.0.0", 1))
			if err != nil {
				t.Fatal(err)
			}
			a[oci.CertificateAnnotation] = oatts[0].Annotations[oci.CertificateAnnotation]
		},
	} {
		a := atts[0]
		a.Annotations = map[string]string{}
		for k, v := range atts[0].Annotations {
			a.Annotations[k] = v
		}
		edit(a.Annotations)
		b, err := a.CosignBundle()
		if err == nil {
			_, err = sigstore.Verify(sigstore.Config{Bundle: b, TrustedRoot: root, Identity: id, Digest: d})
		}
		if err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	a := atts[0]
	a.Annotations = map[string]string{oci.CertificateAnnotation: atts[0].Annotations[oci.CertificateAnnotation]}
	if _, err := a.CosignBundle(); !errors.Is(err, oci.ErrNoLogEntry) {
		t.Errorf("no Rekor annotation: %v, want %v", err, oci.ErrNoLogEntry)
	}
	a = atts[0]
	a.Payload = []byte(`{"payloadType":"x"}`)
	if _, err := a.CosignBundle(); !errors.Is(err, oci.ErrMalformed) {
		t.Errorf("envelope without signatures: %v, want %v", err, oci.ErrMalformed)
	}
}

// TestReadLayoutDamaged: a layout whose files do not hash to their names,
// are missing, or name a digest that is no sha256 file name, is refused.
func TestReadLayoutDamaged(t *testing.T) {
	blob := "blobs/sha256/e163b472f2e5d66e5a2a45e26e020c51a0d2da7dc8b567b31fc2ebfd33dbc33a"
	for name, tc := range map[string]struct {
		damage func(dir string)
		want   error
	}{
		"a layer changed": {func(dir string) {
			os.WriteFile(filepath.Join(dir, blob), []byte(`{"payloadType":"x","payload":"","signatures":[]}`), 0o644)
		}, oci.ErrDigestMismatch},
		"a layer missing": {func(dir string) { os.Remove(filepath.Join(dir, blob)) }, oci.ErrLayout},
		"a digest that climbs out": {func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "index.json"))
			os.WriteFile(filepath.Join(dir, "index.json"), []byte(strings.Replace(string(b), "sha256:234e2c83", "sha256:../../234e2c83", 1)), 0o644)
		}, oci.ErrLayout},
		"no index": {func(dir string) { os.Remove(filepath.Join(dir, "index.json")) }, oci.ErrLayout},
		"no image": {func(dir string) {
			os.WriteFile(filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644)
		}, oci.ErrLayout},
	} {
		dir := copyLayout(t)
		tc.damage(dir)
		if _, _, err := oci.ReadLayout(dir); !errors.Is(err, tc.want) {
			t.Errorf("%s: ReadLayout() = %v, want %v", name, err, tc.want)
		}
	}
}

// TestCosignBundleIntotoV001: attestations cosign logged as Rekor intoto
// v0.0.1 entries (the container generator up to v1.9.0) verify through
// package sigstore's own check of that kind; every part of them counts.
func TestCosignBundleIntotoV001(t *testing.T) {
	root := readTestdata(t, "sigstore/public-good.trusted_root.json")
	id := &sigstore.Identity{SubjectRegexp: "https://github.com/slsa-framework/slsa-github-generator/.+", Issuer: actions}
	layout := func(v string) (*oci.Image, oci.Attachment, []byte) {
		img, atts, err := oci.ReadLayout(strings.Replace(containerLayout, "v2.1.0", v, 1))
		if err != nil || len(atts) != 1 {
			t.Fatalf("%s: %v", v, err)
		}
		d, _ := hex.DecodeString(img.Digest.Hex)
		return img, atts[0], d
	}
	verify := func(a oci.Attachment, d []byte, id *sigstore.Identity) error {
		b, err := a.CosignBundle()
		if err != nil {
			return err
		}
		_, err = sigstore.Verify(sigstore.Config{Bundle: b, TrustedRoot: root, Identity: id, Digest: d})
		return err
	}
	_, a, d := layout("v1.9.0")
	_, old, oldDigest := layout("v1.4.0")
	for _, c := range []struct {
		a oci.Attachment
		d []byte
	}{{a, d}, {old, oldDigest}} {
		if err := verify(c.a, c.d, id); err != nil {
			t.Fatalf("untouched: %v", err)
		}
	}
	withAnn := func(k, v string) oci.Attachment {
		c := a
		c.Annotations = map[string]string{}
		for x, y := range a.Annotations {
			c.Annotations[x] = y
		}
		c.Annotations[k] = v
		return c
	}
	rb := a.Annotations[oci.RekorBundleAnnotation]
	var r map[string]any
	if err := json.Unmarshal([]byte(rb), &r); err != nil {
		t.Fatal(err)
	}
	edited := func(f func(p map[string]any)) string {
		var c map[string]any
		json.Unmarshal([]byte(rb), &c)
		f(c["Payload"].(map[string]any))
		b, _ := json.Marshal(c)
		return string(b)
	}
	payloadChanged := a
	payloadChanged.Payload = []byte(strings.Replace(string(a.Payload), `"payload":"ey`, `"payload":"ez`, 1))
	for name, tc := range map[string]struct {
		a  oci.Attachment
		d  []byte
		id *sigstore.Identity
	}{
		"SET changed":             {withAnn(oci.RekorBundleAnnotation, strings.Replace(rb, `"SignedEntryTimestamp":"ME`, `"SignedEntryTimestamp":"MF`, 1)), d, id},
		"integrated time changed": {withAnn(oci.RekorBundleAnnotation, edited(func(p map[string]any) { p["integratedTime"] = p["integratedTime"].(float64) + 1 })), d, id},
		"log index changed":       {withAnn(oci.RekorBundleAnnotation, edited(func(p map[string]any) { p["logIndex"] = p["logIndex"].(float64) + 1 })), d, id},
		"unknown log":             {withAnn(oci.RekorBundleAnnotation, edited(func(p map[string]any) { p["logID"] = strings.Repeat("ab", 32) })), d, id},
		"another entry":           {withAnn(oci.RekorBundleAnnotation, old.Annotations[oci.RekorBundleAnnotation]), d, id},
		"another certificate":     {withAnn(oci.CertificateAnnotation, old.Annotations[oci.CertificateAnnotation]), d, id},
		"payload changed":         {payloadChanged, d, id},
		"another image":           {a, oldDigest, id},
		"another signer":          {a, d, &sigstore.Identity{SubjectRegexp: "https://github.com/acme/.+", Issuer: actions}},
	} {
		err := verify(tc.a, tc.d, tc.id)
		if err == nil {
			t.Errorf("%s: verified", name)
		}
		t.Logf("%s: %v", name, err)
	}
}

// TestIntotoV001BundleEdits: edits to a bundle holding a Rekor intoto
// v0.0.1 entry that its signed entry timestamp does not cover are each
// refused: evidence the path does not read (an inclusion proof, an RFC 3161
// timestamp) does not ride along unchecked, and a second signature, a
// missing signed entry timestamp, a kind or bundle version other than the
// entry's, the certificate moved down the chain, or a log not trusted at
// the integrated time do not verify.
func TestIntotoV001BundleEdits(t *testing.T) {
	root := readTestdata(t, "sigstore/public-good.trusted_root.json")
	id := &sigstore.Identity{SubjectRegexp: "https://github.com/slsa-framework/slsa-github-generator/.+", Issuer: actions}
	img, atts, err := oci.ReadLayout(strings.Replace(containerLayout, "v2.1.0", "v1.9.0", 1))
	if err != nil || len(atts) != 1 {
		t.Fatal(err)
	}
	_, old, err := oci.ReadLayout(strings.Replace(containerLayout, "v2.1.0", "v1.4.0", 1))
	if err != nil || len(old) != 1 {
		t.Fatal(err)
	}
	d, _ := hex.DecodeString(img.Digest.Hex)
	b, err := atts[0].CosignBundle()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sigstore.Verify(sigstore.Config{Bundle: b, TrustedRoot: root, Identity: id, Digest: d}); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	ob, err := old[0].CosignBundle()
	if err != nil {
		t.Fatal(err)
	}
	var oldBundle map[string]any
	if err := json.Unmarshal(ob, &oldBundle); err != nil {
		t.Fatal(err)
	}
	otherCert := oldBundle["verificationMaterial"].(map[string]any)["x509CertificateChain"].(map[string]any)["certificates"].([]any)[0]
	edit := func(f func(m, vm, e map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		vm := m["verificationMaterial"].(map[string]any)
		f(m, vm, vm["tlogEntries"].([]any)[0].(map[string]any))
		out, _ := json.Marshal(m)
		return out
	}
	for name, bad := range map[string][]byte{
		"inclusion proof": edit(func(_, _, e map[string]any) {
			e["inclusionProof"] = map[string]any{
				"logIndex": e["logIndex"], "treeSize": "99999999999",
				"rootHash": strings.Repeat("A", 43) + "=", "hashes": []string{strings.Repeat("B", 43) + "="},
				"checkpoint": map[string]any{"envelope": "rekor.sigstore.dev - 2605736670972794746\n99999999999\nAAAA\n\n— rekor.sigstore.dev wNI9ajBFAiEA\n"},
			}
		}),
		"RFC 3161 timestamp": edit(func(_, vm, _ map[string]any) {
			vm["timestampVerificationData"] = map[string]any{"rfc3161Timestamps": []any{map[string]any{"signedTimestamp": "MAA="}}}
		}),
		"two DSSE signatures": edit(func(m, _, _ map[string]any) {
			env := m["dsseEnvelope"].(map[string]any)
			sigs := env["signatures"].([]any)
			env["signatures"] = append(sigs, sigs[0])
		}),
		"no signed entry timestamp": edit(func(_, _, e map[string]any) { delete(e, "inclusionPromise") }),
		"kind said to be intoto v0.0.2": edit(func(_, _, e map[string]any) {
			e["kindVersion"] = map[string]any{"kind": "intoto", "version": "0.0.2"}
		}),
		"kind said to be dsse": edit(func(_, _, e map[string]any) {
			e["kindVersion"] = map[string]any{"kind": "dsse", "version": "0.0.1"}
		}),
		"bundle v0.3": edit(func(m, _, _ map[string]any) { m["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.3+json" }),
		"certificate second in the chain": edit(func(_, vm, _ map[string]any) {
			c := vm["x509CertificateChain"].(map[string]any)
			c["certificates"] = append([]any{otherCert}, c["certificates"].([]any)...)
		}),
	} {
		if _, err := sigstore.Verify(sigstore.Config{Bundle: bad, TrustedRoot: root, Identity: id, Digest: d}); err == nil {
			t.Errorf("%s: verified", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// The logs of the trusted root trusted only before, or only after, the
	// entry's integrated time.
	for name, validFor := range map[string]map[string]any{
		"log trusted only before": {"start": "2015-01-01T00:00:00Z", "end": "2016-01-01T00:00:00Z"},
		"log trusted only after":  {"start": "2099-01-01T00:00:00Z"},
	} {
		var tr map[string]any
		if err := json.Unmarshal(root, &tr); err != nil {
			t.Fatal(err)
		}
		for _, l := range tr["tlogs"].([]any) {
			l.(map[string]any)["publicKey"].(map[string]any)["validFor"] = validFor
		}
		edited, _ := json.Marshal(tr)
		if _, err := sigstore.Verify(sigstore.Config{Bundle: b, TrustedRoot: edited, Identity: id, Digest: d}); err == nil {
			t.Errorf("%s: verified", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
