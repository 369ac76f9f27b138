// Package api is the wire format of consign's server API, shared by the
// server (internal/server) and its client (internal/client): the JSON
// bodies of each endpoint, the problem details of an error, and the error
// each status means. It has no behaviour beyond encoding.
//
// # Endpoints
//
//	POST /api/v1/attestations                     publish (Bearer token; JSON Lines of envelopes, or one envelope) -> [PublishResponse]
//	GET  /api/v1/attestations?subject=sha256:HEX   every envelope about a digest, with receipts -> [AttestationsResponse]
//	GET  /api/v1/entries/{index}                   one entry, with its receipt -> [Attestation]
//	GET  /api/v1/log/checkpoint                    the signed checkpoint (C2SP tlog-checkpoint, text/plain)
//	GET  /api/v1/log/key                           the log's verifier key (informational: never trust it from here)
//	GET  /api/v1/log/proof/inclusion?index=I&size=N -> [InclusionResponse]
//	GET  /api/v1/log/proof/consistency?from=M&to=N  -> [ConsistencyResponse]
//
// Errors are RFC 9457 problem details ([Problem], application/problem+json).
package api

import (
	"encoding/json"

	"github.com/consign-dev/consign/internal/tlog"
)

// MaxPage bounds the attestations one GET returns.
const MaxPage = 1000

// PublishResult is the server's answer for one published envelope.
type PublishResult struct {
	Index int64 `json:"index"`
	// Duplicate is set when the attestation was already in the log for the
	// product: the receipt is for the earlier entry.
	Duplicate bool          `json:"duplicate"`
	Receipt   *tlog.Receipt `json:"receipt"`
}

// PublishResponse is the body of a successful publish.
type PublishResponse struct {
	Results []PublishResult `json:"results"`
}

// Attestation is one logged envelope with its receipt.
type Attestation struct {
	Index    int64           `json:"index"`
	Envelope json.RawMessage `json:"envelope"`
	Receipt  *tlog.Receipt   `json:"receipt"`
}

// AttestationsResponse is the answer to GET /api/v1/attestations.
type AttestationsResponse struct {
	Attestations []Attestation `json:"attestations"`
	// Next, when present, is the value of ?after= for the next page.
	Next *int64 `json:"next,omitempty"`
}

// InclusionResponse is an inclusion proof.
type InclusionResponse struct {
	Index uint64      `json:"index"`
	Size  uint64      `json:"size"`
	Proof []tlog.Hash `json:"inclusionProof"`
}

// ConsistencyResponse is a consistency proof.
type ConsistencyResponse struct {
	From  uint64      `json:"from"`
	To    uint64      `json:"to"`
	Proof []tlog.Hash `json:"consistencyProof"`
}

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// ProblemBase starts the type URI of every problem.
const ProblemBase = "https://consign.dev/problems/"
