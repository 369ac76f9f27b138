package sigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	intotopb "github.com/in-toto/attestation/go/v1"

	"github.com/consign-dev/consign/internal/attest"
)

// Rekor intoto v0.0.1 entries: cosign before v2.1 logged keyless
// attestations as these, and sigstore-go v1.1.4 does not read them (its
// entry parser knows dsse v0.0.1, hashedrekord v0.0.1 and intoto v0.0.2
// only). Such an entry holds no signature: it commits to the envelope's
// payload (payloadHash) and names the signing certificate (publicKey). A
// bundle v0.1 holding one DSSE envelope, its Fulcio certificate and one
// such entry with its signed entry timestamp is verified here with
// sigstore-go's parts, as sigstore-go verifies the other kinds: the signed
// entry timestamp by a log of the trusted root valid at the integrated
// time; the entry's payload hash and certificate equal the bundle's; the
// certificate chain to a Fulcio CA of the trusted root at the integrated
// time and its SCT; the DSSE signature by the certificate's key; the
// identity; the artifact among the statement's subjects. An inclusion
// proof or an RFC 3161 timestamp beside such an entry is refused, since
// neither is read here.

// isIntotoV001 reports whether b is a bundle whose one log entry is a
// Rekor intoto v0.0.1 entry, parsed without sigstore-go's validation.
func isIntotoV001(data []byte) (*protobundle.Bundle, bool) {
	var pb protobundle.Bundle
	if err := (protojson.UnmarshalOptions{}).Unmarshal(data, &pb); err != nil {
		return nil, false
	}
	es := pb.GetVerificationMaterial().GetTlogEntries()
	if len(es) != 1 || es[0].GetKindVersion().GetKind() != "intoto" || es[0].GetKindVersion().GetVersion() != "0.0.1" {
		return nil, false
	}
	return &pb, true
}

// intotoV001Body is the part of the entry body that is checked.
type intotoV001Body struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Content struct {
			PayloadHash struct{ Algorithm, Value string } `json:"payloadHash"`
		} `json:"content"`
		PublicKey []byte `json:"publicKey"` // base64 of a PEM certificate
	} `json:"spec"`
}

func verifyIntotoV001(pb *protobundle.Bundle, tr *root.TrustedRoot, cfg Config) (*Result, error) {
	if pb.GetMediaType() != "application/vnd.dev.sigstore.bundle+json;version=0.1" {
		return nil, fmt.Errorf("%w: a Rekor intoto v0.0.1 entry in a bundle of media type %q (only v0.1 bundles carry one)", ErrBundle, pb.GetMediaType())
	}
	if cfg.Key != nil || cfg.Digest == nil {
		return nil, fmt.Errorf("%w: a Rekor intoto v0.0.1 entry is verified keyless and for an artifact digest only", ErrConfig)
	}
	if len(pb.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()) > 0 {
		// The main path requires every timestamp a bundle carries to
		// verify; this one checks none, so it takes none.
		return nil, fmt.Errorf("%w: RFC 3161 timestamps beside a Rekor intoto v0.0.1 entry are not read", ErrBundle)
	}
	if pb.GetVerificationMaterial().GetTlogEntries()[0].GetInclusionProof() != nil {
		// sigstore-go verifies an inclusion proof a bundle carries (and
		// its checkpoint); this path checks the signed entry timestamp
		// only, so a proof it would not read is refused, not let ride
		// along unchecked. cosign's bundle annotation carries none.
		return nil, fmt.Errorf("%w: an inclusion proof beside a Rekor intoto v0.0.1 entry is not read", ErrBundle)
	}
	env := pb.GetDsseEnvelope()
	certs := pb.GetVerificationMaterial().GetX509CertificateChain().GetCertificates()
	if env == nil || len(env.GetSignatures()) != 1 || len(certs) == 0 {
		return nil, fmt.Errorf("%w: a Rekor intoto v0.0.1 entry needs a DSSE envelope with one signature and a certificate", ErrBundle)
	}
	leaf, err := x509.ParseCertificate(certs[0].GetRawBytes())
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrBundle, err)
	}
	e := pb.GetVerificationMaterial().GetTlogEntries()[0]
	integrated := time.Unix(e.GetIntegratedTime(), 0)

	// The entry: it commits to this payload and this certificate.
	var body intotoV001Body
	if err := json.Unmarshal(e.GetCanonicalizedBody(), &body); err != nil || body.Kind != "intoto" || body.APIVersion != "0.0.1" {
		return nil, fmt.Errorf("%w: the entry body is not a Rekor intoto v0.0.1 entry", ErrLogEntry)
	}
	ph := sha256.Sum256(env.GetPayload())
	if body.Spec.Content.PayloadHash.Algorithm != "sha256" || body.Spec.Content.PayloadHash.Value != hex.EncodeToString(ph[:]) {
		return nil, fmt.Errorf("%w: the log entry is for another DSSE payload", ErrLogEntry)
	}
	if block, _ := pem.Decode(body.Spec.PublicKey); block == nil || !bytes.Equal(block.Bytes, leaf.Raw) {
		return nil, fmt.Errorf("%w: the log entry names another certificate", ErrLogEntry)
	}
	tlog, err := checkSET(e.GetCanonicalizedBody(), e.GetIntegratedTime(), e.GetLogIndex(), e.GetLogId().GetKeyId(),
		e.GetInclusionPromise().GetSignedEntryTimestamp(), tr)
	if err != nil {
		return nil, err
	}

	// The certificate at the integrated time, its SCT, the signature.
	chains, err := sgverify.VerifyLeafCertificate(integrated, leaf, tr)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrUnverified, err)
	}
	if err := sgverify.VerifySignedCertificateTimestamp(chains, 1, tr); err != nil {
		return nil, fmt.Errorf("%w: SCT: %v", ErrUnverified, err)
	}
	sv, err := signature.LoadVerifier(leaf.PublicKey, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate key: %v", ErrUnverified, err)
	}
	if err := sv.VerifySignature(bytes.NewReader(env.GetSignatures()[0].GetSig()), bytes.NewReader(attest.PAE(env.GetPayloadType(), env.GetPayload()))); err != nil {
		return nil, fmt.Errorf("%w: DSSE signature: %v", ErrUnverified, err)
	}

	// The statement: in-toto, naming the artifact.
	if env.GetPayloadType() != attest.PayloadType {
		return nil, fmt.Errorf("%w: payload type %q is not in-toto", ErrUnverified, env.GetPayloadType())
	}
	st, err := attest.ParseStatement(env.GetPayload())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnverified, err)
	}
	want := hex.EncodeToString(cfg.Digest)
	found := false
	for _, s := range st.Subject {
		found = found || s.Digest["sha256"] == want
	}
	if !found {
		return nil, fmt.Errorf("%w: the statement does not name the artifact sha256:%s", ErrUnverified, want)
	}
	summary, err := certificate.SummarizeCertificate(leaf)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrUnverified, err)
	}
	vr := &sgverify.VerificationResult{
		Signature:          &sgverify.SignatureVerificationResult{Certificate: &summary},
		Statement:          &intotopb.Statement{PredicateType: st.PredicateType, Predicate: &structpb.Struct{}},
		VerifiedTimestamps: []sgverify.TimestampVerificationResult{{Type: "Tlog", URI: tlog.BaseURL, Timestamp: integrated}},
	}
	res, err := result(pb.GetMediaType(), vr, cfg)
	if err != nil {
		return nil, err
	}
	res.Payload = env.GetPayload()
	return res, nil
}

// checkSET verifies a Rekor v1 signed entry timestamp: the log's
// signature over the canonical JSON of the entry's body, integrated time,
// log id and index, by a log of the trusted root valid at the integrated
// time (sigstore-go's rule, for an entry it cannot parse).
func checkSET(body []byte, integrated, index int64, logID, set []byte, tr *root.TrustedRoot) (*root.TransparencyLog, error) {
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: the log entry has no signed entry timestamp", ErrUnverified)
	}
	id := hex.EncodeToString(logID)
	tlog, ok := tr.RekorLogs()[id]
	if !ok {
		return nil, fmt.Errorf("%w: log %s is not in the trusted root", ErrUnverified, id)
	}
	at := time.Unix(integrated, 0)
	if tlog.ValidityPeriodStart.IsZero() || tlog.ValidityPeriodStart.After(at) || (!tlog.ValidityPeriodEnd.IsZero() && tlog.ValidityPeriodEnd.Before(at)) {
		return nil, fmt.Errorf("%w: log %s was not trusted at the integrated time %s", ErrUnverified, id, at.UTC().Format(time.RFC3339))
	}
	// The fields in sorted order, as canonical JSON (RFC 8785) orders them;
	// the values (base64, hex, integers) need no other canonicalisation.
	payload, err := json.Marshal(struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogID          string `json:"logID"`
		LogIndex       int64  `json:"logIndex"`
	}{base64.StdEncoding.EncodeToString(body), integrated, id, index})
	if err != nil {
		return nil, err
	}
	key, ok := tlog.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: log %s has a %T key; signed entry timestamps are checked for ECDSA logs", ErrUnverified, id, tlog.PublicKey)
	}
	h := sha256.Sum256(payload)
	if !ecdsa.VerifyASN1(key, h[:], set) {
		return nil, fmt.Errorf("%w: the signed entry timestamp does not verify", ErrUnverified)
	}
	return tlog, nil
}
