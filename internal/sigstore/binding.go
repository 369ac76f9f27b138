package sigstore

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
	"strings"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// sigstore-go v1.1.4 compares a log entry's signature and key with the
// bundle's, but not the digest the entry commits to (its own TODO: "if you
// have access to artifact, check that it matches body subject"), and with
// an artifact in hand it ignores the bundle's messageDigest. The Sigstore
// client specification requires both: the log entry MUST match the
// artifact, and a DSSE entry commits to the envelope's payload (Rekor v1)
// or to its pre-authentication encoding (Rekor v2). consign adds these
// checks here, on every entry of the bundle, before and after sigstore-go
// verifies it.

// maxEntries bounds the log entries of one bundle, checked before any is
// parsed: sigstore-go's own limit (CVE-2024-45395), applied to consign's
// checks too.
const maxEntries = 32

// logged is one digest a log entry (or the bundle) commits to.
type logged struct {
	hash  crypto.Hash
	value []byte
}

// entryBody is the part of a Rekor v1 or v2 entry body that names a digest.
type entryBody struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Spec       struct {
		// hashedrekord v0.0.1
		Data struct {
			Hash struct{ Algorithm, Value string } `json:"hash"`
		} `json:"data"`
		// dsse v0.0.1
		PayloadHash struct{ Algorithm, Value string } `json:"payloadHash"`
		// intoto v0.0.2
		Content struct {
			PayloadHash struct{ Algorithm, Value string } `json:"payloadHash"`
		} `json:"content"`
		// Rekor v2: hashedrekord v0.0.2, dsse v0.0.2
		HashedRekordV002 struct {
			Data struct{ Algorithm, Digest string } `json:"data"`
		} `json:"hashedRekordV002"`
		DSSEV002 struct {
			PayloadHash struct{ Algorithm, Digest string } `json:"payloadHash"`
		} `json:"dsseV002"`
	} `json:"spec"`
}

// hashByName maps the algorithm names of Rekor v1 bodies, Rekor v2 bodies
// and bundles' messageDigest to the hash.
func hashByName(name string) (crypto.Hash, bool) {
	switch name {
	case "sha256", "SHA2_256":
		return crypto.SHA256, true
	case "sha384", "SHA2_384":
		return crypto.SHA384, true
	case "sha512", "SHA2_512":
		return crypto.SHA512, true
	}
	return 0, false
}

func parseLogged(alg, value string, hexValue bool) (logged, error) {
	h, ok := hashByName(alg)
	if !ok {
		return logged{}, fmt.Errorf("%w: digest algorithm %q is not supported", ErrLogEntry, alg)
	}
	var v []byte
	var err error
	if hexValue {
		v, err = hex.DecodeString(value)
	} else {
		v, err = base64.StdEncoding.DecodeString(value)
	}
	if err != nil || len(v) != h.Size() {
		return logged{}, fmt.Errorf("%w: malformed %s digest %q", ErrLogEntry, alg, value)
	}
	return logged{h, v}, nil
}

// entryDigest returns what one log entry body commits to, and whether that
// is the artifact's digest (hashedrekord) or the DSSE payload's.
func entryDigest(canonical []byte) (d logged, isPayload bool, err error) {
	var body entryBody
	if err := json.Unmarshal(canonical, &body); err != nil {
		return logged{}, false, fmt.Errorf("%w: entry body: %v", ErrLogEntry, err)
	}
	s := &body.Spec
	switch kv := body.Kind + "/" + body.APIVersion; kv {
	case "hashedrekord/0.0.1":
		d, err = parseLogged(s.Data.Hash.Algorithm, s.Data.Hash.Value, true)
		return d, false, err
	case "hashedrekord/0.0.2":
		d, err = parseLogged(s.HashedRekordV002.Data.Algorithm, s.HashedRekordV002.Data.Digest, false)
		return d, false, err
	case "dsse/0.0.1":
		d, err = parseLogged(s.PayloadHash.Algorithm, s.PayloadHash.Value, true)
		return d, true, err
	case "dsse/0.0.2":
		d, err = parseLogged(s.DSSEV002.PayloadHash.Algorithm, s.DSSEV002.PayloadHash.Digest, false)
		return d, true, err
	case "intoto/0.0.2":
		d, err = parseLogged(s.Content.PayloadHash.Algorithm, s.Content.PayloadHash.Value, true)
		return d, true, err
	default:
		return logged{}, false, fmt.Errorf("%w: entry kind %q is not supported", ErrLogEntry, kv)
	}
}

// pae is DSSE's pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

func sum(h crypto.Hash, b []byte) []byte {
	w := h.New()
	w.Write(b)
	return w.Sum(nil)
}

// bindEntries checks every log entry of b against the bundle's own content.
// For a DSSE bundle that is the whole check: an entry commits to the
// envelope's payload (Rekor v1 dsse, intoto) or to its pre-authentication
// encoding (Rekor v2 hashedrekord). For a message signature it returns the
// artifact digest that the entries and the messageDigest all agree on; the
// artifact must then have it.
func bindEntries(b *bundle.Bundle) (*logged, error) {
	entries := b.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: the bundle has no transparency log entry", ErrUnverified)
	}
	if len(entries) > maxEntries {
		return nil, fmt.Errorf("%w: %d transparency log entries, the limit is %d", ErrUnverified, len(entries), maxEntries)
	}
	env := b.GetDsseEnvelope()
	var want *logged
	if md := b.GetMessageSignature().GetMessageDigest(); md != nil {
		h, ok := hashByName(md.GetAlgorithm().String())
		if !ok || len(md.GetDigest()) != h.Size() {
			return nil, fmt.Errorf("%w: message digest algorithm %s is not supported", ErrUnverified, md.GetAlgorithm())
		}
		want = &logged{h, md.GetDigest()}
	}
	for i, e := range entries {
		d, isPayload, err := entryDigest(e.GetCanonicalizedBody())
		if err != nil {
			return nil, fmt.Errorf("log entry %d: %w", i, err)
		}
		if err := checkProof(e); err != nil {
			return nil, fmt.Errorf("log entry %d: %w", i, err)
		}
		switch {
		case env != nil && isPayload:
			if !bytes.Equal(d.value, sum(d.hash, env.GetPayload())) {
				return nil, fmt.Errorf("%w: log entry %d is for another DSSE payload", ErrLogEntry, i)
			}
		case env != nil:
			if !bytes.Equal(d.value, sum(d.hash, pae(env.GetPayloadType(), env.GetPayload()))) {
				return nil, fmt.Errorf("%w: log entry %d is for another DSSE envelope", ErrLogEntry, i)
			}
		case isPayload:
			return nil, fmt.Errorf("%w: log entry %d is a DSSE entry, and the bundle holds a message signature", ErrLogEntry, i)
		case want == nil:
			want = &d
		case want.hash != d.hash || !bytes.Equal(want.value, d.value):
			return nil, fmt.Errorf("%w: log entry %d is for another artifact than the bundle's message digest", ErrLogEntry, i)
		}
	}
	if env == nil && want == nil {
		return nil, fmt.Errorf("%w: the bundle names no artifact digest", ErrUnverified)
	}
	return want, nil
}

var rekorV1Origin = regexp.MustCompile(` - [0-9]+$`)

// checkProof checks that an inclusion proof's own root hash and tree size
// are the ones its checkpoint signs, and, for a Rekor v2 entry, that its
// leaf index is the entry's. sigstore-go v1.1.4 verifies a Rekor v2 proof
// against the checkpoint's root and the entry's index and leaves the
// proof's copies unread; a bundle that says two things is refused.
func checkProof(e *protorekor.TransparencyLogEntry) error {
	p := e.GetInclusionProof()
	if p == nil || p.GetCheckpoint() == nil {
		return nil // sigstore-go requires and checks what a bundle version needs
	}
	lines := strings.SplitN(p.GetCheckpoint().GetEnvelope(), "\n", 4)
	if len(lines) < 4 {
		return fmt.Errorf("%w: malformed checkpoint", ErrLogEntry)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size != p.GetTreeSize() {
		return fmt.Errorf("%w: the inclusion proof's tree size %d is not its checkpoint's %q", ErrLogEntry, p.GetTreeSize(), lines[1])
	}
	if root, err := base64.StdEncoding.DecodeString(lines[2]); err != nil || !bytes.Equal(root, p.GetRootHash()) {
		return fmt.Errorf("%w: the inclusion proof's root hash is not its checkpoint's", ErrLogEntry)
	}
	// A Rekor v1 checkpoint's origin ends in " - TREE_ID" (sigstore-go picks
	// the Rekor v1 proof check by it); its proof counts leaves per shard.
	if !rekorV1Origin.MatchString(lines[0]) && p.GetLogIndex() != e.GetLogIndex() {
		return fmt.Errorf("%w: the inclusion proof is for leaf %d, the entry is %d", ErrLogEntry, p.GetLogIndex(), e.GetLogIndex())
	}
	return nil
}

// artifactHasher hashes the artifact while sigstore-go reads it.
type artifactHasher struct {
	r io.Reader
	h hash.Hash
}

func newArtifactHasher(r io.Reader, h crypto.Hash) *artifactHasher {
	a := &artifactHasher{h: h.New()}
	a.r = io.TeeReader(r, a.h)
	return a
}

func (a *artifactHasher) Read(p []byte) (int, error) { return a.r.Read(p) }

// sum reads what sigstore-go left unread, and returns the whole digest.
func (a *artifactHasher) sum() ([]byte, error) {
	if _, err := io.Copy(io.Discard, a.r); err != nil {
		return nil, fmt.Errorf("reading the artifact: %w", err)
	}
	return a.h.Sum(nil), nil
}

// checkArtifact compares the artifact's digest with the one the bundle
// commits to: got is its SHA-256 in digest mode, or the hasher's sum.
func checkArtifact(want *logged, got []byte) error {
	if want == nil {
		return nil
	}
	if !bytes.Equal(want.value, got) {
		return fmt.Errorf("%w: the bundle is for another artifact (it commits to %s:%s)", ErrUnverified,
			strings.ToLower(strings.ReplaceAll(want.hash.String(), "-", "")), hex.EncodeToString(want.value))
	}
	return nil
}
