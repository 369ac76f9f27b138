package interop

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	cattest "github.com/sigstore/cosign/v2/cmd/cosign/cli/attest"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/options"
	csign "github.com/sigstore/cosign/v2/cmd/cosign/cli/sign"
	"github.com/sigstore/cosign/v2/cmd/cosign/cli/verify"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/testutil/registrytest"
)

// cosign v2 finds only its own tag scheme, so consign writes with
// oci.ModeTag (or ModeBoth) for it; both registries are used, since cosign
// reads tags the same way on each.
func ociClient(t *testing.T, mode oci.Mode) *oci.Client {
	t.Helper()
	c, err := oci.New(oci.Options{Insecure: true, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cosignVerifyImage(pub, image string) error {
	cmd := verify.VerifyCommand{KeyRef: pub, IgnoreTlog: true, CheckClaims: true, MaxWorkers: 1}
	return cmd.Exec(context.Background(), []string{image})
}

func cosignVerifyImageAttestation(pub, image, predicateType string) error {
	cmd := verify.VerifyAttestationCommand{KeyRef: pub, IgnoreTlog: true, CheckClaims: true, PredicateType: predicateType, MaxWorkers: 1}
	return cmd.Exec(context.Background(), []string{image})
}

// TestCosignVerifiesConsignImage: cosign verify and verify-attestation (with
// the tlog ignored) accept what consign signed and attached to an image in
// cosign's tag scheme, and refuse another key and another image.
func TestCosignVerifiesConsignImage(t *testing.T) {
	t.Parallel()
	for regName, start := range map[string]func(testing.TB) string{"ggcr": registrytest.Ggcr, "distribution": registrytest.Distribution} {
		t.Run(regName, func(t *testing.T) {
			t.Parallel()
			host := start(t)
			dir := t.TempDir()
			key := consignKey(t, dir, "rel", sign.ECDSAP256)
			other := consignKey(t, dir, "other", sign.ECDSAP256)
			ctx := context.Background()
			ref := host + "/app:1.0"
			registrytest.PushImage(t, ref)
			unsigned := host + "/unsigned:1.0"
			registrytest.PushImage(t, unsigned)
			c := ociClient(t, oci.ModeBoth)
			img, err := c.Resolve(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Sign(ctx, img, key.Signer); err != nil {
				t.Fatalf("Sign = %v", err)
			}
			if err := cosignVerifyImage(key.Pub, ref); err != nil {
				t.Errorf("cosign verify --key (consign's key) %s = %v", ref, err)
			}
			if err := cosignVerifyImage(other.Pub, ref); err == nil {
				t.Errorf("cosign verify --key (another key) %s passed", ref)
			}
			if err := cosignVerifyImage(key.Pub, unsigned); err == nil {
				t.Errorf("cosign verify --key %s (nothing attached) passed", unsigned)
			}

			st, err := attest.NewStatement("https://slsa.dev/provenance/v1",
				[]attest.Subject{{Name: img.Ref.Context().Name(), Digest: oci.ImageDigestSet(img)}}, json.RawMessage(slsaPredicate))
			if err != nil {
				t.Fatal(err)
			}
			env, err := attest.SignStatement(st, key.Signer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Attach(ctx, img, env); err != nil {
				t.Fatalf("Attach = %v", err)
			}
			if err := cosignVerifyImageAttestation(key.Pub, ref, "slsaprovenance1"); err != nil {
				t.Errorf("cosign verify-attestation --type slsaprovenance1 (consign's key) = %v", err)
			}
			if err := cosignVerifyImageAttestation(other.Pub, ref, "slsaprovenance1"); err == nil {
				t.Errorf("cosign verify-attestation (another key) passed")
			}
		})
	}
}

// TestConsignVerifiesCosignImage: consign finds and verifies what cosign
// sign and cosign attest (key, no tlog upload) attached, and refuses another
// key and another predicate type.
func TestConsignVerifiesCosignImage(t *testing.T) {
	t.Parallel()
	host := registrytest.Ggcr(t)
	dir := t.TempDir()
	keys := makeCosignKeys(t, dir)
	ctx := context.Background()
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			ref := host + "/" + k.name + ":1.0"
			registrytest.PushImage(t, ref)
			ko := options.KeyOpts{KeyRef: k.Priv, PassFunc: passwordFunc(testPassword)}
			so := options.SignOptions{Key: k.Priv, Upload: true, TlogUpload: false, SkipConfirmation: true}
			if err := csign.SignCmd(&options.RootOptions{Timeout: options.DefaultTimeout}, ko, so, []string{ref}); err != nil {
				t.Fatalf("cosign sign --key --tlog-upload=false %s = %v", ref, err)
			}
			predicate := filepath.Join(dir, k.name+"-predicate.json")
			writeFile(t, predicate, []byte(slsaPredicate))
			ac := cattest.AttestCommand{KeyOpts: ko, PredicatePath: predicate, PredicateType: "slsaprovenance1", TlogUpload: false, RekorEntryType: "dsse", Timeout: options.DefaultTimeout}
			if err := ac.Exec(ctx, ref); err != nil {
				t.Fatalf("cosign attest --key --tlog-upload=false %s = %v", ref, err)
			}
			// cosign's new bundle format: a Sigstore bundle attached as a referrer.
			ac.NewBundleFormat = true
			if err := ac.Exec(ctx, ref); err != nil {
				t.Fatalf("cosign attest --new-bundle-format --key --tlog-upload=false %s = %v", ref, err)
			}

			// cosign v3's image signature: a sign statement in a Sigstore bundle, as a referrer.
			so.NewBundleFormat = true
			if err := csign.SignCmd(&options.RootOptions{Timeout: options.DefaultTimeout}, ko, so, []string{ref}); err != nil {
				t.Fatalf("cosign sign --new-bundle-format --key --tlog-upload=false %s = %v", ref, err)
			}

			c := ociClient(t, oci.ModeReferrers)
			kr := loadKeyring(t, k.Pub)
			res, err := c.VerifyImage(ctx, ref, kr)
			if err != nil {
				t.Fatalf("VerifyImage(%s, cosign's key) = %v", ref, err)
			}
			got := map[oci.Kind]oci.Source{}
			for _, r := range res.Results {
				if r.Err != nil {
					t.Errorf("VerifyImage: %s signature in %s: %v", r.Attachment.Kind, r.Attachment.Source, r.Err)
				}
				got[r.Attachment.Kind] = r.Attachment.Source
			}
			if want := map[oci.Kind]oci.Source{oci.KindSignature: oci.SourceCosignTag, oci.KindBundle: oci.SourceReferrers}; len(res.Results) != 2 || !maps.Equal(got, want) {
				t.Errorf("VerifyImage found signatures %v, want %v", got, want)
			}
			r := wantExit(t, cli.ExitOK, "verify-image", "--key", k.Pub, "--insecure-registry", ref)
			if !strings.Contains(r.Stdout, "PASS bundle signature in referrers") {
				t.Errorf("consign verify-image %s: no bundle signature passed\n%s", ref, r)
			}
			if _, err := c.VerifyImage(ctx, ref, loadKeyring(t, keys[(indexOf(keys, k)+1)%len(keys)].Pub)); !errors.Is(err, oci.ErrNoSignature) {
				t.Errorf("VerifyImage(another key) = %v, want ErrNoSignature", err)
			}
			img, items, err := c.Attestations(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			formats := map[string]bool{}
			for i := range items {
				formats[items[i].Format] = true
				opts := attest.VerifyOptions{PredicateTypes: []string{"https://slsa.dev/provenance/v1"}, Subject: oci.ImageDigestSet(img)}
				if _, err := attest.VerifyItem(&items[i], kr, opts); err != nil {
					t.Errorf("VerifyItem(cosign's attestation %s, %s) = %v", items[i].Source, items[i].Format, err)
				}
				opts.PredicateTypes = []string{"https://spdx.dev/Document"}
				if _, err := attest.VerifyItem(&items[i], kr, opts); !errors.Is(err, attest.ErrWrongType) {
					t.Errorf("VerifyItem(%s, another type) = %v, want ErrWrongType", items[i].Source, err)
				}
			}
			if len(items) != 2 || len(formats) != 2 {
				t.Errorf("Attestations(%s) = %d items in formats %v, want a DSSE envelope and a Sigstore bundle", ref, len(items), formats)
			}
		})
	}
}

func indexOf(keys []cosignKeys, k cosignKeys) int {
	for i := range keys {
		if keys[i].name == k.name {
			return i
		}
	}
	return -1
}

// TestCosignVerifiesConsignSBOMImage: cosign verify-attestation --type
// cyclonedx and --type spdxjson accept the SBOM attestations that 'consign
// sbom IMAGE --attest --attach' attached in cosign's tag scheme, and refuse
// another key.
func TestCosignVerifiesConsignSBOMImage(t *testing.T) {
	t.Parallel()
	host := registrytest.Ggcr(t)
	dir := t.TempDir()
	key := consignKey(t, dir, "rel", sign.ECDSAP256)
	other := consignKey(t, dir, "other", sign.ECDSAP256)
	ref := host + "/app:1.0"
	registrytest.PushImage(t, ref)
	wantExit(t, cli.ExitOK, "sbom", "registry:"+ref, "--insecure-registry", "--attest", "--key", key.Priv,
		"--attach", "--attach-mode", "tag", "-o", "cyclonedx-json", "-o", "spdx-json", "--out", filepath.Join(dir, "sbom.intoto.jsonl"))
	for _, typ := range []string{"cyclonedx", "spdxjson"} {
		if err := cosignVerifyImageAttestation(key.Pub, ref, typ); err != nil {
			t.Errorf("cosign verify-attestation --type %s (consign's key) = %v", typ, err)
		}
		if err := cosignVerifyImageAttestation(other.Pub, ref, typ); err == nil {
			t.Errorf("cosign verify-attestation --type %s (another key) passed", typ)
		}
	}
}

// TestCosignBundleSignatureOtherImage: cosign's bundle signature for one
// image, attached as a referrer to another image, does not sign the other
// image (its statement names the first digest), with the key or without.
func TestCosignBundleSignatureOtherImage(t *testing.T) {
	t.Parallel()
	host := registrytest.Ggcr(t)
	k := makeCosignKeys(t, t.TempDir())[0]
	ctx := context.Background()
	signed, other := host+"/signed:1.0", host+"/other:1.0"
	registrytest.PushImage(t, signed)
	otherDigest := registrytest.PushImage(t, other)
	ko := options.KeyOpts{KeyRef: k.Priv, PassFunc: passwordFunc(testPassword)}
	so := options.SignOptions{Key: k.Priv, Upload: true, TlogUpload: false, SkipConfirmation: true, NewBundleFormat: true}
	if err := csign.SignCmd(&options.RootOptions{Timeout: options.DefaultTimeout}, ko, so, []string{signed}); err != nil {
		t.Fatalf("cosign sign --new-bundle-format %s = %v", signed, err)
	}
	c := ociClient(t, oci.ModeReferrers)
	kr := loadKeyring(t, k.Pub)
	if _, err := c.VerifyImage(ctx, signed, kr); err != nil {
		t.Fatalf("VerifyImage(%s) = %v", signed, err)
	}
	_, atts, err := c.Attachments(ctx, signed)
	if err != nil {
		t.Fatal(err)
	}
	var bundle []byte
	for _, a := range atts {
		if a.Kind == oci.KindBundle && a.AnnotatedPredicateType() == oci.CosignSignPredicateType {
			bundle = a.Payload
		}
	}
	if bundle == nil {
		t.Fatalf("no cosign sign bundle among %d attachments of %s", len(atts), signed)
	}
	d, err := name.NewDigest(host + "/other@" + otherDigest.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, bundle, oci.CosignSignPredicateType); err != nil {
		t.Fatalf("attaching the bundle to %s: %v", other, err)
	}
	res, err := c.VerifyImage(ctx, other, kr)
	if !errors.Is(err, oci.ErrNoSignature) {
		t.Fatalf("VerifyImage(%s, another image's bundle) = %v, want ErrNoSignature", other, err)
	}
	if len(res.Results) != 1 || !errors.Is(res.Results[0].Err, attest.ErrSubjectMismatch) {
		t.Errorf("VerifyImage(%s) results = %+v, want one failing with ErrSubjectMismatch", other, res.Results)
	}
}
