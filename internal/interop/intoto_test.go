package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
)

// The step both tests record: it reads a.txt and writes a copy to out/.
var stepCommand = []string{"sh", "-c", "mkdir -p out && cp a.txt out/"}

// inTotoKey loads a PEM key (private PKCS #8, or public PKIX) with
// in-toto-golang's own loader and defaults.
func inTotoKey(t *testing.T, pemBytes []byte) in_toto.Key {
	t.Helper()
	var k in_toto.Key
	if err := k.LoadKeyReaderDefaults(bytes.NewReader(pemBytes)); err != nil {
		t.Fatalf("in_toto.Key.LoadKeyReaderDefaults() = %v", err)
	}
	return k
}

func pkcs8PEM(t *testing.T, priv crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func pkixPEM(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// buildLayout is an in-toto v0.9 layout with one step, "build", which
// functionary must sign: it may read only a.txt, and must write out/a.txt as
// an exact copy of it and leave a.txt unchanged. An inspection then checks
// that out/a.txt on disk is still the product the step recorded. The layout
// is signed by owner.
func buildLayout(t *testing.T, owner, functionary in_toto.Key) *in_toto.Metablock {
	t.Helper()
	layout := in_toto.Layout{
		Type:    "layout",
		Expires: time.Now().Add(24 * time.Hour).UTC().Format(in_toto.ISO8601DateSchema),
		Keys:    map[string]in_toto.Key{functionary.KeyID: functionary},
		Steps: []in_toto.Step{{
			Type:            "step",
			PubKeys:         []string{functionary.KeyID},
			ExpectedCommand: stepCommand,
			Threshold:       1,
			SupplyChainItem: in_toto.SupplyChainItem{
				Name:              "build",
				ExpectedMaterials: [][]string{{"ALLOW", "a.txt"}, {"DISALLOW", "*"}},
				ExpectedProducts: [][]string{
					{"MATCH", "a.txt", "IN", "out", "WITH", "MATERIALS", "FROM", "build"},
					{"MATCH", "a.txt", "WITH", "MATERIALS", "FROM", "build"},
					{"DISALLOW", "*"},
				},
			},
		}},
		Inspect: []in_toto.Inspection{{
			Type: "inspection",
			Run:  []string{"true"},
			SupplyChainItem: in_toto.SupplyChainItem{
				Name: "check-product",
				ExpectedMaterials: [][]string{
					{"MATCH", "out/a.txt", "WITH", "PRODUCTS", "FROM", "build"},
					{"DISALLOW", "out/a.txt"},
					{"ALLOW", "*"},
				},
				ExpectedProducts: [][]string{{"ALLOW", "*"}},
			},
		}},
	}
	mb := &in_toto.Metablock{Signed: layout}
	if err := mb.Sign(owner); err != nil {
		t.Fatalf("signing the layout: %v", err)
	}
	return mb
}

// TestInTotoVerifiesConsignLegacyLink: a link that consign records with a
// real step.Run and writes with step.Record.LegacyLink passes in-toto-golang's
// InTotoVerify against a layout naming consign's public key; in-toto rejects
// it when the product on disk was changed afterwards, or when the link's
// recorded product was edited.
//
// Not parallel: in-toto-golang's artifact recorder keeps global state, and
// its inspections run in (and write their link to) the working directory.
func TestInTotoVerifiesConsignLegacyLink(t *testing.T) {
	for _, alg := range []string{sign.ECDSAP256, sign.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			keys := t.TempDir()
			kf := consignKey(t, keys, "functionary", alg)
			functionary := inTotoKey(t, readFile(t, kf.Pub))

			ownerPriv, err := sign.Generate(sign.Ed25519)
			if err != nil {
				t.Fatal(err)
			}
			owner := inTotoKey(t, pkcs8PEM(t, ownerPriv))
			ownerPub := inTotoKey(t, pkixPEM(t, ownerPriv.Public()))

			tree := t.TempDir()
			writeFile(t, filepath.Join(tree, "a.txt"), []byte("source material\n"))
			rec, err := step.Run(context.Background(), step.Config{
				Name: "build", Dir: tree, Materials: []string{"."}, Products: []string{"."}, Command: stepCommand,
			})
			if err != nil {
				t.Fatalf("step.Run() = %v", err)
			}
			data, filename, err := rec.LegacyLink(kf.Signer)
			if err != nil {
				t.Fatalf("LegacyLink() = %v", err)
			}
			if want := fmt.Sprintf(in_toto.LinkNameFormat, "build", functionary.KeyID); filename != want {
				t.Fatalf("LegacyLink() file name %q, want %q (in-toto's key id of consign's .pub)", filename, want)
			}
			links := t.TempDir()
			writeFile(t, filepath.Join(links, filename), data)

			layout := buildLayout(t, owner, functionary)
			layoutKeys := map[string]in_toto.Key{ownerPub.KeyID: ownerPub}
			t.Chdir(tree) // where in-toto runs its inspection
			if _, err := in_toto.InTotoVerify(layout, layoutKeys, links, "final", nil, nil, false); err != nil {
				t.Fatalf("in_toto.InTotoVerify(consign's link) = %v, want nil", err)
			}

			// Negative control 1: the product is changed after the step.
			product := filepath.Join(tree, "out", "a.txt")
			good := readFile(t, product)
			writeFile(t, product, []byte("tampered\n"))
			_, err = in_toto.InTotoVerify(layout, layoutKeys, links, "final", nil, nil, false)
			if err == nil || !strings.Contains(err.Error(), "disallowed by rule [DISALLOW out/a.txt]") {
				t.Errorf("in_toto.InTotoVerify() with a tampered product = %v, want the inspection to disallow out/a.txt", err)
			}
			writeFile(t, product, good)

			// Negative control 2: the link's record of the product is edited.
			var mb map[string]any
			if err := json.Unmarshal(data, &mb); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte("tampered\n"))
			mb["signed"].(map[string]any)["products"].(map[string]any)["out/a.txt"] = map[string]any{"sha256": hex.EncodeToString(sum[:])}
			edited, err := json.Marshal(mb)
			if err != nil {
				t.Fatal(err)
			}
			editedLinks := t.TempDir()
			writeFile(t, filepath.Join(editedLinks, filename), edited)
			_, err = in_toto.InTotoVerify(layout, layoutKeys, editedLinks, "final", nil, nil, false)
			if err == nil || !strings.Contains(err.Error(), "have a valid signature") {
				t.Errorf("in_toto.InTotoVerify() with an edited link = %v, want a signature threshold failure", err)
			}

			// Sanity: with the good link again, verification passes again, so
			// the failures above came from the tampering.
			if _, err := in_toto.InTotoVerify(layout, layoutKeys, links, "final", nil, nil, false); err != nil {
				t.Errorf("in_toto.InTotoVerify() after restoring = %v, want nil", err)
			}
		})
	}
}

// TestConsignReadsInTotoGolangLink: a link made by in-toto-golang's
// InTotoRun, with keys it loads from unencrypted PKCS #8 PEM, is read by
// attest.Read as an in-toto link, shown by 'consign inspect', and verified by
// 'consign verify-attestation' against its product; another key, and a
// tampered product, fail with exit code 3.
//
// Not parallel: in-toto-golang's artifact recorder keeps global state.
func TestConsignReadsInTotoGolangLink(t *testing.T) {
	tests := []struct {
		name string
		gen  func() (crypto.Signer, error)
	}{
		{"ecdsa-p256", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
		{"ed25519", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
		{"rsa-2048", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			priv, err := tt.gen()
			if err != nil {
				t.Fatal(err)
			}
			key := inTotoKey(t, pkcs8PEM(t, priv))
			dir := t.TempDir()
			pub := filepath.Join(dir, "functionary.pub")
			writeFile(t, pub, pkixPEM(t, priv.Public()))
			other := consignKey(t, dir, "other", sign.ECDSAP256)

			tree := t.TempDir()
			writeFile(t, filepath.Join(tree, "a.txt"), []byte("source material\n"))
			strip := []string{tree + string(filepath.Separator)}
			md, err := in_toto.InTotoRun("build", tree, []string{filepath.Join(tree, "a.txt")}, []string{tree}, stepCommand,
				key, []string{"sha256"}, nil, strip, false, false, false)
			if err != nil {
				t.Fatalf("in_toto.InTotoRun() = %v", err)
			}
			linkPath := filepath.Join(dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", key.KeyID))
			if err := md.Dump(linkPath); err != nil {
				t.Fatal(err)
			}
			product := filepath.Join(tree, "out", "a.txt")
			tampered := tamperedCopy(t, product)

			it := readOne(t, linkPath, attest.FormatLegacyLink)
			if it.Link.Type != "link" || it.Link.Name != "build" {
				t.Errorf("attest.Read(link): type %q name %q, want link build", it.Link.Type, it.Link.Name)
			}
			if got, want := strings.Join(it.Link.Command, " "), strings.Join(stepCommand, " "); got != want {
				t.Errorf("attest.Read(link): command %q, want %q", got, want)
			}
			if got, want := it.Link.Products.Map()["out/a.txt"]["sha256"], fileDigestSHA256(t, product); got != want {
				t.Errorf("attest.Read(link): product out/a.txt sha256 %q, want %q", got, want)
			}
			if _, ok := it.Link.Materials.Map()["a.txt"]; !ok || it.Link.Materials.Len() != 1 {
				t.Errorf("attest.Read(link): materials %v, want exactly a.txt", it.Link.Materials)
			}
			kr := loadKeyring(t, pub)
			v, err := attest.VerifyItem(&it, kr, attest.VerifyOptions{PredicateTypes: []string{attest.LegacyLinkType}, Subject: fileDigest(t, product)})
			if err != nil {
				t.Errorf("attest.VerifyItem(in-toto link) = %v, want nil", err)
			} else {
				// out/a.txt is a copy of a.txt, and a.txt is a product too: both match.
				var names []string
				for _, m := range v.Matched {
					names = append(names, m.Name)
				}
				if got, want := strings.Join(names, " "), "a.txt out/a.txt"; got != want {
					t.Errorf("attest.VerifyItem(in-toto link) matched %q, want %q", got, want)
				}
			}
			if _, err := attest.VerifyItem(&it, loadKeyring(t, other.Pub), attest.VerifyOptions{}); !errors.Is(err, attest.ErrSignature) {
				t.Errorf("attest.VerifyItem(in-toto link, other key) = %v, want %v", err, attest.ErrSignature)
			}

			r := wantExit(t, cli.ExitOK, "inspect", linkPath)
			for _, want := range []string{"in-toto v0.9 link", "step: build", "out/a.txt", key.KeyID} {
				if !strings.Contains(r.Stdout, want) {
					t.Errorf("consign inspect: output lacks %q:\n%s", want, r.Stdout)
				}
			}
			wantExit(t, cli.ExitOK, "verify-attestation", "--key", pub, "--subject", product, linkPath)
			wantExit(t, cli.ExitOK, "verify-attestation", "--key", pub, "--type", "link", "--subject", product, linkPath)
			wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", other.Pub, "--subject", product, linkPath)
			wantExit(t, cli.ExitVerifyNo, "verify-attestation", "--key", pub, "--subject", tampered, linkPath)
			if _, err := os.Stat(filepath.Join(tree, "out", "a.txt")); err != nil {
				t.Errorf("the step did not write its product: %v", err)
			}
		})
	}
}
