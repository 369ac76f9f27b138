// Package report renders the results of verification for people and
// machines: a policy or in-toto layout verification ([verify.Result]), an
// evidence pack's verification ([pack.Result]), the plan of a pack just
// written ([pack.Plan]) and the unverified listing of a pack
// ([pack.Listing]). It is the one renderer: the commands print through it,
// and the engines produce data, never text.
//
// # Text
//
// A verification is an indented tree, one node per line, each starting with
// PASS or FAIL (or ---- for what neither passed nor failed, such as an
// attestation no stage counted): the policy, each stage, the attestations
// that counted for it and their signers, its rules and checks, then the
// artifacts, and a last line that sums up. A pack's report wraps the same
// tree with the pack, its log, SBOMs and VSA.
//
// # JSON
//
// JSON is the result's own encoding, one object and a newline. A
// [verify.Result] carries its media type ([verify.ResultMediaType]) in the
// field "mediaType", versioned so that a consumer can tell which shape it
// reads.
package report
