package attest

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Predicate types consign knows by name.
const (
	PredicateSLSAProvenance = "https://slsa.dev/provenance/v1"
	PredicateLink           = "https://in-toto.io/attestation/link/v0.3"
	PredicateCycloneDX      = "https://cyclonedx.org/bom"
	PredicateSPDX           = "https://spdx.dev/Document"
	PredicateTestResult     = "https://in-toto.io/attestation/test-result/v0.1"
	PredicateVSA            = "https://slsa.dev/verification_summary/v1"
	PredicateIntake         = "https://consign.dev/attestation/intake/v1"
	PredicateDelivery       = "https://consign.dev/attestation/delivery/v1"
	PredicatePatch          = "https://consign.dev/attestation/patch/v1"
	PredicateAudit          = "https://consign.dev/attestation/audit/v1"
)

// ShortNames maps the names accepted by --type to predicate type URIs.
var ShortNames = map[string]string{
	"slsa":      PredicateSLSAProvenance,
	"link":      PredicateLink,
	"cyclonedx": PredicateCycloneDX,
	"spdx":      PredicateSPDX,
	"test":      PredicateTestResult,
	"vsa":       PredicateVSA,
	"intake":    PredicateIntake,
	"delivery":  PredicateDelivery,
	"patch":     PredicatePatch,
	"audit":     PredicateAudit,
}

// ShortNameList is the sorted list of short names, for help texts.
func ShortNameList() string {
	names := make([]string, 0, len(ShortNames))
	for n := range ShortNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// ResolveType turns a short name or an absolute URI into a predicate type URI.
func ResolveType(s string) (string, error) {
	if uri, ok := ShortNames[strings.ToLower(s)]; ok {
		return uri, nil
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" && u.Scheme != "urn" {
		return "", fmt.Errorf("%w: predicate type %q is neither a short name (%s) nor an absolute URI", ErrInvalid, s, ShortNameList())
	}
	return s, nil
}

// ShortName returns the short name of a predicate type URI, or the URI itself.
func ShortName(uri string) string {
	for n, u := range ShortNames {
		if u == uri {
			return n
		}
	}
	return uri
}
