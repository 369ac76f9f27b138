package oci

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// The annotations cosign (v1, v2) puts on a keyless signature or
// attestation layer: the Fulcio certificate and the Rekor entry's signed
// entry timestamp with the entry itself.
const (
	CertificateAnnotation = "dev.sigstore.cosign/certificate"
	RekorBundleAnnotation = "dev.sigstore.cosign/bundle"
)

// ErrNoLogEntry is a keyless attestation layer without cosign's Rekor
// bundle annotation: its log entry is only to be found by searching the
// log, which consign does not do.
var ErrNoLogEntry = errors.New("the attestation carries no transparency log entry")

// ErrLogEntryKind is a log entry of a kind the Sigstore verifier does not
// read (package sigstore reads what sigstore-go reads, and the Rekor intoto
// v0.0.1 entries cosign before v2.1 wrote).
var ErrLogEntryKind = errors.New("transparency log entry of a kind consign does not verify")

// readableEntries are the Rekor v1 entry kinds package sigstore reads.
var readableEntries = map[string]bool{"dsse/0.0.1": true, "intoto/0.0.1": true, "intoto/0.0.2": true, "hashedrekord/0.0.1": true}

// rekorBundle is cosign's bundle annotation: the entry Rekor returned
// and its signed entry timestamp.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           []byte `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

// dsseEnvelope is the DSSE envelope of an attestation layer.
type dsseEnvelope struct {
	PayloadType string `json:"payloadType"`
	Payload     []byte `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   []byte `json:"sig"`
	} `json:"signatures"`
}

// CosignBundle rewrites a keyless attestation layer as cosign writes it
// to its .att tag (a DSSE envelope, the Fulcio certificate and the Rekor
// entry with its signed entry timestamp in annotations) as the Sigstore
// bundle v0.1 it amounts to: the certificate, the log entry with its
// inclusion promise, the envelope. The bundle is then verified like any
// other with package sigstore; nothing here is trusted. The certificate
// chain annotation is left out: trust comes from the trusted root.
//
// It returns [ErrNoLogEntry] for a layer without the Rekor annotation,
// [ErrLogEntryKind] for a log entry sigstore-go cannot read, and an error
// wrapping [ErrMalformed] for one that does not parse.
func (a *Attachment) CosignBundle() ([]byte, error) {
	if a.Kind != KindAttestation {
		return nil, fmt.Errorf("%w: %s is a %s, not a DSSE attestation", ErrMalformed, a.Name(), a.Kind)
	}
	rb, ok := a.Annotations[RekorBundleAnnotation]
	if !ok {
		return nil, fmt.Errorf("%s: %w", a.Name(), ErrNoLogEntry)
	}
	var r rekorBundle
	if err := json.Unmarshal([]byte(rb), &r); err != nil {
		return nil, fmt.Errorf("%w: %s: Rekor bundle annotation: %v", ErrMalformed, a.Name(), err)
	}
	logID, err := hex.DecodeString(r.Payload.LogID)
	if err != nil || len(r.SignedEntryTimestamp) == 0 || len(r.Payload.Body) == 0 {
		return nil, fmt.Errorf("%w: %s: incomplete Rekor bundle annotation", ErrMalformed, a.Name())
	}
	var body struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(r.Payload.Body, &body); err != nil || body.Kind == "" || body.APIVersion == "" {
		return nil, fmt.Errorf("%w: %s: Rekor entry body is not an entry", ErrMalformed, a.Name())
	}
	if kv := body.Kind + "/" + body.APIVersion; !readableEntries[kv] {
		return nil, fmt.Errorf("%s: %w: Rekor %s (consign reads dsse/0.0.1, intoto/0.0.1, intoto/0.0.2 and hashedrekord/0.0.1)", a.Name(), ErrLogEntryKind, kv)
	}
	block, _ := pem.Decode([]byte(a.Annotations[CertificateAnnotation]))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%w: %s: no PEM certificate annotation", ErrMalformed, a.Name())
	}
	var env dsseEnvelope
	if err := json.Unmarshal(a.Payload, &env); err != nil || env.PayloadType == "" || len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: %s: not a signed DSSE envelope", ErrMalformed, a.Name())
	}
	type sig struct {
		Sig   []byte `json:"sig"`
		KeyID string `json:"keyid,omitempty"`
	}
	sigs := make([]sig, len(env.Signatures))
	for i, s := range env.Signatures {
		sigs[i] = sig{Sig: s.Sig, KeyID: s.KeyID}
	}
	type raw struct {
		RawBytes []byte `json:"rawBytes"`
	}
	b := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
		"verificationMaterial": map[string]any{
			"x509CertificateChain": map[string]any{"certificates": []raw{{block.Bytes}}},
			"tlogEntries": []map[string]any{{
				"logIndex":          strconv.FormatInt(r.Payload.LogIndex, 10),
				"logId":             map[string]any{"keyId": logID},
				"kindVersion":       map[string]string{"kind": body.Kind, "version": body.APIVersion},
				"integratedTime":    strconv.FormatInt(r.Payload.IntegratedTime, 10),
				"inclusionPromise":  map[string]any{"signedEntryTimestamp": r.SignedEntryTimestamp},
				"canonicalizedBody": base64.StdEncoding.EncodeToString(r.Payload.Body),
			}},
		},
		"dsseEnvelope": map[string]any{"payload": env.Payload, "payloadType": env.PayloadType, "signatures": sigs},
	}
	return json.Marshal(b)
}
