package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/sigstore"
	"github.com/consign-dev/consign/internal/sigstore/tufroot"
	"github.com/consign-dev/consign/internal/slsa"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// Exit codes, as the README documents them.
const (
	ExitOK       = 0
	ExitError    = 1 // bad input, I/O
	ExitUsage    = 2 // wrong flags or arguments
	ExitVerifyNo = 3 // verification ran, and the answer is no
)

// Error is how a command says which exit code consign ends with and what
// the user can do about it. Errors reach [Run], which prints the message and
// the hint once and returns the code; nothing else picks either.
//
// A zero Code takes the code of the first [hints] entry that Err matches
// (with [errors.Is]), else [ExitError]. An empty Hint takes that entry's
// hint; a usage error without a hint points at the help. Where one Error
// wraps another, the outer one's Code and Hint win.
type Error struct {
	Code int
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// usagef is a usage error (exit 2): consign was called the wrong way.
func usagef(format string, a ...any) error {
	return &Error{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// usageErr marks err as a usage error (exit 2).
func usageErr(err error) error { return &Error{Code: ExitUsage, Err: err} }

// withHint gives err a hint of its own, for a site no sentinel covers.
func withHint(err error, hint string) error { return &Error{Err: err, Hint: hint} }

// verifyNo marks err as a "no" from verification (exit 3), whatever the
// table says of its sentinel; the hint still comes from the table.
func verifyNo(err error) error { return &Error{Code: ExitVerifyNo, Err: err} }

// checksFailed is returned by commands that already printed why n checks
// failed; the first failure picks the hint.
func checksFailed(n int, first error) error {
	_, hint := lookup(first)
	return &Error{Code: ExitVerifyNo, Err: errors.New("verification failed: " + checksCount(n)), Hint: hint}
}

// checksCount says that n checks failed, for an error line under a report
// that already gave each reason.
func checksCount(n int) string {
	if n == 1 {
		return "1 check failed"
	}
	return fmt.Sprintf("%d checks failed", n)
}

// usageArgs makes the errors of a cobra argument validator usage errors.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageErr(err)
		}
		return nil
	}
}

// hints maps sentinel errors to what the user can do about them; the first
// match wins, so more specific sentinels come first.
var hints = []struct {
	err  error
	hint string
	code int
}{
	{client.ErrURL, "--server takes the server's URL as 'consign serve' prints it, e.g. http://127.0.0.1:8080", ExitUsage},
	{sign.ErrWrongPassword, "set CONSIGN_PASSWORD (or COSIGN_PASSWORD) to the password the key was created with", ExitError},
	{sign.ErrNoPassword, "set CONSIGN_PASSWORD (or COSIGN_PASSWORD), or run consign on a terminal to be asked for it", ExitError},
	{sign.ErrNotPrivateKey, "--key needs the private key file (consign.key), not the .pub", ExitError},
	{sign.ErrNotPublicKey, "pass the public key (the .pub file) here; never hand out the private key", ExitError},
	{sign.ErrUnsupportedKey, "use an ECDSA P-256/P-384/P-521, Ed25519 or RSA (2048 bits or more) key; 'consign keygen' makes one", ExitError},
	{sign.ErrInvalidKey, "check that the file is a PEM key (cosign.key/cosign.pub, PKCS #8 or PKIX)", ExitError},
	{fsutil.ErrSymlink, "give the path of the file the link points to, or remove the link", ExitError},
	{fsutil.ErrExists, "pass --force to overwrite it, or choose another name", ExitError},
	{fsutil.ErrNotRegular, "the destination is a directory or special file; give a file name", ExitError},
	{sbomdoc.ErrCoverage, "", ExitVerifyNo},
	{sbomdoc.ErrProfile, "the profile above shows each element missing and the components that miss it", ExitVerifyNo},
	{sbomdoc.ErrUnknownProfile, "profiles: ntia, cisa-2025, bsi-tr-03183-2, fsct", ExitUsage},
	{sbomdoc.ErrInvalid, "the lines above say where the SBOM breaks its format's rules; fix the tool that made it, or pass --no-schema to measure its coverage anyway", ExitVerifyNo},
	{sbomdoc.ErrUnknownElement, "elements: supplier, name, version, identifiers, dependencies, author, timestamp, hashes, licenses", ExitUsage},
	{sbomdoc.ErrUnsupportedFormat, "consign reads CycloneDX 1.2-1.7 (JSON or XML), SPDX 2.2-2.3 (JSON or tag-value), SPDX 3.0 and 3.0.1 (JSON-LD) and syft JSON", ExitError},
	{sbomdoc.ErrMalformed, "the file does not parse as the SBOM format it claims to be; check the tool that made it", ExitError},
	{limits.ErrNotFile, "give a regular file (or a named pipe, read to its end), not a directory, device or socket", ExitError},
	{limits.ErrTooLarge, "the input is over consign's size limit for that kind of file; check that it is the file you meant", ExitError},
	{attest.ErrSignature, "pass the signer's public key with --key; 'consign inspect --key PUB FILE' says which of your keys made each signature", ExitVerifyNo},
	{attest.ErrWrongType, "check --type; 'consign inspect FILE' shows each attestation's predicate type", ExitVerifyNo},
	{attest.ErrSubjectMismatch, "the attestation is about other artifacts; 'consign inspect FILE' lists its subjects", ExitVerifyNo},
	{attest.ErrEmpty, "an .intoto.jsonl holds one DSSE envelope per line, as 'consign attest' and 'consign run' write it; check that this is the file you meant", ExitError},
	{attest.ErrNothingToVerify, "check the file: an .intoto.jsonl holds one DSSE envelope per line", ExitVerifyNo},
	{slsa.ErrNeedsOnline, "the provenance carries no transparency log entry (the SLSA GitHub generators before v2.1.0 write a bare DSSE envelope); verify it online with slsa-verifier, or rebuild with a generator that writes a Sigstore bundle", ExitVerifyNo},
	{slsa.ErrVSA, "check --public-key-path and --public-key-id against who signed the VSA, and the other flags against what it says ('--print-attestation' shows it once it verifies)", ExitVerifyNo},
	{slsa.ErrVerifierNotSupported, "consign slsa verify-image knows the github.com workflows (by default the SLSA GitHub container generator) and Google Cloud Build (https://cloudbuild.googleapis.com/GoogleHostedWorker): check --builder-id", ExitVerifyNo},
	{slsa.ErrNoValidSignature, "no provenance verifies. GitHub builders: 'consign discover IMAGE' lists what is attached, and an attestation without its Rekor entry (cosign's bundle annotation) needs an online search. Cloud Build: --provenance-path must be gcloud's --show-provenance output for this image, signed by Cloud Build's keys", ExitVerifyNo},
	{slsa.ErrConfig, usageHint, ExitUsage},
	{slsa.ErrNpmKeys, "--npm-keys takes the npm registry's keys.json, the registry.npmjs.org/keys.json target of the Sigstore public-good TUF repository ('consign trust-root update --npm-keys-out F' fetches it)", ExitError},
	{slsa.ErrNpmAttestations, "--attestations-path takes the package's attestations as the npm registry serves them: {\"attestations\": [the SLSA provenance, the publish attestation]}", ExitError},
	{slsa.ErrInvalidSignature, "an attestation's signature, certificate or log entry does not verify: check that --trusted-root (and, for npm's publish attestation, --npm-keys) is the one its signer publishes, and that the file is unaltered", ExitVerifyNo},
	{slsa.ErrUnverified, "the provenance is signed, but not for what was asked: check --source-uri, --builder-id and the --source-* flags against the build", ExitVerifyNo},
	{tufroot.ErrTUF, "the repository did not verify from the TUF root consign trusts: check --tuf-url, and pass that repository's own root with --tuf-root; a rollback or expiry error means the repository (or something between) serves stale metadata", ExitVerifyNo},
	{tufroot.ErrTrustedRoot, "the repository's trusted_root.json target is not a Sigstore trusted root", ExitVerifyNo},
	{tufroot.ErrFetch, "check --tuf-url and the network; nothing was written", ExitError},
	{tufroot.ErrConfig, usageHint, ExitUsage},
	{sigstore.ErrIdentity, "the bundle was signed by someone else; check --certificate-identity, --certificate-oidc-issuer and the --certificate-github-workflow-* flags against who signed it", ExitVerifyNo},
	{sigstore.ErrLogEntry, "the bundle's transparency log entry is for another artifact, signature or key: the bundle was altered or assembled from parts", ExitVerifyNo},
	{sigstore.ErrUnverified, "check that --trusted-root is the trusted root of the Sigstore instance that signed the bundle, and that the artifact is the one signed", ExitVerifyNo},
	{sigstore.ErrConfig, usageHint, ExitUsage},
	{sigstore.ErrTrustedRoot, "--trusted-root must be a trusted_root.json (the Sigstore protobuf-specs TrustedRoot, JSON)", ExitError},
	{sigstore.ErrBundle, "the file is not a Sigstore bundle v0.1-v0.3 (JSON), or it was damaged", ExitError},
	{verify.ErrRollback, "a newer policy or pack (or a later clock) was verified before for this product: verify the newer one; to verify an older release on purpose, pass --no-state; if the clock is wrong, fix it", ExitVerifyNo},
	{evidence.ErrNoAttestationFiles, "give the directory the attestations are in, or the files themselves (--attestations FILE, repeatable); 'consign attest' and 'consign run' write NAME.intoto.jsonl", ExitError},
	{evidence.ErrCorruptState, "consign never starts a damaged state afresh on its own (that would forget every version verified): restore the file, or move it away to start over on purpose", ExitError},
	{verify.ErrNotSatisfied, "the report above shows which stage, rule, check or artifact failed, and why", ExitVerifyNo},
	{policy.ErrSignature, "--trust-root must be the product owner's public key, the one that signed the policy", ExitVerifyNo},
	{policy.ErrOwner, "the policy names another owner than the key that signed it; sign it with the owner's key", ExitVerifyNo},
	{policy.ErrExpired, "the policy has expired; ask the product owner for a current signed policy", ExitVerifyNo},
	{attest.ErrUnverified, "", ExitVerifyNo},
	{attest.ErrPredicate, "fix the predicate file; the schemas live in consign's attestations/ directory", ExitError},
	{attest.ErrPayloadType, "only in-toto attestations (payloadType application/vnd.in-toto+json) are accepted", ExitError},
	{policy.ErrOwnerKey, "sign with the private key of the owner the policy names (owner: key or keyid)", ExitError},
	{policy.ErrPayloadType, "a signed policy is what 'consign policy sign' writes (payloadType application/vnd.consign.policy+yaml)", ExitError},
	{policy.ErrInvalid, "run 'consign policy check FILE': it lists every problem with its line number", ExitError},
	{verify.ErrLayout, "check the file: an in-toto v0.9 layout, signed (Metablock or DSSE)", ExitError},
	{attest.ErrInvalid, "the file is not a valid attestation; 'consign inspect FILE' shows what it holds", ExitError},
	{digest.ErrInvalid, "a digest is written sha256:<64 lowercase hex digits>", ExitError},
	{digest.ErrOutsideRoot, "paths must stay inside the directory being recorded", ExitError},
	{digest.ErrNotRegular, "consign hashes regular files (and a named pipe given by name, read to its end), never a device or socket; inside a directory, remove the file or leave it out with --exclude where the command takes it, or name the files to hash", ExitError},
	{tlog.ErrRollback, "ALERT: the log shrank: entries it had published are gone; keep the monitor's state as evidence and tell the log's operator", ExitVerifyNo},
	{tlog.ErrFork, "ALERT: the log shows two different histories (a split view); keep both checkpoints as evidence and tell the log's operator", ExitVerifyNo},
	{tlog.ErrConsistency, "ALERT: the log could not prove it only grew; keep the monitor's state as evidence and check again", ExitVerifyNo},
	{tlog.ErrCheckpointSignature, "the checkpoint is not signed by the log key you gave; check --log-key (the log's key comes from its operator or your policy, never from the server)", ExitVerifyNo},
	{tlog.ErrOrigin, "the receipt or checkpoint is from another log than the key's; check --log-key", ExitVerifyNo},
	{tlog.ErrBinding, "the receipt is for another attestation; keep each .receipts.jsonl with its .intoto.jsonl, in the same order", ExitVerifyNo},
	{tlog.ErrWitness, "the checkpoint lacks the witness cosignatures required; check --witness-key and --witness-threshold", ExitVerifyNo},
	{tlog.ErrUnverified, "", ExitVerifyNo},
	{tlog.ErrNoOrigin, "a PEM log key (log.pub) does not say which log it is for: pass --log-origin too, or give the log's verifier key (log.vkey), which names it", ExitUsage},
	{tlog.ErrMalformed, "the file is not a consign receipt, checkpoint or log key (a log key is one line: origin+hash+key, as in log.vkey; or a PEM Ed25519 key with --log-origin)", ExitError},
	{client.ErrStalled, "no byte moved between consign and the server for that long: check that the server is up and not overloaded, and the network between; then run the command again (an attestation published twice is logged once)", ExitError},
	{api.ErrTimeout, "the server stopped waiting for the request: its bytes arrived too slowly (or stopped); check the network and this machine's load, then run the command again", ExitError},
	{api.ErrUnauthorized, "pass a token with --token or CONSIGN_TOKEN ('consign admin token create' makes one); it may have been revoked", ExitError},
	{api.ErrForbidden, "the token is scoped to other products or keys; 'consign admin token list --db DB' shows each token's scope", ExitError},
	{api.ErrRateLimited, "the server kept refusing this token's requests after consign waited as it asked (up to 5 minutes in all for a command): the token is over its rate (serve --rate) or has too many publishes or bytes in flight (serve --token-in-flight-requests, --token-in-flight-bytes); run fewer commands with this token at once, or ask the server's operator to raise those limits, then run again (an attestation published twice is logged once)", ExitError},
	{api.ErrOverloaded, "the log stayed busy after consign waited as it asked (up to 5 minutes in all for a command); run the command again in a few minutes (an attestation published twice is logged once)", ExitError},
	{api.ErrTooLarge, "the request is over one of the server's limits (the message says which): split the file into smaller ones, or ask the server's operator to raise the limit (a token's bytes in flight: serve --token-in-flight-bytes)", ExitError},
	{api.ErrNotFound, "nothing there (or nothing this token may read)", ExitError},
	{server.ErrTokenConfig, "change --product, --key, --role or --expires as the message says; see 'consign admin token create --help'", ExitUsage},
	{api.ErrBadRequest, "the server refused the request; the message says why", ExitError},
	{api.ErrServer, "check --server and that the server is running ('consign serve')", ExitError},
	{store.ErrIdentity, "the database already holds a log with another key or origin: start the server with that log's --log-key, or use another database", ExitError},
	{store.ErrNotFound, "nothing by that name in the database", ExitError},
	{pack.ErrNotPassed, "fix what the report shows, then pack again; 'consign verify' gives the same report", ExitVerifyNo},
	{pack.ErrFormat, "give the .pack file 'consign pack' wrote (a tar, plain or gzip); a download cut short reads like this too", ExitError},
	{pack.ErrTooLarge, "the pack is over verify-pack's limits; if you expect it to be this large, raise --max-size or --max-ratio", ExitVerifyNo},
	{pack.ErrInvalid, "the pack was altered or damaged after it was made; ask the vendor for it again", ExitVerifyNo},
	{oci.ErrNoSignature, "pass the signer's public key with --key; 'consign discover IMAGE' lists what is attached", ExitVerifyNo},
	{oci.ErrUnauthorized, "log in with 'docker login HOST' (consign reads the Docker configuration and its credential helpers), or set CONSIGN_REGISTRY_USERNAME and CONSIGN_REGISTRY_PASSWORD", ExitError},
	{oci.ErrDenied, "the credentials may not read (or write) this repository; check the repository name and the account's permissions", ExitError},
	{oci.ErrNotFound, "check the image reference (HOST/REPOSITORY:TAG or @sha256:HEX) and that it was pushed", ExitError},
	{oci.ErrInsecure, "pass --insecure-registry to use plain HTTP with a local test registry", ExitError},
	{oci.ErrNotAboutImage, "the envelope's subjects name other artifacts; 'consign attest --image IMAGE' makes one about the image", ExitError},
	{oci.ErrSubjectMismatch, "the registry holds something about another image; do not trust it, and tell the registry's owner", ExitVerifyNo},
	{oci.ErrUntrusted, "the registry sent data that does not check out against its digest or consign's limits; do not trust it", ExitVerifyNo},
	{oci.ErrLayout, "give an OCI image layout directory as 'cosign save' writes it (oci-layout, index.json, blobs/sha256/), or a registry reference", ExitError},
	{oci.ErrReference, "an image is HOST/REPOSITORY:TAG or HOST/REPOSITORY@sha256:HEX", ExitUsage},
	{oci.ErrLayerFiles, "registry push takes regular files with distinct base names, up to 64 MiB in all", ExitError},
	{oci.ErrMode, "--attach-mode is referrers, tag or both", ExitUsage},
	{oci.ErrRegistry, "the registry failed after retries; check that it is up and reachable", ExitError},
	{fs.ErrNotExist, "check the path", ExitError},
	{fs.ErrPermission, "check the file's permissions", ExitError},
}

const usageHint = "run 'consign help' or 'consign COMMAND --help'"

// report prints err as one line plus a hint, and returns the exit code.
func report(w io.Writer, err error, cmd *cobra.Command) int {
	code, hint := classify(err)
	if hint == usageHint && cmd != nil {
		// The command that was run is known: point at its own help rather
		// than a 'consign COMMAND --help' the user has to fill in.
		hint = fmt.Sprintf("run '%s --help' for its flags and arguments", cmd.CommandPath())
	}
	if tellsToRun(hint, cmd) {
		// "run 'consign policy check FILE'" after 'consign policy check':
		// a hint must not send the user back to what they just ran.
		hint = ""
	}
	fmt.Fprintf(w, "consign: error: %s\n", firstLine(err.Error()))
	if hint != "" {
		fmt.Fprintf(w, "consign: hint: %s\n", hint)
	}
	return code
}

// tellsToRun reports whether hint suggests running cmd itself, with the
// same flags or none (a hint naming a flag the user may not have given,
// like 'consign inspect --key PUB FILE', is kept).
func tellsToRun(hint string, cmd *cobra.Command) bool {
	if cmd == nil || !cmd.HasParent() {
		return false
	}
	path := cmd.CommandPath()
	for _, q := range strings.Split(hint, "'")[1:] {
		rest, ok := strings.CutPrefix(q, path+" ")
		if !ok {
			continue
		}
		if words := strings.Fields(rest); len(words) > 0 {
			if sub, _, err := cmd.Find(words[:1]); err == nil && sub != cmd {
				continue // a subcommand of cmd: another command
			}
		}
		if !strings.Contains(rest, "-") {
			return true
		}
		flagsSet := true
		for _, w := range strings.Fields(rest) {
			if name, ok := strings.CutPrefix(w, "--"); ok && !cmd.Flags().Changed(name) {
				flagsSet = false
			}
		}
		if flagsSet {
			return true
		}
	}
	return false
}

// classify picks err's exit code and hint: what the [Error]s in its chain
// set, the outermost first, and the rest from the table.
func classify(err error) (code int, hint string) {
	for e := err; ; {
		var ce *Error
		if !errors.As(e, &ce) {
			break
		}
		if code == 0 {
			code = ce.Code
		}
		if hint == "" {
			hint = ce.Hint
		}
		e = ce.Err
	}
	if code == ExitUsage {
		if hint == "" {
			hint = usageHint
		}
		return code, hint
	}
	tcode, thint := lookup(err)
	if code == 0 {
		code = tcode
	}
	if hint == "" {
		hint = thint
	}
	return code, hint
}

// lookup returns the code and hint of the first table entry err matches,
// or ExitError and no hint.
func lookup(err error) (code int, hint string) {
	if err == nil {
		return ExitError, ""
	}
	for _, e := range hints {
		if errors.Is(err, e.err) {
			return e.code, e.hint
		}
	}
	return ExitError, ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.HasAvailableSubCommands() {
		return unknownCommand(cmd, args[0])
	}
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
