package verify

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
)

// Input is one file of attestations: a .intoto.jsonl (one envelope per
// line), a single envelope or bundle, or an in-toto v0.9 .link file.
type Input struct {
	// Name is where the data came from, for reports and the VSA.
	Name string
	// Docs are the file's documents as [jsonl.Documents] reads them: the
	// file streamed, each line and the count of lines bounded.
	Docs []jsonl.Line
	// Data is the whole file, for a caller that holds it; it is read only
	// when Docs is nil.
	Data []byte
	// owned is set when Docs were read here, into buffers nothing else
	// holds or changes: what is read from them may alias them.
	owned bool
}

// Documents returns in.Docs, or else the documents of in.Data as
// [jsonl.Documents] reads them. Its errors wrap [limits.ErrTooLarge].
func (in Input) Documents() ([]jsonl.Line, error) {
	if in.Docs != nil {
		return in.Docs, nil
	}
	return jsonl.Documents(context.Background(), bytes.NewReader(in.Data), in.Name, jsonl.Limits{})
}

// Artifact is something that ships, known by its digest. The name is a
// label for reports; only the digest is compared (security case 66 in docs/security.md).
type Artifact struct {
	Name   string
	Digest digest.Set
}

// ReceiptChecker proves when a transparency log recorded an attestation.
// Verification declares it and a log package provides it; without one,
// every key is judged at the time of verification.
//
// Check is given the envelope (nil for an in-toto v0.9 link) and the exact
// bytes the attestation was read from (one line of a JSON Lines file, or the
// whole file). It MUST return the time the log says it accepted exactly
// these bytes, from the log's signed data and never from the attestation
// itself, or an error when it holds no valid receipt for them; the time
// MUST NOT come from a receipt for other bytes (security cases 1-3 in docs/security.md). It MUST
// be safe for concurrent use.
type ReceiptChecker interface {
	Check(env *attest.Envelope, raw []byte) (loggedAt time.Time, err error)
}

// VSAOptions asks for a signed SLSA Verification Summary Attestation.
type VSAOptions struct {
	// Signer signs the VSA.
	Signer attest.Signer
	// VerifierID is the verifier.id (default [DefaultVerifierID]).
	VerifierID string
	// Version is reported as verifier.version.consign.
	Version string
	// ResourceURI is the VSA's resourceUri (default: the first artifact's name).
	ResourceURI string
}

// DefaultVerifierID is the verifier.id of VSAs consign signs.
const DefaultVerifierID = "https://consign.dev/verifier/v1"

// Config is everything one policy verification needs.
type Config struct {
	// Policy is the signed policy: a DSSE envelope's bytes (consign policy sign).
	Policy []byte
	// PolicyName names it in reports and the VSA.
	PolicyName string
	// TrustRoots are the owner keys a policy may be signed by.
	TrustRoots []crypto.PublicKey
	// Attestations are the inputs to read. An empty set is a failure.
	Attestations []Input
	// Artifacts must all be subjects of the policy's final stage.
	Artifacts []Artifact
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Receipts, when set, checks log receipts (see [ReceiptChecker]).
	Receipts ReceiptChecker
	// State, when set, remembers policy versions and verification times
	// per product, and refuses rollbacks (security cases 27, 28 in docs/security.md).
	State StateStore
	// VSA, when set, asks for a signed VSA in [Result.VSA].
	VSA *VSAOptions
	// Bundles, when set, verifies keyless Sigstore bundles for the
	// policy's identities, and the transparency log entries of key-signed
	// ones (see [BundleVerifier]); without it no Sigstore bundle counts.
	Bundles BundleVerifier
	// TrustedRoots are Sigstore trusted roots (trusted_root.json bytes)
	// for the trusted roots the policy names by digest only; one counts
	// only when its SHA-256 is the digest the signed policy gives.
	TrustedRoots [][]byte
}

// Validate reports settings that cannot give a meaningful answer. It returns
// an error wrapping [ErrConfig].
func (c *Config) Validate() error {
	switch {
	case len(c.Policy) == 0:
		return fmt.Errorf("%w: no policy", ErrConfig)
	case len(c.TrustRoots) == 0:
		return fmt.Errorf("%w: no trust root key to verify the policy with", ErrConfig)
	case len(c.Artifacts) == 0:
		return fmt.Errorf("%w: no artifact to verify", ErrConfig)
	}
	for _, a := range c.Artifacts {
		if !a.Digest.Strong() || a.Digest.Validate() != nil {
			return fmt.Errorf("%w: artifact %q has no valid sha256, sha384 or sha512 digest", ErrConfig, a.Name)
		}
	}
	if c.VSA != nil && c.VSA.Signer == nil {
		return fmt.Errorf("%w: a VSA needs a signing key", ErrConfig)
	}
	return nil
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now().UTC()
	}
	return c.Now().UTC()
}
