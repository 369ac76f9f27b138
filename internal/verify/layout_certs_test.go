package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/verify"
)

// in-toto-golang's own test data (test/data): its demo layout, signed by
// alice, with root and intermediate CAs and a write-code step whose
// cert_constraints admit the SPIFFE id spiffe://example.com/write-code
// issued by the example.com intermediate.
const itData = "testdata/in-toto-golang"

func itRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(itData, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itLoadKey(t *testing.T, name string) in_toto.Key {
	t.Helper()
	var k in_toto.Key
	if err := k.LoadKeyDefaults(filepath.Join(itData, name)); err != nil {
		t.Fatal(err)
	}
	return k
}

func alicePub(t *testing.T) crypto.PublicKey {
	t.Helper()
	k, err := sign.ParsePublicKey(itRead(t, "alice.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fooTarGz(t *testing.T) verify.Artifact {
	sum := sha256.Sum256(itRead(t, "foo.tar.gz"))
	return verify.Artifact{Name: "foo.tar.gz", Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}}
}

// TestLayoutInTotoGolangDemo: in-toto-golang's demo layout, as shipped,
// with its links; its untar inspection runs for real.
func TestLayoutInTotoGolangDemo(t *testing.T) {
	links := t.TempDir()
	for _, l := range []string{"write-code.b7d643de.link", "package.d3ffd108.link"} {
		verify.WriteFile(t, filepath.Join(links, l), itRead(t, l))
	}
	work := t.TempDir()
	verify.WriteFile(t, filepath.Join(work, "foo.tar.gz"), itRead(t, "foo.tar.gz"))
	cfg := verify.LayoutConfig{Layout: itRead(t, "demo.layout"), LayoutName: "demo.layout",
		LayoutKeys: []crypto.PublicKey{alicePub(t)}, Links: os.DirFS(links), LinksName: "links",
		Artifacts: []verify.Artifact{fooTarGz(t)}, Inspector: evidence.Inspector{Dir: work},
		Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	verify.WantPass(t, verify.VerifyLayoutT(t, cfg))
}

// certChain is the demo layout re-signed by alice with the write-code
// step's keys removed, so that only a certificate can sign its link, and
// a write-code link signed with the example.com write-code key, carrying
// its certificate.
type certChain struct {
	layout in_toto.Layout
	links  string
	now    time.Time
}

func newCertChain(t *testing.T) *certChain {
	var mb in_toto.Metablock
	if err := json.Unmarshal(itRead(t, "demo.layout"), &mb); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(mb.Signed)
	c := &certChain{links: t.TempDir(), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := json.Unmarshal(b, &c.layout); err != nil {
		t.Fatal(err)
	}
	c.layout.Expires = "2040-01-01T00:00:00Z"
	c.layout.Inspect = []in_toto.Inspection{}
	c.layout.Steps[0].PubKeys = []string{}
	verify.WriteFile(t, filepath.Join(c.links, "package.d3ffd108.link"), itRead(t, "package.d3ffd108.link"))
	c.link(t, "write-code", itLoadKey(t, "example.com.write-code.key.pem"), string(itRead(t, "example.com.write-code.cert.pem")))
	return c
}

// link writes the write-code link (the demo's: foo.py as its product),
// in place of any other, named name, signed by k, with cert in its
// signature.
func (c *certChain) link(t *testing.T, name string, k in_toto.Key, cert string) {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(c.links, "write-code.*.link"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	var demo in_toto.Metablock
	if err := json.Unmarshal(itRead(t, "write-code.b7d643de.link"), &demo); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(demo.Signed)
	var l in_toto.Link
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	l.Name = name
	mb := &in_toto.Metablock{Signed: l}
	if err := mb.Sign(k); err != nil {
		t.Fatal(err)
	}
	mb.Signatures[0].Certificate = cert
	if err := mb.Dump(filepath.Join(c.links, fmt.Sprintf(in_toto.LinkNameFormat, "write-code", k.KeyID))); err != nil {
		t.Fatal(err)
	}
}

func (c *certChain) config(t *testing.T) verify.LayoutConfig {
	t.Helper()
	mb := &in_toto.Metablock{Signed: c.layout}
	if err := mb.Sign(itLoadKey(t, "alice")); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(mb)
	if err != nil {
		t.Fatal(err)
	}
	return verify.LayoutConfig{Layout: b, LayoutName: "demo.layout", LayoutKeys: []crypto.PublicKey{alicePub(t)},
		Links: os.DirFS(c.links), LinksName: "links", Artifacts: []verify.Artifact{fooTarGz(t)},
		Now: func() time.Time { return c.now }}
}

// inTotoGolang runs in-toto-golang's verification of the chain's signatures
// (layout, then link signature thresholds with the layout's CAs).
func (c *certChain) inTotoGolang(t *testing.T) error {
	t.Helper()
	mb := &in_toto.Metablock{Signed: c.layout}
	if err := mb.Sign(itLoadKey(t, "alice")); err != nil {
		t.Fatal(err)
	}
	alice := itLoadKey(t, "alice.pub")
	_, err := in_toto.InTotoVerify(mb, map[string]in_toto.Key{alice.KeyID: alice}, c.links, "", nil, nil, false)
	return err
}

func TestLayoutCertificateFunctionary(t *testing.T) {
	c := newCertChain(t)
	if err := c.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang rejects the chain: %v", err)
	}
	res := verify.VerifyLayoutT(t, c.config(t))
	verify.WantPass(t, res)
	if by := res.Stages[0].Signers; len(by) != 1 {
		t.Errorf("write-code signers = %+v, want the certificate's key", by)
	}
}

func TestLayoutCertificateRefused(t *testing.T) {
	const notCounted = "stage write-code: no link attestation signed by its functionaries"
	tests := []struct {
		name   string
		reason string // in the report, beside the link not counted
		mangle func(t *testing.T, c *certChain)
	}{
		{"certificate from another CA", "certificate signed by unknown authority", func(t *testing.T, c *certChain) {
			k, cert := otherCA(t, "write-code.example.com", "spiffe://example.com/write-code")
			c.link(t, "write-code", k, cert)
		}},
		{"URI constraint of another SPIFFE id", `unexpected URI "spiffe://example.com/write-code"`, func(t *testing.T, c *certChain) {
			c.layout.Steps[0].CertificateConstraints[0].URIs = []string{"spiffe://example.com/other"}
		}},
		{"common name constraint of another name", `unexpected common name "write-code.example.com"`, func(t *testing.T, c *certChain) {
			c.layout.Steps[0].CertificateConstraints[0].CommonName = "build.example.com"
		}},
		{"organisation constraint of another", "organization(s)", func(t *testing.T, c *certChain) {
			c.layout.Steps[0].CertificateConstraints[0].Organizations = []string{"example", "acme"}
		}},
		{"DNS name asked, none in the certificate", "DNS name(s)", func(t *testing.T, c *certChain) {
			c.layout.Steps[0].CertificateConstraints[0].DNSNames = []string{"write-code.example.com"}
		}},
		{"email asked, none in the certificate", "email(s)", func(t *testing.T, c *certChain) {
			c.layout.Steps[0].CertificateConstraints[0].Emails = []string{"ci@example.com"}
		}},
		{"expired certificate", "certificate has expired", func(t *testing.T, c *certChain) {
			c.now = time.Date(2031, 9, 1, 0, 0, 0, 0, time.UTC) // the chain expires 2031-08-29
		}},
		{"constraint names only another root CA of the layout", "chains to no root the constraint names", func(t *testing.T, c *certChain) {
			_, caPEM := otherCA(t, "", "")
			var ca in_toto.Key
			if err := ca.LoadKeyReaderDefaults(strings.NewReader(caPEM)); err != nil {
				t.Fatal(err)
			}
			c.layout.RootCas[ca.KeyID] = ca
			c.layout.Steps[0].CertificateConstraints[0].Roots = []string{ca.KeyID}
		}},
		{"certificate signing a link of a step without constraints", `step "write-code" takes no certificates`, func(t *testing.T, c *certChain) {
			c.layout.Steps[1].CertificateConstraints = c.layout.Steps[0].CertificateConstraints
			c.layout.Steps[0].CertificateConstraints = nil
			c.layout.Steps[0].PubKeys = []string{"b7d643dec0a051096ee5d87221b5d91a33daa658699d30903e1cefb90c418401"}
		}},
		{"link of another step signed by the admitted certificate", `step "package" takes no certificates`, func(t *testing.T, c *certChain) {
			c.link(t, "package", itLoadKey(t, "example.com.write-code.key.pem"), string(itRead(t, "example.com.write-code.cert.pem")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCertChain(t)
			tt.mangle(t, c)
			res := verify.VerifyLayoutT(t, c.config(t))
			verify.WantFail(t, res, notCounted)
			if !strings.Contains(res.Text(), "its certificate is refused: ") || !strings.Contains(res.Text(), tt.reason) {
				t.Errorf("the report does not say %q:\n%s", tt.reason, res.Text())
			}
		})
	}
}

// otherCA makes a CA of its own and returns its CA certificate when cn is
// empty, else a leaf key (as in-toto-golang loads it) and certificate for
// cn and uri that it issued.
func otherCA(t *testing.T, cn, uri string) (in_toto.Key, string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"example"}, OrganizationalUnit: []string{"exampleCN=root"}},
		NotBefore: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	if cn == "" {
		return in_toto.Key{}, caPEM
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(uri)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn, Organization: []string{"example"}, OrganizationalUnit: []string{"example"}},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, URIs: []*url.URL{u}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	var k in_toto.Key
	if err := k.LoadKeyReaderDefaults(strings.NewReader(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))); err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}))
}
