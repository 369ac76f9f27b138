// Package attestations holds the JSON Schemas consign checks predicates
// against before it signs them, with an example statement for each of
// consign's own predicate types. The files are data; this package only
// embeds them.
package attestations

import "embed"

// Schemas holds schemas/*.json; each schema's $id is the predicate type it checks.
//
//go:embed schemas/*.json
var Schemas embed.FS

// Examples holds examples/*.json: one in-toto Statement per consign predicate type.
//
//go:embed examples/*.json
var Examples embed.FS
