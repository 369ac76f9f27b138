package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/consign-dev/consign/internal/shell"
	"io"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sigstore"
)

// inspectSubject is one subject of an inspected statement.
type inspectSubject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// inspectItem is what inspect shows of one attestation, unverified.
type inspectItem struct {
	Source        string           `json:"source"`
	Format        string           `json:"format"`
	Error         string           `json:"error,omitempty"`
	PayloadType   string           `json:"payloadType,omitempty"`
	StatementType string           `json:"statementType,omitempty"`
	PredicateType string           `json:"predicateType,omitempty"`
	Subjects      []inspectSubject `json:"subjects,omitempty"`
	Name          string           `json:"name,omitempty"`
	Command       []string         `json:"command,omitempty"`
	Materials     int              `json:"materials,omitempty"`
	Products      int              `json:"products,omitempty"`
	SignatureKeys []string         `json:"signatureKeyIds,omitempty"`
	Signatures    int              `json:"signatures"`
	// SignedBy is set with --key: for each signature, the key ids of the
	// keys given that made it (empty: none of them).
	SignedBy [][]string `json:"signedBy,omitempty"`
	// KeysGiven are the key ids of the keys given with --key.
	KeysGiven []string `json:"keysGiven,omitempty"`
	// Certificate is the identity a keyless bundle's certificate names,
	// unverified.
	Certificate *inspectCertificate `json:"certificate,omitempty"`
	Predicate   json.RawMessage     `json:"predicate,omitempty"`
}

// inspectCertificate is what a keyless signature's certificate claims:
// the identity 'consign verify-bundle' checks, once it has verified the
// certificate against a trusted root.
type inspectCertificate struct {
	Identity   string `json:"identity,omitempty"`
	OIDCIssuer string `json:"oidcIssuer,omitempty"`
	Error      string `json:"error,omitempty"`
}

// describeItem is what inspect shows of it.
func describeItem(it *attest.Item, withPredicate bool, kr *attest.Keyring) inspectItem {
	ii := inspectItem{Source: it.Source, Format: it.Format}
	if it.Err != nil {
		ii.Error = it.Err.Error()
		return ii
	}
	ii.Format = it.Describe()
	if it.Certificate != nil {
		ii.Certificate = &inspectCertificate{}
		var err error
		if ii.Certificate.Identity, ii.Certificate.OIDCIssuer, err = sigstore.CertificateIdentity(it.Certificate); err != nil {
			ii.Certificate.Error = err.Error()
		}
	}
	if kr != nil {
		for _, v := range kr.Verifiers() {
			ii.KeysGiven = append(ii.KeysGiven, v.KeyID())
		}
		each, err := it.SignersOfEach(kr)
		if err != nil {
			ii.Error = err.Error()
			return ii
		}
		for _, vs := range each {
			ids := []string{}
			for _, v := range vs {
				ids = append(ids, v.KeyID())
			}
			ii.SignedBy = append(ii.SignedBy, ids)
		}
	}
	switch {
	case it.Envelope != nil:
		ii.PayloadType = it.Envelope.PayloadType
		ii.Signatures = len(it.Envelope.Signatures)
		for _, s := range it.Envelope.Signatures {
			ii.SignatureKeys = append(ii.SignatureKeys, s.KeyID)
		}
		st, err := attest.ParseStatement(it.Envelope.Payload)
		if err != nil {
			ii.Error = err.Error()
			return ii
		}
		ii.StatementType, ii.PredicateType = st.Type, st.PredicateType
		for _, s := range st.Subject {
			ii.Subjects = append(ii.Subjects, inspectSubject{s.Name, s.Digest})
		}
		if withPredicate {
			ii.Predicate = st.Predicate
		}
	case it.Link != nil:
		ii.PredicateType = attest.LegacyLinkType
		ii.Name, ii.Command = it.Link.Name, it.Link.Command
		ii.Materials, ii.Products = it.Link.Materials.Len(), it.Link.Products.Len()
		ii.Signatures = len(it.Link.Signatures)
		for _, s := range it.Link.Signatures {
			ii.SignatureKeys = append(ii.SignatureKeys, s.KeyID)
		}
		for _, s := range it.Link.ProductSubjects() {
			ii.Subjects = append(ii.Subjects, inspectSubject{s.Name, s.Digest})
		}
	case it.Blob != nil:
		ii.Signatures = 1
		if it.Blob.Digest != nil {
			ii.Subjects = []inspectSubject{{Digest: it.Blob.Digest}}
		}
	}
	return ii
}

func printInspect(w io.Writer, file string, items []inspectItem) {
	verifier := "'consign verify-attestation'"
	keyless := false
	for _, ii := range items {
		keyless = keyless || ii.Certificate != nil
	}
	if keyless {
		verifier = "'consign verify-bundle' for keyless bundles"
	}
	if len(items) > 0 && len(items[0].KeysGiven) > 0 {
		fmt.Fprintf(w, "UNVERIFIED: only which key made each signature has been checked; use %s.\n", verifier)
	} else {
		fmt.Fprintf(w, "UNVERIFIED: nothing below has been checked; use %s.\n", verifier)
	}
	for _, ii := range items {
		format := ii.Format
		if format == "" {
			format = "unreadable" // not even its format could be told
		}
		fmt.Fprintf(w, "\n%s: %s\n", ii.Source, format)
		if ii.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", ii.Error)
			continue
		}
		if ii.PredicateType != "" {
			fmt.Fprintf(w, "  predicate type: %s", ii.PredicateType)
			if s := attest.ShortName(ii.PredicateType); s != ii.PredicateType {
				fmt.Fprintf(w, " (%s)", s)
			}
			fmt.Fprintln(w)
		}
		if ii.Name != "" {
			fmt.Fprintf(w, "  step: %s\n  command: %s\n  materials: %d, products: %d\n", ii.Name, strings.Join(ii.Command, " "), ii.Materials, ii.Products)
		}
		if ii.StatementType != "" {
			fmt.Fprintf(w, "  statement: %s\n", ii.StatementType)
		}
		fmt.Fprintf(w, "  signatures: %d", ii.Signatures)
		var hints []string
		for _, k := range ii.SignatureKeys {
			if k != "" {
				hints = append(hints, k)
			}
		}
		switch {
		case ii.Certificate != nil:
			fmt.Fprint(w, " (keyless: by the holder of the certificate below, if it verifies)")
		case len(hints) > 0:
			fmt.Fprintf(w, " (claimed key ids: %s)", strings.Join(hints, ", "))
		case ii.Signatures > 0 && len(ii.KeysGiven) == 0:
			fmt.Fprint(w, " (naming no key, as consign and cosign write them; --key PUB says which it made)")
		}
		fmt.Fprintln(w)
		printCertificate(w, file, ii.Certificate)
		printSignedBy(w, ii)
		if len(ii.Subjects) > 0 {
			fmt.Fprintf(w, "  subjects: %d\n", len(ii.Subjects))
			for i, s := range ii.Subjects {
				if i == 20 {
					fmt.Fprintf(w, "    ... and %d more (--output json lists all)\n", len(ii.Subjects)-20)
					break
				}
				d := s.Digest["sha256"]
				if d == "" {
					for alg, v := range s.Digest {
						d = alg + ":" + v
						break
					}
				} else {
					d = "sha256:" + d
				}
				fmt.Fprintf(w, "    %s  %s\n", d, s.Name)
			}
		}
		if len(ii.Predicate) > 0 {
			var buf bytes.Buffer
			if json.Indent(&buf, ii.Predicate, "    ", "  ") == nil {
				fmt.Fprintf(w, "  predicate:\n    %s\n", buf.String())
			}
		}
	}
}

// printCertificate shows the identity a keyless bundle's certificate
// names, and the command that verifies the bundle for it.
func printCertificate(w io.Writer, file string, c *inspectCertificate) {
	if c == nil {
		return
	}
	if c.Error != "" {
		fmt.Fprintf(w, "  certificate: %s\n", c.Error)
		return
	}
	fmt.Fprintf(w, "  certificate identity:    %s\n", c.Identity)
	issuer := "ISSUER"
	if c.OIDCIssuer == "" {
		fmt.Fprintln(w, "  certificate OIDC issuer: (none: the certificate has no Fulcio OIDC issuer extension)")
	} else {
		fmt.Fprintf(w, "  certificate OIDC issuer: %s\n", c.OIDCIssuer)
		issuer = shell.Quote(c.OIDCIssuer)
	}
	fmt.Fprintf(w, "  verify: consign verify-bundle --bundle %s --trusted-root trusted_root.json --certificate-identity %s --certificate-oidc-issuer %s ARTIFACT\n",
		shell.Quote(file), shell.Quote(c.Identity), issuer)
}

// printSignedBy says, with --key, which of the keys given made each signature.
func printSignedBy(w io.Writer, ii inspectItem) {
	if len(ii.KeysGiven) == 0 {
		return
	}
	if ii.SignedBy == nil {
		fmt.Fprintln(w, "    (a signature over a blob: only verify-attestation with the artifact can check it)")
		return
	}
	for i, ids := range ii.SignedBy {
		if len(ids) == 0 {
			fmt.Fprintf(w, "    signature %d: made by none of the keys given (%s)\n", i+1, shortIDs(ii.KeysGiven))
			continue
		}
		fmt.Fprintf(w, "    signature %d: made by %s\n", i+1, shortIDs(ids))
	}
}
