// Package interop proves, in tests only, that consign interoperates with the
// reference implementations it claims to speak with: cosign v2 (key files,
// blob signatures and blob attestations in every output format it writes
// offline), in-toto-golang (v0.9 links and layouts), the in-toto attestation
// framework's Go types, and go-securesystemslib's DSSE. Every test runs the
// other project's real code in process, with keys made in the test, and never
// reaches the network. The package has no code of its own.
package interop
