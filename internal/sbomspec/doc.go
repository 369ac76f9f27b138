// Package sbomspec describes an SBOM job without syft: what 'consign sbom'
// asks for ([Request]: the target, the scan's options, the [Output]s in
// their [Format]s, the signer), how the scan reports its [Progress], and
// what comes back ([SBOMs]). Package sbomgen carries a Request out with
// syft; package cli builds one from its flags and prints what comes back.
// Both use these types directly, so that a new option is written once.
//
// It links no syft: the consign binary, which runs consign-sbom for
// 'consign sbom TARGET', parses and checks the flags with it all the same.
// Reading, checking and comparing SBOM documents is package sbomdoc's,
// on the customer's side; this package is the generator's contract.
//
// # Errors
//
// [ParseFormat] returns errors wrapping [sbomdoc.ErrUnsupportedFormat];
// [Config.Validate] and [Request.Validate] errors wrapping [ErrConfig]
// ([ErrGoModCache] for a module cache that is not a directory).
package sbomspec
