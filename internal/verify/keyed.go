package verify

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// LoggedBundle is a key-signed Sigstore bundle whose transparency log
// entry verified.
type LoggedBundle struct {
	// LoggedAt is the earliest verified time the signature was observed
	// at (a log's integrated time, a timestamp authority's token).
	LoggedAt time.Time
	// Payload is the DSSE payload that verified.
	Payload []byte
}

// policyRoot is a trusted root of the policy and its bytes: carried in
// the policy, or given (cfg.TrustedRoots) with the digest the policy names;
// nil when it was named by digest and not given.
type policyRoot struct {
	root *policy.TrustedRoot
	data []byte
}

// rootData returns the bytes of r: its own, or the given root whose
// SHA-256 the policy names. A given root the policy does not name is never
// used.
func rootData(r *policy.TrustedRoot, given [][]byte) []byte {
	if r.JSON != nil {
		return r.JSON
	}
	for _, b := range given {
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) == r.SHA256 {
			return b
		}
	}
	return nil
}

// sha256Subject returns the first SHA-256 digest among st's subjects, or nil.
func sha256Subject(st *attest.Statement) []byte {
	for _, s := range st.Subject {
		if b := sha256Of(s.Digest); b != nil {
			return b
		}
	}
	return nil
}

// sha256SubjectOf is [sha256Subject] of subjects in a table.
func sha256SubjectOf(subjects *digest.Table) []byte {
	for i := range subjects.Len() {
		if b := sha256Of(subjects.Set(i)); b != nil {
			return b
		}
	}
	return nil
}

// sha256Of returns d's sha256 value, decoded, or nil.
func sha256Of(d digest.Set) []byte {
	if v := d[digest.SHA256]; v != "" {
		if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
			return b
		}
	}
	return nil
}

// keyedBundleCandidate reports whether an item is a Sigstore bundle that
// a policy key signed: it counts only once its transparency log entry
// verifies too.
func keyedBundleCandidate(it *item) bool {
	return it.err == nil && len(it.signers) > 0 && it.env != nil && it.bundle
}

// checkKeyedBundle verifies the transparency log entry of a bundle that
// policy keys signed, as a keyless bundle's is verified: in full, by v,
// against a trusted root of the policy, with the key that signed it. A
// Sigstore bundle promises a log entry; one without, one whose entry does
// not verify, or one the policy gives no trusted root to check against
// counts for nothing (it fails closed), and the report says why. Each key
// that signed the bundle keeps its signature only if the bundle verifies
// with that key.
func checkKeyedBundle(it *item, roots []policyRoot, v BundleVerifier, ix *keyIndex) {
	defer func() {
		if r := recover(); r != nil {
			it.err = fmt.Errorf("%w: internal error verifying the bundle: %v", attest.ErrInvalid, r)
			it.signers = nil
		}
	}()
	refuse := func(why string) {
		it.signers = nil
		it.res.Status, it.res.Reason = StatusUnused, "a key-signed Sigstore bundle whose transparency log entry is not verified: "+why
	}
	var subject []byte
	if it.st != nil {
		subject = sha256SubjectOf(it.subjects)
	}
	switch {
	case subject == nil:
		refuse("its statement needs a sha256 subject")
		return
	case len(roots) == 0:
		refuse("the policy names no trusted root to check it against (add trusted_roots)")
		return
	case v == nil:
		refuse("Sigstore bundles are not verified here")
		return
	}
	var kept []signature
	var reasons []string
	for _, s := range it.signers {
		sv := ix.byID(s.keyID)
		if sv == nil {
			continue
		}
		if ok, why := logged(it, roots, v, subject, sv.Public()); ok {
			kept = append(kept, s)
		} else {
			reasons = append(reasons, why...)
		}
	}
	if len(kept) == 0 {
		refuse(strings.Join(reasons, "; "))
		return
	}
	it.signers = kept
}

// logged verifies the bundle with key against each root until one
// accepts it, and otherwise says why each did not.
func logged(it *item, roots []policyRoot, v BundleVerifier, subject []byte, key crypto.PublicKey) (bool, []string) {
	var reasons []string
	for _, r := range roots {
		if r.data == nil {
			reasons = append(reasons, fmt.Sprintf("trusted root %s (sha256:%s) was not given", r.root.Name, shortID(r.root.SHA256)))
			continue
		}
		lb, err := v.VerifyKeyedBundle(it.raw, r.data, subject, key)
		switch {
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("trusted root %s: %v", r.root.Name, err))
		case !bytes.Equal(lb.Payload, it.env.Payload):
			reasons = append(reasons, fmt.Sprintf("trusted root %s: the payload that verified is not the payload read", r.root.Name))
		default:
			return true, nil
		}
	}
	return false, reasons
}
