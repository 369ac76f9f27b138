package attest

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/strictjson"
)

// VerifyOptions says what [VerifyEnvelope] must check besides the signature.
// The zero value checks the signature (threshold 1) and the statement only.
type VerifyOptions struct {
	// PredicateTypes, when not empty, lists the predicate types accepted (full URIs).
	PredicateTypes []string
	// Subject, when not nil, must match one of the statement's subjects.
	Subject digest.Set
	// Threshold is the number of distinct trusted keys that must have signed; 0 means 1.
	Threshold int
	// Artifact, when set, returns the artifact's bytes. Only a pure Ed25519
	// signature over a blob needs them (it signs the bytes, not a digest);
	// every other check works on Subject alone.
	Artifact func() ([]byte, error)
}

// Verified is an envelope whose checks all passed.
type Verified struct {
	Envelope  *Envelope
	Statement *Statement
	// Signers are the distinct trusted keys with a valid signature.
	Signers []*sign.Verifier
	// Matched are the subjects that matched VerifyOptions.Subject.
	Matched []Subject
	// Link is set instead of Envelope and Statement for an in-toto v0.9 link.
	Link *LegacyLink
	// Blob is set instead of Envelope and Statement for a signature over an artifact.
	Blob *BlobSignature
	// Warnings are things a reader should know that do not fail verification.
	Warnings []string
}

// VerifyEnvelope checks env in the order the in-toto and DSSE specs give:
//  1. payloadType is in-toto's, before anything reads the payload (security case 54 in docs/security.md);
//  2. at least Threshold distinct keys of kr signed PAE(payloadType, payload) (53, 55, 56);
//  3. the payload is a strictly valid statement (58-61, 29, 31) - a parse
//     error is a failure, never a pass (8);
//  4. the predicate type is one of those asked for (7, 8);
//  5. the subject digest, if given, is among the statement's subjects (65, 66).
//
// Errors wrap [ErrInvalid] for content that is not a valid attestation and
// [ErrUnverified] for a valid one that fails a check.
func VerifyEnvelope(env *Envelope, kr *Keyring, opts VerifyOptions) (*Verified, error) {
	if env == nil || kr == nil || kr.Len() == 0 {
		return nil, fmt.Errorf("%w: no trusted keys", ErrSignature)
	}
	if err := CheckPayloadType(env.PayloadType); err != nil {
		return nil, err
	}
	threshold := opts.Threshold
	if threshold < 1 {
		threshold = 1
	}
	if len(env.Signatures) == 0 {
		return nil, ErrNoSignature
	}
	// Refuse endless data before any signature check (security case 31 in docs/security.md).
	if err := precheckSubjects(env.Payload); err != nil {
		return nil, err
	}
	sigs := make([][]byte, len(env.Signatures))
	for i, s := range env.Signatures {
		sigs[i] = s.Sig
	}
	signers := kr.SignedByMessage(PAEMessage(env.PayloadType, env.Payload), sigs)
	if len(signers) < threshold {
		return nil, signatureError(kr, signers, threshold)
	}
	st, err := ParseStatement(env.Payload)
	if err != nil {
		return nil, err
	}
	v := &Verified{Envelope: env, Statement: st, Signers: signers}
	if name, ok := strings.CutPrefix(env.PayloadType, "application/vnd.in-toto."); ok {
		v.Warnings = append(v.Warnings, fmt.Sprintf("payloadType names %q; only predicateType %q counts", strings.TrimSuffix(name, "+json"), st.PredicateType))
	}
	if st.Type == StatementV01 {
		v.Warnings = append(v.Warnings, "statement is in-toto v0.1 (as cosign v2 writes); read as v1")
	}
	if len(opts.PredicateTypes) > 0 && !slices.Contains(opts.PredicateTypes, st.PredicateType) {
		return nil, fmt.Errorf("%w: predicate type is %q, want %s", ErrWrongType, st.PredicateType, strings.Join(quoteAll(opts.PredicateTypes), " or "))
	}
	if opts.Subject != nil {
		v.Matched = st.Matches(opts.Subject)
		if len(v.Matched) == 0 {
			return nil, fmt.Errorf("%w: %s is not among the %d subjects", ErrSubjectMismatch, opts.Subject, len(st.Subject))
		}
	}
	return v, nil
}

// signatureError is a [SignatureError] for kr's keys, of which signers
// signed.
func signatureError(kr *Keyring, signers []*sign.Verifier, threshold int) error {
	e := &SignatureError{Threshold: threshold}
	for _, v := range kr.Verifiers() {
		if slices.Contains(signers, v) {
			e.Signed = append(e.Signed, v.KeyID())
		} else {
			e.NotSigned = append(e.NotSigned, v.KeyID())
		}
	}
	return e
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// LegacyLinkType is the predicate type reported for in-toto v0.9 links; the
// short name "link" selects them as well as link v0.3 attestations.
const LegacyLinkType = "https://in-toto.io/Link/v0.9"

// VerifyItem verifies any item [Read] returns, with the same checks and the
// same failures whatever its format (security case 8 in docs/security.md): an item that did not
// parse fails; a blob signature fails when a predicate type is required,
// and needs the artifact's digest to be checked at all.
func VerifyItem(it *Item, kr *Keyring, opts VerifyOptions) (*Verified, error) {
	switch {
	case it.Err != nil:
		return nil, it.Err
	case it.Envelope != nil:
		return VerifyEnvelope(it.Envelope, kr, opts)
	case it.Link != nil:
		return verifyLegacy(it.Link, kr, opts)
	case it.Blob != nil:
		return verifyBlob(it.Blob, kr, opts)
	}
	return nil, fmt.Errorf("%w: empty item", ErrMalformed)
}

func threshold(opts VerifyOptions) int {
	if opts.Threshold < 1 {
		return 1
	}
	return opts.Threshold
}

func verifyLegacy(l *LegacyLink, kr *Keyring, opts VerifyOptions) (*Verified, error) {
	if kr == nil || kr.Len() == 0 {
		return nil, fmt.Errorf("%w: no trusted keys", ErrSignature)
	}
	signers, err := l.SignedBy(kr)
	if err != nil {
		return nil, err
	}
	if len(signers) < threshold(opts) {
		return nil, signatureError(kr, signers, threshold(opts))
	}
	v := &Verified{Link: l, Signers: signers}
	if len(opts.PredicateTypes) > 0 && !slices.Contains(opts.PredicateTypes, LegacyLinkType) && !slices.Contains(opts.PredicateTypes, PredicateLink) {
		return nil, fmt.Errorf("%w: an in-toto v0.9 %s, want %s", ErrWrongType, l.Type, strings.Join(quoteAll(opts.PredicateTypes), " or "))
	}
	if opts.Subject != nil {
		for _, s := range l.ProductSubjects() {
			if digest.Matches(s.Digest, opts.Subject) {
				v.Matched = append(v.Matched, s)
			}
		}
		if len(v.Matched) == 0 {
			return nil, fmt.Errorf("%w: %s is not among the link's %d products", ErrSubjectMismatch, opts.Subject, l.Products.Len())
		}
	}
	return v, nil
}

func verifyBlob(b *BlobSignature, kr *Keyring, opts VerifyOptions) (*Verified, error) {
	if kr == nil || kr.Len() == 0 {
		return nil, fmt.Errorf("%w: no trusted keys", ErrSignature)
	}
	if len(opts.PredicateTypes) > 0 {
		return nil, fmt.Errorf("%w: a signature over a blob has no predicate type", ErrWrongType)
	}
	if opts.Subject == nil {
		return nil, fmt.Errorf("%w: a signature over a blob can only be checked against the blob; give the artifact", ErrSubjectMismatch)
	}
	if b.Digest != nil && !digest.Matches(b.Digest, opts.Subject) {
		return nil, fmt.Errorf("%w: the bundle's message digest is %s, the artifact's is %s", ErrSubjectMismatch, b.Digest, opts.Subject)
	}
	var signers []*sign.Verifier
	for _, v := range kr.Verifiers() {
		for alg, h := range map[string]crypto.Hash{digest.SHA256: crypto.SHA256, digest.SHA512: crypto.SHA512} {
			raw, err := hex.DecodeString(opts.Subject[alg])
			if err != nil || len(raw) == 0 {
				continue
			}
			if v.VerifyDigest(h, raw, b.Sig) == nil {
				signers = append(signers, v)
				break
			}
		}
		if (len(signers) == 0 || signers[len(signers)-1] != v) && opts.Artifact != nil && sign.Algorithm(v.Public()) == "ed25519" {
			// Pure Ed25519 over the blob (cosign sign-blob without a log upload).
			data, err := opts.Artifact()
			if err != nil {
				return nil, fmt.Errorf("reading the artifact: %w", err)
			}
			if digest.Matches(sha256Set(data), opts.Subject) && v.Verify(data, b.Sig) == nil {
				signers = append(signers, v)
			}
		}
	}
	if len(signers) < threshold(opts) {
		return nil, signatureError(kr, signers, threshold(opts))
	}
	return &Verified{Blob: b, Signers: signers, Matched: []Subject{{Digest: opts.Subject}}}, nil
}

// precheckSubjects counts a payload's subjects cheaply, before the signature
// check and the strict parse, so that a statement with too many subjects
// costs no crypto (security case 31 in docs/security.md). It is an upper bound: the strict parse
// that follows a valid signature decides everything else.
//
// It reads the payload where it lies: no copy of a subject, no map. A
// payload whose shape the zero-copy reader does not expect (it is not yet
// strictly checked) falls back to encoding/json, which copies.
func precheckSubjects(payload []byte) error {
	var top [4]strictjson.Field
	fs, ok := strictjson.SplitFields(payload, statementKeys, top[:0])
	if !ok {
		return precheckSubjectsJSON(payload)
	}
	raw, present := fs.Get("subject")
	if !present {
		return nil
	}
	subs, ok := strictjson.SplitArray(raw)
	if !ok {
		return precheckSubjectsJSON(payload)
	}
	if len(subs) > limits.Subjects {
		return fmt.Errorf("%w: %d subjects (at most %d)", ErrInvalid, len(subs), limits.Subjects)
	}
	var sub, dig [8]strictjson.Field
	for i, s := range subs {
		sf, ok := strictjson.SplitFields(s, subjectKeys, sub[:0])
		if !ok {
			continue // not an object: the strict parse refuses it
		}
		d, present := sf.Get("digest")
		if !present {
			continue
		}
		df, ok := strictjson.SplitFields(d, nil, dig[:0])
		if ok && len(df) > limits.DigestsPerSubject {
			return fmt.Errorf("%w: subject %d has %d digests (at most %d)", ErrInvalid, i, len(df), limits.DigestsPerSubject)
		}
	}
	return nil
}

// statementKeys are the keys of a statement.
var statementKeys = []string{"_type", "subject", "predicateType", "predicate"}

// precheckSubjectsJSON is precheckSubjects by encoding/json.
func precheckSubjectsJSON(payload []byte) error {
	var count struct {
		Subject []json.RawMessage `json:"subject"`
	}
	if err := json.Unmarshal(payload, &count); err != nil {
		return nil // not this check's business; the strict parse reports it
	}
	if len(count.Subject) > limits.Subjects {
		return fmt.Errorf("%w: %d subjects (at most %d)", ErrInvalid, len(count.Subject), limits.Subjects)
	}
	for i, raw := range count.Subject {
		var sub struct {
			Digest map[string]json.RawMessage `json:"digest"`
		}
		if json.Unmarshal(raw, &sub) == nil && len(sub.Digest) > limits.DigestsPerSubject {
			return fmt.Errorf("%w: subject %d has %d digests (at most %d)", ErrInvalid, i, len(sub.Digest), limits.DigestsPerSubject)
		}
	}
	return nil
}

func sha256Set(data []byte) digest.Set {
	sum := sha256.Sum256(data)
	return digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}
