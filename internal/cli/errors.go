package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sbom"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// Exit codes (DESIGN.md).
const (
	ExitOK       = 0
	ExitError    = 1 // bad input, I/O
	ExitUsage    = 2 // wrong flags or arguments
	ExitVerifyNo = 3 // verification ran, and the answer is no
)

// usageError marks an error in how consign was called.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// hinted carries a hint for one error site that no sentinel covers.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() }
func (h hinted) Unwrap() error { return h.err }

func withHint(err error, hint string) error { return hinted{err, hint} }

// hints maps sentinel errors to what the user can do about them; the first
// match wins, so more specific sentinels come first.
var hints = []struct {
	err  error
	hint string
	code int
}{
	{sign.ErrWrongPassword, "set CONSIGN_PASSWORD (or COSIGN_PASSWORD) to the password the key was created with", ExitError},
	{sign.ErrNoPassword, "set CONSIGN_PASSWORD (or COSIGN_PASSWORD), or run consign on a terminal to be asked for it", ExitError},
	{sign.ErrNotPrivateKey, "--key needs the private key file (consign.key), not the .pub", ExitError},
	{sign.ErrNotPublicKey, "pass the public key (the .pub file) here; never hand out the private key", ExitError},
	{sign.ErrUnsupportedKey, "use an ECDSA P-256/P-384/P-521, Ed25519 or RSA (2048 bits or more) key; 'consign keygen' makes one", ExitError},
	{sign.ErrInvalidKey, "check that the file is a PEM key (cosign.key/cosign.pub, PKCS #8 or PKIX)", ExitError},
	{fsutil.ErrExists, "pass --force to overwrite it, or choose another name", ExitError},
	{fsutil.ErrNotRegular, "the destination is a directory or special file; give a file name", ExitError},
	{sbom.ErrGoModCache, "check --go-mod-cache; 'go env GOMODCACHE' prints the go command's module cache", ExitError},
	{sbom.ErrCoverage, "", ExitVerifyNo},
	{sbom.ErrUnknownElement, "elements: supplier, name, version, identifiers, dependencies, author, timestamp, hashes, licenses", ExitUsage},
	{sbom.ErrUnsupportedFormat, "consign reads CycloneDX 1.2-1.7 (JSON or XML) and SPDX 2.2-2.3 (JSON or tag-value)", ExitError},
	{sbom.ErrMalformed, "the file does not parse as the SBOM format it claims to be; check the tool that made it", ExitError},
	{sbom.ErrNoTarget, "give a directory, a file, an archive, or an image as registry:HOST/REPO:TAG, oci-dir:PATH, oci-archive:PATH or docker-archive:PATH", ExitError},
	{sbom.ErrImage, "check the reference, and that the Docker configuration (DOCKER_CONFIG, or 'docker login HOST') holds credentials for the registry", ExitError},
	{sbom.ErrArchive, "the archive is corrupt, unsafe (an entry outside it, a name twice) or over consign's extraction limits; check that it is the file you meant", ExitError},
	{sbom.ErrScan, "syft could not catalogue the target; this is likely a bug: please report it with the target's kind", ExitError},
	{limits.ErrNotFile, "give a file, not a directory", ExitError},
	{limits.ErrTooLarge, "the input is over consign's size limit for that kind of file; check that it is the file you meant", ExitError},
	{attest.ErrSignature, "pass the signer's public key with --key; 'consign inspect FILE' shows the key ids that signed it", ExitVerifyNo},
	{attest.ErrWrongType, "check --type; 'consign inspect FILE' shows each attestation's predicate type", ExitVerifyNo},
	{attest.ErrSubjectMismatch, "the attestation is about other artifacts; 'consign inspect FILE' lists its subjects", ExitVerifyNo},
	{attest.ErrNothingToVerify, "check the file: an .intoto.jsonl holds one DSSE envelope per line", ExitVerifyNo},
	{verify.ErrRollback, "a newer policy (or a later clock) was seen before for this product; use the newer policy, or fix the clock", ExitVerifyNo},
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
	{tlog.ErrRollback, "ALERT: the log shrank: entries it had published are gone; keep the monitor's state as evidence and tell the log's operator", ExitVerifyNo},
	{tlog.ErrFork, "ALERT: the log shows two different histories (a split view); keep both checkpoints as evidence and tell the log's operator", ExitVerifyNo},
	{tlog.ErrConsistency, "ALERT: the log could not prove it only grew; keep the monitor's state as evidence and check again", ExitVerifyNo},
	{tlog.ErrCheckpointSignature, "the checkpoint is not signed by the log key you gave; check --log-key (the log's key comes from its operator or your policy, never from the server)", ExitVerifyNo},
	{tlog.ErrOrigin, "the receipt or checkpoint is from another log than the key's; check --log-key", ExitVerifyNo},
	{tlog.ErrBinding, "the receipt is for another attestation; keep each .receipts.jsonl with its .intoto.jsonl, in the same order", ExitVerifyNo},
	{tlog.ErrWitness, "the checkpoint lacks the witness cosignatures required; check --witness-key and --witness-threshold", ExitVerifyNo},
	{tlog.ErrUnverified, "", ExitVerifyNo},
	{tlog.ErrMalformed, "the file is not a consign receipt, checkpoint or log key (a log key is one line: origin+hash+key, as in log.pub)", ExitError},
	{server.ErrUnauthorized, "pass a token with --token or CONSIGN_TOKEN ('consign admin token create' makes one); it may have been revoked", ExitError},
	{server.ErrForbidden, "the token is scoped to other products or keys; 'consign admin token list --db DB' shows each token's scope", ExitError},
	{server.ErrRateLimited, "the token is over its rate; wait as long as the server said and retry", ExitError},
	{server.ErrOverloaded, "the log is busy; retry in a few seconds", ExitError},
	{server.ErrTooLarge, "the request is over the server's limits; publish fewer or smaller attestations at a time", ExitError},
	{server.ErrNotFound, "nothing there (or nothing this token may read)", ExitError},
	{server.ErrBadRequest, "the server refused the request; the message says why", ExitError},
	{server.ErrServer, "check --server and that the server is running ('consign serve')", ExitError},
	{store.ErrIdentity, "the database already holds a log with another key or origin: start the server with that log's --log-key, or use another database", ExitError},
	{store.ErrNotFound, "nothing by that name in the database", ExitError},
	{pack.ErrNotPassed, "fix what the report shows, then pack again; 'consign verify' gives the same report", ExitVerifyNo},
	{pack.ErrFormat, "give the .pack file 'consign pack' wrote (a tar, plain or gzip); a download cut short reads like this too", ExitError},
	{pack.ErrTooLarge, "the pack is over verify-pack's limits; if you expect it to be this large, raise --max-size or --max-ratio", ExitVerifyNo},
	{pack.ErrInvalid, "the pack was altered or damaged after it was made; ask the vendor for it again", ExitVerifyNo},
	{fs.ErrNotExist, "check the path", ExitError},
	{fs.ErrPermission, "check the file's permissions", ExitError},
}

// report prints err as one line plus a hint, and returns the exit code.
func report(w io.Writer, err error) int {
	msg := err.Error()
	fmt.Fprintf(w, "consign: error: %s\n", firstLine(msg))
	var h hinted
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "consign: hint: %s\n", h.hint)
	}
	var u usageError
	if errors.As(err, &u) || isCobraUsage(msg) {
		if !errors.As(err, &h) {
			fmt.Fprintf(w, "consign: hint: run 'consign help' or 'consign COMMAND --help'\n")
		}
		return ExitUsage
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		return ec.code
	}
	var vf verifyFailed
	if errors.As(err, &vf) {
		for _, e := range hints {
			if vf.first != nil && errors.Is(vf.first, e.err) && e.hint != "" {
				fmt.Fprintf(w, "consign: hint: %s\n", e.hint)
				break
			}
		}
		return ExitVerifyNo
	}
	for _, e := range hints {
		if errors.Is(err, e.err) {
			if e.hint != "" && !errors.As(err, &h) {
				fmt.Fprintf(w, "consign: hint: %s\n", e.hint)
			}
			return e.code
		}
	}
	return ExitError
}

// verifyFailed is returned by commands that already printed why
// verification failed and only need the exit code.
type verifyFailed struct {
	n     int
	first error // the first failure, which picks the hint
}

func (v verifyFailed) Error() string {
	if v.n == 1 {
		return "verification failed: 1 check failed"
	}
	return fmt.Sprintf("verification failed: %d checks failed", v.n)
}

func isCobraUsage(msg string) bool {
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "accepts ", "requires at least", "flag needs an argument", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}
