// Package attestations holds the JSON Schemas consign checks predicates
// against before it signs them, with an example statement for each
// predicate type consign defines or reads. The files are data; this package only
// embeds them.
package attestations

import "embed"

// Schemas holds schemas/*.json; each schema's $id is the predicate type it checks.
//
//go:embed schemas/*.json
var Schemas embed.FS

// Examples holds examples/*.json: one in-toto Statement per predicate type
// consign defines (intake, delivery, patch) or reads field by field (link,
// SLSA provenance, test result, VSA).
//
//go:embed examples/*.json
var Examples embed.FS
