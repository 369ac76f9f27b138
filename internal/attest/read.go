package attest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/strictjson"
)

// Formats of the items [Read] finds.
const (
	FormatDSSE           = "dsse"            // a DSSE envelope (alone, or one line of .intoto.jsonl)
	FormatCosignBundle   = "cosign-bundle"   // cosign's legacy --bundle file (LocalSignedPayload)
	FormatSigstoreBundle = "sigstore-bundle" // Sigstore protobuf bundle v0.1-v0.3, JSON
	FormatLegacyLink     = "in-toto-link"    // in-toto v0.9 signed link or layout (Metablock)
	FormatBlobSignature  = "blob-signature"  // a signature over an artifact's bytes, no statement
)

// Item is one signed thing found in a file.
type Item struct {
	Source string // "file" or "file:LINE" for JSON Lines
	Format string
	// Version is the bundle's media type version for Sigstore bundles ("0.3").
	Version string

	Envelope  *Envelope      // FormatDSSE, and bundles that wrap one
	Blob      *BlobSignature // FormatBlobSignature, and bundles that wrap one
	Link      *LegacyLink    // FormatLegacyLink
	Malformed int            // signatures dropped as malformed

	// Certificate is the DER leaf certificate a Sigstore bundle carries
	// (a keyless signature), as the bundle gives it: nothing here checks
	// that it chains to a certificate authority, or that it made the
	// signature. Only internal/sigstore verifies it.
	Certificate []byte

	// Err is set when this item could not be read; other items still are.
	Err error
}

// BlobSignature is a signature over an artifact's bytes (cosign sign-blob,
// a Sigstore bundle's messageSignature).
type BlobSignature struct {
	Sig []byte
	// Digest is the artifact digest the signer claimed, when the format carries one.
	Digest digest.Set
}

// Read finds the signed items in data: a JSON Lines file of envelopes or
// bundles, or one JSON document of any supported format, or a bare base64
// signature (cosign sign-blob --output-signature). A line that cannot be
// read becomes an Item with Err set, so that no bad line passes unnoticed.
// It returns an error wrapping [ErrNothingToVerify] when nothing is found,
// and one wrapping [limits.ErrTooLarge] (from [jsonl]) for a line or a
// count of lines over the limits.
func Read(data []byte, name string) ([]Item, error) {
	if len(data) > limits.AttestationFile {
		return nil, fmt.Errorf("%w: %s is over %d bytes", limits.ErrTooLarge, name, limits.AttestationFile)
	}
	// data is in memory already, read by a caller that could stop it.
	return ReadFrom(context.Background(), bytes.NewReader(data), name)
}

// ReadFrom is [Read] from a stream: one line is held at a time, and the
// items found.
func ReadFrom(ctx context.Context, r io.Reader, name string) ([]Item, error) {
	docs, err := jsonl.Documents(ctx, r, name, jsonl.Limits{})
	if err != nil {
		return nil, err
	}
	return ReadDocuments(docs, name)
}

// ReadDocuments is [Read] of a file already read by [jsonl.Documents].
func ReadDocuments(docs []jsonl.Line, name string) ([]Item, error) {
	return readDocuments(docs, name, false)
}

// ReadDocumentsUnsafe is [ReadDocuments] reading the strings of a legacy
// in-toto link (its artifacts' names and digests) as substrings of the
// document's own bytes rather than of a copy: a link of thousands of
// artifacts is then held once, not twice. The caller MUST NOT change the
// documents' bytes afterwards, nor let anything else change them, for as
// long as anything read from them lives ([strictjson.NewTextUnsafe]).
func ReadDocumentsUnsafe(docs []jsonl.Line, name string) ([]Item, error) {
	return readDocuments(docs, name, true)
}

func readDocuments(docs []jsonl.Line, name string, alias bool) ([]Item, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	if len(docs) == 1 {
		if el, ok := docs[0].Streamed.(*EnvelopeLine); ok {
			return []Item{el.item(name)}, nil
		}
		doc := docs[0].Data
		if doc[0] != '{' {
			if sig, err := decodeBase64(string(doc)); err == nil && len(sig) >= 32 && len(sig) <= 1024 {
				return []Item{{Source: name, Format: FormatBlobSignature, Blob: &BlobSignature{Sig: sig}}}, nil
			}
			return nil, fmt.Errorf("%w: %s is neither JSON nor a base64 signature", ErrMalformed, name)
		}
		// A document of several lines jsonl.Documents checked already.
		if docs[0].Strict() || CheckJSON(doc) == nil {
			return []Item{readChecked(doc, name, alias)}, nil
		}
	}
	items := make([]Item, 0, len(docs))
	for _, d := range docs {
		source := fmt.Sprintf("%s:%d", name, d.N)
		if el, ok := d.Streamed.(*EnvelopeLine); ok {
			items = append(items, el.item(source))
			continue
		}
		items = append(items, readDoc(d.Bytes(), source))
	}
	return items, nil
}

func readDoc(doc []byte, source string) Item {
	if err := CheckJSON(doc); err != nil {
		return Item{Source: source, Err: err}
	}
	return readChecked(doc, source, false)
}

// readChecked reads one document that CheckJSON accepted; every part of it
// is then checked too, so nothing below checks again. With alias, a legacy
// link's strings are substrings of doc (see [ReadDocumentsUnsafe]).
func readChecked(doc []byte, source string, alias bool) Item {
	it := Item{Source: source}
	probe, err := strictjson.Object(doc, "document")
	if err != nil {
		it.Err = fmt.Errorf("%w: not a JSON object", ErrMalformed)
		return it
	}
	switch {
	case probe["payloadType"] != nil:
		it.Format = FormatDSSE
		it.Envelope, it.Malformed, it.Err = parseEnvelopeChecked(doc)
	case probe["mediaType"] != nil:
		it.Format = FormatSigstoreBundle
		it.readSigstoreBundle(probe)
	case probe["base64Signature"] != nil:
		it.Format = FormatCosignBundle
		it.readCosignBundle(probe)
	case probe["signed"] != nil && probe["signatures"] != nil:
		it.Format = FormatLegacyLink
		text := strictjson.NewText
		if alias {
			text = strictjson.NewTextUnsafe
		}
		it.Link, it.Err = parseLegacy(text(doc), probe)
	default:
		it.Err = fmt.Errorf("%w: not a DSSE envelope, Sigstore bundle, cosign bundle or in-toto link", ErrMalformed)
	}
	return it
}

// readCosignBundle reads cosign's LocalSignedPayload. For attest-blob its
// base64Signature holds the whole DSSE envelope; for sign-blob, the raw
// signature over the blob. Its certificate and Rekor bundle are not used for
// trust: keys come from the caller.
func (it *Item) readCosignBundle(m map[string]json.RawMessage) {
	var s string
	if err := json.Unmarshal(m["base64Signature"], &s); err != nil {
		it.Err = fmt.Errorf("%w: base64Signature is not a string", ErrMalformed)
		return
	}
	raw, err := decodeBase64(s)
	if err != nil || len(raw) == 0 {
		it.Err = fmt.Errorf("%w: base64Signature: invalid base64", ErrMalformed)
		return
	}
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		it.Envelope, it.Malformed, it.Err = ParseEnvelope(bytes.TrimSpace(raw))
		return
	}
	it.Blob = &BlobSignature{Sig: raw}
}

// readSigstoreBundle reads a Sigstore bundle (protobuf-specs, JSON with
// lowerCamel field names as every Sigstore client writes it). consign reads
// it with its own strict decoder rather than sigstore-go's protojson one,
// which accepts duplicate and case-folded keys. The verification material
// (key hint, certificate, log entries) is not trusted here.
func (it *Item) readSigstoreBundle(m map[string]json.RawMessage) {
	var mt string
	if err := json.Unmarshal(m["mediaType"], &mt); err != nil {
		it.Err = fmt.Errorf("%w: mediaType is not a string", ErrMalformed)
		return
	}
	switch mt {
	case "application/vnd.dev.sigstore.bundle+json;version=0.1":
		it.Version = "0.1"
	case "application/vnd.dev.sigstore.bundle+json;version=0.2":
		it.Version = "0.2"
	case "application/vnd.dev.sigstore.bundle.v0.3+json", "application/vnd.dev.sigstore.bundle+json;version=0.3":
		it.Version = "0.3"
	default:
		it.Err = fmt.Errorf("%w: unsupported Sigstore bundle media type %q", ErrMalformed, mt)
		return
	}
	switch {
	case m["dsseEnvelope"] != nil && m["messageSignature"] != nil:
		it.Err = fmt.Errorf("%w: bundle has both dsseEnvelope and messageSignature", ErrMalformed)
	case m["dsseEnvelope"] != nil:
		it.Envelope, it.Malformed, it.Err = parseEnvelopeChecked(m["dsseEnvelope"])
	case m["messageSignature"] != nil:
		ms, err := object(m["messageSignature"], "messageSignature", "messageDigest", "signature")
		if err != nil {
			it.Err = err
			return
		}
		s, ok, err := stringField(ms, "signature", "messageSignature")
		if err != nil || !ok {
			it.Err = fmt.Errorf("%w: messageSignature has no signature", ErrMalformed)
			return
		}
		sig, err := decodeBase64(s)
		if err != nil || len(sig) == 0 {
			it.Err = fmt.Errorf("%w: messageSignature.signature: invalid base64", ErrMalformed)
			return
		}
		it.Blob = &BlobSignature{Sig: sig}
		if md, ok := ms["messageDigest"]; ok {
			var d struct {
				Algorithm string `json:"algorithm"`
				Digest    string `json:"digest"`
			}
			_, err := object(md, "messageDigest", "algorithm", "digest")
			if err == nil {
				err = json.Unmarshal(md, &d)
			}
			if err != nil {
				it.Blob, it.Err = nil, fmt.Errorf("%w: messageDigest", ErrMalformed)
				return
			}
			raw, err := decodeBase64(d.Digest)
			if err != nil {
				it.Blob, it.Err = nil, fmt.Errorf("%w: messageDigest.digest: invalid base64", ErrMalformed)
				return
			}
			alg := map[string]string{"SHA2_256": digest.SHA256, "SHA2_384": "sha384", "SHA2_512": digest.SHA512}[d.Algorithm]
			if alg == "" {
				it.Blob, it.Err = nil, fmt.Errorf("%w: messageDigest algorithm %q", ErrMalformed, d.Algorithm)
				return
			}
			it.Blob.Digest = digest.Set{alg: hex.EncodeToString(raw)}
		}
	default:
		it.Err = fmt.Errorf("%w: bundle has neither dsseEnvelope nor messageSignature", ErrMalformed)
	}
	if it.Err == nil {
		it.Certificate = bundleCertificate(m["verificationMaterial"])
	}
}

// bundleCertificate is the leaf certificate of a bundle's verification
// material: v0.3's certificate, or the first of v0.1 and v0.2's
// x509CertificateChain; nil when there is none (a key-signed bundle) or it
// is not valid base64.
func bundleCertificate(vm json.RawMessage) []byte {
	type rawBytes struct {
		RawBytes string `json:"rawBytes"`
	}
	var m struct {
		Certificate *rawBytes `json:"certificate"`
		Chain       *struct {
			Certificates []rawBytes `json:"certificates"`
		} `json:"x509CertificateChain"`
	}
	if len(vm) == 0 || json.Unmarshal(vm, &m) != nil {
		return nil
	}
	var s string
	switch {
	case m.Certificate != nil:
		s = m.Certificate.RawBytes
	case m.Chain != nil && len(m.Chain.Certificates) > 0:
		s = m.Chain.Certificates[0].RawBytes
	}
	der, err := decodeBase64(s)
	if err != nil || len(der) == 0 {
		return nil
	}
	return der
}

// Describe is a one-line description of the item's kind, for reports.
func (it *Item) Describe() string {
	switch it.Format {
	case FormatSigstoreBundle:
		return "Sigstore bundle v" + it.Version
	case FormatCosignBundle:
		return "cosign bundle"
	case FormatLegacyLink:
		if it.Link == nil {
			return "in-toto v0.9 metadata"
		}
		return "in-toto v0.9 " + it.Link.Type
	case FormatBlobSignature:
		return "blob signature"
	}
	return "DSSE envelope"
}
