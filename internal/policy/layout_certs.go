package policy

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/sign"
)

// ErrCertificate means a certificate that signed a link is no functionary of
// its step: it does not chain to a root CA of the layout at the time of
// verification, or it meets none of the step's certificate constraints.
var ErrCertificate = errors.New("certificate is no functionary of the step")

var constraintFields = []string{"common_name", "dns_names", "emails", "organizations", "roots", "uris"}

// layoutCA reads a root or intermediate CA of a layout: an in-toto key
// whose keyval holds a CA certificate (PEM), listed under its key id.
func layoutCA(kid string, raw json.RawMessage) (*x509.Certificate, error) {
	if err := exactFields(raw, "certificate authority "+kid, layoutKeyFields); err != nil {
		return nil, err
	}
	var k in_toto.Key
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%w: certificate authority %q: %v", ErrInvalid, kid, err)
	}
	if k.KeyID != kid {
		return nil, fmt.Errorf("%w: the certificate authority listed as %q says its keyid is %q", ErrInvalid, kid, k.KeyID)
	}
	if k.KeyVal.Private != "" {
		return nil, fmt.Errorf("%w: certificate authority %q holds a private key", ErrInvalid, kid)
	}
	cert, err := parseCertificate([]byte(k.KeyVal.Certificate))
	if err != nil {
		return nil, fmt.Errorf("%w: certificate authority %q: %v", ErrInvalid, kid, err)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, fmt.Errorf("%w: certificate authority %q: the certificate is not a CA's", ErrInvalid, kid)
	}
	return cert, nil
}

// parseCertificate reads exactly one PEM certificate.
func parseCertificate(b []byte) (*x509.Certificate, error) {
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	return x509.ParseCertificate(block.Bytes)
}

// layoutCAs reads the layout's rootcas and intermediatecas.
func (l *Layout) layoutCAs(roots, intermediates map[string]json.RawMessage) error {
	if len(roots)+len(intermediates) > MaxKeys {
		return fmt.Errorf("%w: more than %d certificate authorities", ErrInvalid, MaxKeys)
	}
	if len(intermediates) > 0 && len(roots) == 0 {
		return fmt.Errorf("%w: the layout has intermediate CAs but no root CA", ErrInvalid)
	}
	l.RootCAs = map[string]*x509.Certificate{}
	for _, kid := range sortedMapKeys(roots) {
		c, err := layoutCA(kid, roots[kid])
		if err != nil {
			return err
		}
		l.RootCAs[kid] = c
	}
	for _, kid := range sortedMapKeys(intermediates) {
		c, err := layoutCA(kid, intermediates[kid])
		if err != nil {
			return err
		}
		l.Intermediates = append(l.Intermediates, c)
	}
	return nil
}

// stepConstraints checks a step's cert_constraints: each names at least
// one root, and every root it names is one of the layout's root CAs (or
// "*", any of them).
func (l *Layout) stepConstraints(step string, raw json.RawMessage, ccs []in_toto.CertificateConstraint) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &struct {
		CC *[]json.RawMessage `json:"cert_constraints"`
	}{&raws}); err != nil {
		return fmt.Errorf("%w: step %q: cert_constraints: %v", ErrInvalid, step, err)
	}
	for i, r := range raws {
		if err := exactFields(r, fmt.Sprintf("certificate constraint %d of step %q", i, step), constraintFields); err != nil {
			return err
		}
	}
	if len(ccs) > 0 && len(l.RootCAs) == 0 {
		return fmt.Errorf("%w: step %q has certificate constraints, but the layout has no root CA (rootcas)", ErrInvalid, step)
	}
	for i, cc := range ccs {
		if len(cc.Roots) == 0 {
			return fmt.Errorf("%w: step %q: certificate constraint %d names no root CA", ErrInvalid, step, i)
		}
		for _, r := range cc.Roots {
			if r != in_toto.AllowAllConstraint && l.RootCAs[r] == nil {
				return fmt.Errorf("%w: step %q: certificate constraint %d names the root %q, which the layout does not hold", ErrInvalid, step, i, r)
			}
		}
	}
	if len(ccs) > 0 {
		l.CertConstraints[step] = ccs
	}
	return nil
}

// AdmitCertificate makes the PEM certificate cert a functionary of step when
// it chains at now to one of the layout's root CAs (through its
// intermediate CAs) and meets one of the step's certificate constraints,
// and returns the key it adds for it (the certificate's public key). Until
// then no certificate is a functionary: only its key, once admitted,
// counts, and only for that step. It returns [ErrCertificate] otherwise.
//
// A constraint is met as in-toto-golang checks it: common name, DNS
// names, emails, organisations and URIs each equal the constraint's set
// exactly ("*" allows any). Its roots differ: in-toto-golang compares them
// with every root CA of the layout; consign requires the chain to end at
// a root the constraint names, so that a step bound to one CA does not
// accept another's certificates.
func (l *Layout) AdmitCertificate(step string, cert []byte, now time.Time) (*Key, error) {
	ccs := l.CertConstraints[step]
	if len(ccs) == 0 {
		return nil, fmt.Errorf("%w: step %q takes no certificates", ErrCertificate, step)
	}
	c, err := parseCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range l.RootCAs {
		roots.AddCert(r)
	}
	for _, r := range l.Intermediates {
		inter.AddCert(r)
	}
	chains, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	var chainRoots []string
	for _, ch := range chains {
		top := ch[len(ch)-1]
		for kid, r := range l.RootCAs {
			if r.Equal(top) && !slices.Contains(chainRoots, kid) {
				chainRoots = append(chainRoots, kid)
			}
		}
	}
	var problems []error
	for _, cc := range ccs {
		err := meets(cc, c, chainRoots)
		if err == nil {
			return l.certKey(step, c)
		}
		problems = append(problems, err)
	}
	return nil, fmt.Errorf("%w: %q meets no certificate constraint of step %q: %v", ErrCertificate, c.Subject.CommonName, step, errors.Join(problems...))
}

func meets(cc in_toto.CertificateConstraint, c *x509.Certificate, chainRoots []string) error {
	uris := make([]string, 0, len(c.URIs))
	for _, u := range c.URIs {
		uris = append(uris, u.String())
	}
	for _, a := range []struct {
		name         string
		want, values []string
	}{
		{"common name", []string{cc.CommonName}, []string{c.Subject.CommonName}},
		{"DNS name", cc.DNSNames, c.DNSNames},
		{"email", cc.Emails, c.EmailAddresses},
		{"organization", cc.Organizations, c.Subject.Organization},
		{"URI", cc.URIs, uris},
	} {
		if err := sameSet(a.name, a.want, a.values); err != nil {
			return err
		}
	}
	if slices.Contains(cc.Roots, in_toto.AllowAllConstraint) {
		return nil
	}
	for _, r := range chainRoots {
		if slices.Contains(cc.Roots, r) {
			return nil
		}
	}
	return fmt.Errorf("the certificate chains to no root the constraint names (%v)", cc.Roots)
}

// sameSet is in-toto-golang's checkCertConstraint: "*" alone allows any
// value, "" alone is no value, and otherwise the values must be the
// constraint's, each once.
func sameSet(name string, want, values []string) error {
	if len(want) == 1 && want[0] == in_toto.AllowAllConstraint {
		return nil
	}
	if len(want) == 1 && want[0] == "" {
		want = nil
	}
	if len(values) == 1 && values[0] == "" {
		values = nil
	}
	unmet := map[string]bool{}
	for _, w := range want {
		unmet[w] = true
	}
	for _, v := range values {
		if !unmet[v] {
			return fmt.Errorf("unexpected %s %q (the constraint allows %q)", name, v, want)
		}
		delete(unmet, v)
	}
	if len(unmet) > 0 {
		return fmt.Errorf("the certificate's %s(s) %q are not all of %q", name, values, want)
	}
	return nil
}

// certKey adds c's key as a functionary of step.
func (l *Layout) certKey(step string, c *x509.Certificate) (*Key, error) {
	v, err := sign.NewVerifier(c.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	pemBytes, err := sign.MarshalPublicKey(c.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCertificate, err)
	}
	k := &Key{ID: v.KeyID(), Verifier: v, PEM: pemBytes}
	name := "certificate " + c.Subject.CommonName + " (key " + k.ID[:min(12, len(k.ID))] + ")"
	f := l.functionaries[name]
	if f == nil {
		f = &Functionary{Name: name, Role: "in-toto certificate functionary", Keys: []*Key{k}}
		l.functionaries[name] = f
		l.Functionaries = append(l.Functionaries, f)
	}
	st := l.Stage(step)
	if !slices.Contains(st.By, name) {
		st.By = append(st.By, name)
	}
	return k, nil
}
