package server

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// Client talks to a consign server. Nothing a server answers is trusted
// by the client: receipts and checkpoints are verified by the caller with a
// log key it got elsewhere.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// NewClient is a client of the server at baseURL (http or https), with
// token (may be empty for open reads) and hc (nil: a client with a
// 2-minute timeout).
func NewClient(baseURL, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: server URL %q must be http(s)://HOST[:PORT], without credentials", ErrBadRequest, redactURL(baseURL))
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{base: u, token: token, hc: hc}, nil
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, max int64) ([]byte, http.Header, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jsonl")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s %s: %v", ErrServer, method, u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := limits.Read(resp.Body, max, "the server's answer")
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		var p problem
		if json.Unmarshal(data, &p) == nil {
			e.Title, e.Detail = p.Title, p.Detail
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return nil, nil, e
	}
	return data, resp.Header, nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Publish sends envelopes (each one DSSE envelope's JSON) for product
// (empty: the token's only product) and returns one result per envelope.
func (c *Client) Publish(ctx context.Context, product string, envelopes [][]byte) (*PublishResponse, error) {
	var body bytes.Buffer
	for _, e := range envelopes {
		body.Write(bytes.TrimSpace(e))
		body.WriteByte('\n')
	}
	q := url.Values{}
	if product != "" {
		q.Set("product", product)
	}
	data, _, err := c.do(ctx, http.MethodPost, "/api/v1/attestations", q, body.Bytes(), 1<<30)
	if err != nil {
		return nil, err
	}
	var out PublishResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: the publish answer is not JSON: %v", ErrServer, err)
	}
	if len(out.Results) != len(envelopes) {
		return nil, fmt.Errorf("%w: %d results for %d envelopes", ErrServer, len(out.Results), len(envelopes))
	}
	return &out, nil
}

// Attestations returns every attestation about the SHA-256 digest subject,
// following pages.
func (c *Client) Attestations(ctx context.Context, subject tlog.Hash) ([]Attestation, error) {
	var all []Attestation
	q := url.Values{"subject": {"sha256:" + hex.EncodeToString(subject[:])}, "limit": {"100"}}
	for {
		data, _, err := c.do(ctx, http.MethodGet, "/api/v1/attestations", q, nil, limits.AttestationFile)
		if err != nil {
			return nil, err
		}
		var page AttestationsResponse
		if err := json.Unmarshal(data, &page); err != nil {
			return nil, fmt.Errorf("%w: the attestations answer is not JSON: %v", ErrServer, err)
		}
		all = append(all, page.Attestations...)
		if page.Next == nil {
			return all, nil
		}
		if len(all) > limits.Envelopes {
			return nil, fmt.Errorf("%w: more than %d attestations about one subject", limits.ErrTooLarge, limits.Envelopes)
		}
		q.Set("after", strconv.FormatInt(*page.Next, 10))
	}
}

// Entry returns the entry at index.
func (c *Client) Entry(ctx context.Context, index uint64) (*Attestation, error) {
	data, _, err := c.do(ctx, http.MethodGet, "/api/v1/entries/"+strconv.FormatUint(index, 10), nil, nil, int64(limits.LogEnvelope)+1<<20)
	if err != nil {
		return nil, err
	}
	var a Attestation
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%w: the entry answer is not JSON: %v", ErrServer, err)
	}
	return &a, nil
}

// Checkpoint returns the server's current signed checkpoint, unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	data, _, err := c.do(ctx, http.MethodGet, "/api/v1/log/checkpoint", nil, nil, tlog.MaxCheckpointSize)
	return data, err
}

// Consistency returns the consistency proof from size from to size to, unverified.
func (c *Client) Consistency(ctx context.Context, from, to uint64) ([]tlog.Hash, error) {
	q := url.Values{"from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	data, _, err := c.do(ctx, http.MethodGet, "/api/v1/log/proof/consistency", q, nil, 64<<10)
	if err != nil {
		return nil, err
	}
	var r struct {
		Proof []string `json:"consistencyProof"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: the consistency answer is not JSON: %v", ErrServer, err)
	}
	return parseProof(r.Proof)
}

// Inclusion returns the inclusion proof of index in the tree of size, unverified.
func (c *Client) Inclusion(ctx context.Context, index, size uint64) ([]tlog.Hash, error) {
	q := url.Values{"index": {strconv.FormatUint(index, 10)}, "size": {strconv.FormatUint(size, 10)}}
	data, _, err := c.do(ctx, http.MethodGet, "/api/v1/log/proof/inclusion", q, nil, 64<<10)
	if err != nil {
		return nil, err
	}
	var r struct {
		Proof []string `json:"inclusionProof"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: the inclusion answer is not JSON: %v", ErrServer, err)
	}
	return parseProof(r.Proof)
}

func parseProof(p []string) ([]tlog.Hash, error) {
	if len(p) > tlog.MaxProofHashes {
		return nil, fmt.Errorf("%w: a proof of %d hashes", tlog.ErrMalformed, len(p))
	}
	out := make([]tlog.Hash, len(p))
	for i, s := range p {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
