// Package tufroot fetches a Sigstore trusted root (trusted_root.json)
// through TUF, for the one command that goes online for it
// ('consign trust-root update'). Nothing else in consign fetches a trust
// root: verifiers read the file this package wrote.
//
// # Trust model
//
// The TUF client is sigstore-go's (pkg/tuf), over go-tuf v2. It starts from
// a TUF root the caller trusts: by default the public-good instance's root
// that sigstore-go embeds, or one the caller passes (another instance's,
// such as GitHub's). From there the TUF client-workflow walks the root
// versions, then timestamp, snapshot and targets, checking each role's
// signatures against its threshold of keys, its expiry and its version, and
// finally the target's length and hashes. Metadata already seen is kept in a
// cache directory, so that a repository serving older metadata than it
// served before (a rollback) is refused.
//
// # Errors
//
// [Fetch] returns [ErrConfig] for unusable options, [ErrFetch] when the
// repository cannot be read, [ErrTUF] when it does not verify, and
// [ErrTrustedRoot] when the verified target is not a Sigstore trusted root.
package tufroot
