package attest

import (
	"errors"
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

// cosignNames are cosign's --type names that mean exactly a type consign
// knows, so a cosign user's habit works as it does there.
var cosignNames = map[string]string{
	"slsaprovenance1": PredicateSLSAProvenance,
	"spdxjson":        PredicateSPDX,
}

// ErrCosignSLSA02 is a --type of cosign's names for SLSA provenance v0.2,
// which consign's "slsa" (v1) is not.
var ErrCosignSLSA02 = errors.New("is cosign's name for SLSA provenance v0.2")

// ErrUnknownType is a predicate type that is neither a short name (consign's
// or cosign's) nor an absolute URI.
var ErrUnknownType = errors.New("is neither a short name nor an absolute URI")

// ResolveType turns a short name or an absolute URI into a predicate type URI.
func ResolveType(s string) (string, error) {
	uri, err := ResolveTypeName(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return uri, nil
}

// ResolveTypeName is [ResolveType] for a name given on the command line: its
// error (wrapping [ErrCosignSLSA02] or [ErrUnknownType]) says only what is
// wrong with the name.
func ResolveTypeName(s string) (string, error) {
	if uri, ok := ShortNames[strings.ToLower(s)]; ok {
		return uri, nil
	}
	if uri, ok := cosignNames[strings.ToLower(s)]; ok {
		return uri, nil
	}
	switch strings.ToLower(s) {
	case "slsaprovenance", "slsaprovenance02":
		return "", fmt.Errorf("predicate type %q %w", s, ErrCosignSLSA02)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" && u.Scheme != "urn" {
		return "", fmt.Errorf("predicate type %q %w", s, ErrUnknownType)
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
