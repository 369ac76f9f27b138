// Package client is the client of a consign server (internal/server):
// publish envelopes, fetch attestations and entries, the checkpoint and
// proofs, and [Watch] a log for growth.
//
// Nothing a server answers is trusted: receipts and checkpoints are
// verified by the caller with a log key it got elsewhere, and every answer
// is read under a size cap ([Config.MaxResponse] and smaller ones per
// endpoint), checked against its declared length before any byte is read,
// so that a hostile or broken server's endless or huge answer is an error
// wrapping [limits.ErrTooLarge], never memory spent.
//
// A server that answers 429 (rate limited) or 503 (busy) with Retry-After
// is waited out and asked again, within [Config.MaxRetryWait] for all the
// calls of one [Client], [Config.OnRetry] told of each wait; past it, the
// error is a [*RetryBudgetError], which wraps the server's [*api.Error]
// ([api.ErrRateLimited] or [api.ErrOverloaded]) and [ErrRetryBudget].
package client

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// Client talks to a consign server.
type Client struct {
	base      *url.URL
	token     string
	hc        *http.Client
	max       int64
	idle      time.Duration
	retryWait time.Duration // the budget: Config.MaxRetryWait, 0 for none
	onRetry   func(err *api.Error, wait time.Duration)
	sleep     func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	waited time.Duration // of retryWait, by all calls so far
}

// DefaultMaxResponse is the default of [Config.MaxResponse].
const DefaultMaxResponse = 256 << 20

// Config configures a [Client].
type Config struct {
	// URL is the server's base URL, http(s)://HOST[:PORT][/PATH].
	URL string
	// Token is the bearer token; empty for open reads.
	Token string
	// HTTP is the HTTP client; nil is one with http.DefaultTransport's
	// connection timeouts and no total timeout: how long a request may
	// take is IdleTimeout's to say.
	HTTP *http.Client
	// IdleTimeout is how long a request may go without a byte moving:
	// while its body is sent and while its answer is read. The answer's
	// first byte may take IdleTimeout plus the time the server's checks
	// of a body of that size are given ([limits.PublishCheckRate]). A
	// request that passes it fails with an error wrapping [ErrStalled]; a
	// big upload that keeps moving never does. 0 means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxResponse caps any one answer of the server, in bytes (a page of
	// attestations is the largest); 0 means DefaultMaxResponse. Answers
	// with a smaller bound of their own (checkpoints, proofs, publish
	// results) are capped at that.
	MaxResponse int64
	// MaxRetryWait is how long in all the client may wait, as the
	// server's Retry-After says, to send a request again that the server
	// answered 429 (the token over its rate or with too much in flight)
	// or 503 (the log busy): every request the client sends is idempotent
	// (a publish too: an envelope published twice is logged once), so
	// sending it again is safe. It is one budget for every call of the
	// Client, concurrent ones too, for as long as it is used: a program
	// that makes many calls for one task (pages, proofs, checkpoints,
	// repeated checks) waits no more than MaxRetryWait for all of them.
	// A program that runs for long, and wants a budget for each task (a
	// check of a monitor, a request it serves), makes a Client for each
	// (they may share one HTTP client and its connections). An answer
	// asking for a longer wait than is left is returned as a
	// [*RetryBudgetError]. 0 means DefaultMaxRetryWait; a negative value
	// never retries, and the server's [*api.Error] is returned as it is.
	MaxRetryWait time.Duration
	// OnRetry, if set, is called before each wait with the answer and
	// how long the client waits.
	OnRetry func(err *api.Error, wait time.Duration)
}

// DefaultMaxRetryWait is the default of [Config.MaxRetryWait].
const DefaultMaxRetryWait = 5 * time.Minute

// DefaultIdleTimeout is the default of [Config.IdleTimeout]: the
// server's own write timeout for an answer.
const DefaultIdleTimeout = time.Minute

// ErrURL is returned by [New] for a server URL it cannot use.
var ErrURL = errors.New("bad server URL")

// ErrRetryBudget is wrapped by a [*RetryBudgetError].
var ErrRetryBudget = errors.New("the client's retry budget is spent")

// RetryBudgetError is the error of a call that the server answered 429 or
// 503 asking for a wait (Retry-After) longer than what is left of the
// client's retry budget ([Config.MaxRetryWait]). It wraps the server's
// answer, an [*api.Error] (errors.Is [api.ErrRateLimited] or
// [api.ErrOverloaded]), and [ErrRetryBudget].
type RetryBudgetError struct {
	Err    *api.Error
	Wait   time.Duration // what the server asked for
	Waited time.Duration // what the client had waited, for all its calls
	Budget time.Duration // [Config.MaxRetryWait]
}

func (e *RetryBudgetError) Error() string {
	if e.Wait > e.Budget {
		return fmt.Sprintf("%v: the server asks for a wait of %v, longer than the %v in all this client waits for a busy server: try again later", e.Err, e.Wait, e.Budget)
	}
	return fmt.Sprintf("%v: the server asks for a wait of %v, and %v of the %v in all this client waits for a busy server is spent: try again later", e.Err, e.Wait, e.Waited, e.Budget)
}

func (e *RetryBudgetError) Unwrap() []error { return []error{e.Err, ErrRetryBudget} }

// ErrStalled is the error of a request during which no byte moved between
// the client and the server for longer than [Config.IdleTimeout] allows.
var ErrStalled = errors.New("the connection to the server stalled")

// New is a client of the server at cfg.URL. It returns an error wrapping
// [ErrURL] for a URL that is not http(s)://HOST[:PORT] without credentials.
func New(cfg Config) (*Client, error) {
	u, err := checkURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxRetryWait == 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	return &Client{base: u, token: cfg.Token, hc: cfg.HTTP, max: cfg.MaxResponse, idle: cfg.IdleTimeout,
		retryWait: max(cfg.MaxRetryWait, 0), onRetry: cfg.OnRetry, sleep: sleepCtx}, nil
}

// sleepCtx waits d, or until ctx ends (its cause is returned then).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// doRetrying is [Client.do], sent again after the wait the server asks
// for while it answers 429 or 503 and the client's retry budget lasts
// (each wait is taken from it, for all calls). Only idempotent requests
// may use it.
func (c *Client) doRetrying(ctx context.Context, method, path string, q url.Values, body []byte, max int64) ([]byte, http.Header, error) {
	for {
		data, h, err := c.do(ctx, method, path, q, body, max)
		var e *api.Error
		if err == nil || !errors.As(err, &e) || (e.Status != http.StatusTooManyRequests && e.Status != http.StatusServiceUnavailable) {
			return data, h, err
		}
		wait := e.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if err := c.take(e, wait); err != nil {
			return nil, nil, err
		}
		if c.onRetry != nil {
			c.onRetry(e, wait)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// take takes wait from the retry budget, or returns the error of the
// answer e once the budget cannot cover it: e itself for a client that
// never retries, else a [*RetryBudgetError].
func (c *Client) take(e *api.Error, wait time.Duration) error {
	if c.retryWait == 0 {
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if wait > c.retryWait-c.waited {
		return &RetryBudgetError{Err: e, Wait: wait, Waited: c.waited, Budget: c.retryWait}
	}
	c.waited += wait
	return nil
}

// retryAfter is the wait a Retry-After header's value v asks for (RFC
// 9110, section 10.2.3), the time now: delay-seconds, or an HTTP-date
// (as a proxy in front of the server may send); 0 for none, or one it
// cannot read. A wait too long for a [time.Duration] is the longest one:
// it is longer than any retry budget, never a short wait by overflow
// (9223372037 seconds were -292 years, waited as 1 s; some values were a
// few hundred nanoseconds, and a budget of minutes lasted for millions of
// requests).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		s, err := strconv.ParseUint(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange), err == nil && s > uint64(math.MaxInt64/time.Second):
			return math.MaxInt64
		case err != nil:
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// checkURL parses a server URL, saying what is wrong with one it cannot
// use.
func checkURL(raw string) (*url.URL, error) {
	shown := redactURL(raw)
	if !strings.Contains(raw, "://") {
		return nil, fmt.Errorf("%w: %q has no scheme: add http:// or https://", ErrURL, shown)
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %q: %v", ErrURL, shown, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%w: %q: the scheme must be http:// or https://, not %s://", ErrURL, shown, u.Scheme)
	case u.Host == "":
		return nil, fmt.Errorf("%w: %q has no host: write it as %s://HOST[:PORT]", ErrURL, shown, u.Scheme)
	case u.User != nil:
		return nil, fmt.Errorf("%w: %q holds credentials: pass a token with --token or $CONSIGN_TOKEN instead", ErrURL, shown)
	}
	return u, nil
}

// redactURL is s with any password (or token in the user part) hidden,
// also when s does not parse as a URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		if u.User == nil {
			return s
		}
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		start := 0
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			start = i + 3
		}
		return s[:start] + "xxxxx" + s[at:]
	}
	return s
}

// do sends a request and reads its answer under a [watchdog]: there is no
// deadline for the whole exchange, which would cut off a big body that
// keeps moving, but one for each time no byte moves.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, max int64) ([]byte, http.Header, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wd := newWatchdog(method+" "+u.Redacted(), c.idle, int64(len(body)), cancel)
	defer wd.stop()
	var rd io.Reader
	if body != nil {
		rd = &sending{r: bytes.NewReader(body), wd: wd}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(&sending{r: bytes.NewReader(body), wd: wd}), nil
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/jsonl")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if err := wd.err(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: %s %s: %v", api.ErrServer, method, u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	wd.answered()
	max = min(max, c.max)
	if resp.ContentLength > max {
		return nil, nil, fmt.Errorf("%s %s: %w: the server's answer is %d bytes, over the limit of %d", method, u.Redacted(), limits.ErrTooLarge, resp.ContentLength, max)
	}
	data, err := limits.Read(&reading{r: resp.Body, wd: wd}, max, "the server's answer")
	if err != nil {
		if err := wd.err(ctx); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode/100 != 2 {
		e := &api.Error{Status: resp.StatusCode}
		var p api.Problem
		if json.Unmarshal(data, &p) == nil {
			e.Title, e.Detail = p.Title, p.Detail
		}
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, nil, e
	}
	return data, resp.Header, nil
}

// get is a GET of path, waited out and sent again as [Config.MaxRetryWait]
// allows while the server answers 429 or 503 ([Client.doRetrying]).
func (c *Client) get(ctx context.Context, path string, q url.Values, max int64) ([]byte, http.Header, error) {
	return c.doRetrying(ctx, http.MethodGet, path, q, nil, max)
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Publish sends envelopes (each one DSSE envelope's JSON) for product
// (empty: the token's only product) and returns one result per envelope.
// An answer of 429 or 503 is waited out and the envelopes sent again, as
// [Config.MaxRetryWait] allows; past it the error is a
// [*RetryBudgetError] (errors.Is [api.ErrRateLimited] or
// [api.ErrOverloaded]).
func (c *Client) Publish(ctx context.Context, product string, envelopes [][]byte) (*api.PublishResponse, error) {
	var body bytes.Buffer
	for _, e := range envelopes {
		body.Write(bytes.TrimSpace(e))
		body.WriteByte('\n')
	}
	q := url.Values{}
	if product != "" {
		q.Set("product", product)
	}
	data, _, err := c.doRetrying(ctx, http.MethodPost, "/api/v1/attestations", q, body.Bytes(), maxPublishAnswer(len(envelopes)))
	if err != nil {
		return nil, err
	}
	var out api.PublishResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: the publish answer is not JSON: %v", api.ErrServer, err)
	}
	if len(out.Results) != len(envelopes) {
		return nil, fmt.Errorf("%w: %d results for %d envelopes", api.ErrServer, len(out.Results), len(envelopes))
	}
	return &out, nil
}

// maxResult bounds the answer for one published envelope: a receipt with
// its leaf (a digest and up to limits.Signatures signatures), a proof and
// a checkpoint, with room to spare.
const maxResult = 64 << 10

// maxPublishAnswer bounds the answer to a publish of n envelopes.
func maxPublishAnswer(n int) int64 { return int64(n+1) * maxResult }

// Attestations returns every attestation about the SHA-256 digest subject,
// following pages as [Client.EachAttestation] does. It holds them all: a
// caller that writes them somewhere uses EachAttestation.
func (c *Client) Attestations(ctx context.Context, subject tlog.Hash) ([]api.Attestation, error) {
	var all []api.Attestation
	err := c.EachAttestation(ctx, subject, func(a api.Attestation) error {
		all = append(all, a)
		return nil
	})
	return all, err
}

// pageSize is the attestations the client asks for in one page.
const pageSize = 100

// EachAttestation calls fn with every attestation about the SHA-256 digest
// subject, in the log's order, page by page as they arrive: no more than
// one page is held. Every page is capped in bytes ([Config.MaxResponse])
// and in entries (no more than asked for); all pages together are capped
// at [limits.Envelopes] attestations and [limits.FetchAnswers] bytes, with
// an error wrapping [limits.ErrTooLarge]. A page that does not move on,
// or whose entries are not in increasing order of index after the last
// page's, or whose next cursor is not its last entry, or a receipt for
// another index than its entry's, is an error wrapping [api.ErrServer]: a
// hostile server pages forever or repeats itself otherwise. An error of
// fn stops the paging and is returned as it is.
func (c *Client) EachAttestation(ctx context.Context, subject tlog.Hash, fn func(api.Attestation) error) error {
	var after *int64
	var count int
	var total int64
	q := url.Values{"subject": {"sha256:" + hex.EncodeToString(subject[:])}, "limit": {strconv.Itoa(pageSize)}}
	for {
		data, _, err := c.get(ctx, "/api/v1/attestations", q, c.max)
		if err != nil {
			return err
		}
		if total += int64(len(data)); total > limits.FetchAnswers {
			return fmt.Errorf("%w: more than %d bytes of attestations about one subject", limits.ErrTooLarge, int64(limits.FetchAnswers))
		}
		var page api.AttestationsResponse
		if err := json.Unmarshal(data, &page); err != nil {
			return fmt.Errorf("%w: the attestations answer is not JSON: %v", api.ErrServer, err)
		}
		data = nil
		if err := checkPage(&page, after); err != nil {
			return err
		}
		if count += len(page.Attestations); count > limits.Envelopes {
			return fmt.Errorf("%w: more than %d attestations about one subject", limits.ErrTooLarge, limits.Envelopes)
		}
		for _, a := range page.Attestations {
			if err := fn(a); err != nil {
				return err
			}
		}
		if page.Next == nil {
			return nil
		}
		after = page.Next
		q.Set("after", strconv.FormatInt(*page.Next, 10))
	}
}

// checkPage checks that a page of attestations is one the server's paging
// can give after the cursor after (nil for the first page): no more
// entries than asked for, indexes increasing past the cursor, a receipt
// for each entry's own index, and a next cursor that is the last entry's.
func checkPage(page *api.AttestationsResponse, after *int64) error {
	if len(page.Attestations) > pageSize {
		return fmt.Errorf("%w: a page of %d attestations, %d were asked for", api.ErrServer, len(page.Attestations), pageSize)
	}
	last := int64(-1)
	if after != nil {
		last = *after
	}
	for _, a := range page.Attestations {
		if a.Index <= last {
			return fmt.Errorf("%w: the attestations answer gives entry %d after entry %d: the pages do not move on", api.ErrServer, a.Index, last)
		}
		if a.Receipt != nil && a.Receipt.Index != uint64(a.Index) {
			return fmt.Errorf("%w: entry %d comes with the receipt of entry %d", api.ErrServer, a.Index, a.Receipt.Index)
		}
		last = a.Index
	}
	if page.Next != nil && (len(page.Attestations) == 0 || *page.Next != last) {
		return fmt.Errorf("%w: the attestations answer pages to %d after entry %d, which does not move on", api.ErrServer, *page.Next, last)
	}
	return nil
}

// Entry returns the entry at index.
func (c *Client) Entry(ctx context.Context, index uint64) (*api.Attestation, error) {
	data, _, err := c.get(ctx, "/api/v1/entries/"+strconv.FormatUint(index, 10), nil, int64(limits.LogEnvelope)+1<<20)
	if err != nil {
		return nil, err
	}
	var a api.Attestation
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%w: the entry answer is not JSON: %v", api.ErrServer, err)
	}
	return &a, nil
}

// Checkpoint returns the server's current signed checkpoint, unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	data, _, err := c.get(ctx, "/api/v1/log/checkpoint", nil, tlog.MaxCheckpointSize)
	return data, err
}

// Consistency returns the consistency proof from size from to size to, unverified.
func (c *Client) Consistency(ctx context.Context, from, to uint64) ([]tlog.Hash, error) {
	q := url.Values{"from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	data, _, err := c.get(ctx, "/api/v1/log/proof/consistency", q, 64<<10)
	if err != nil {
		return nil, err
	}
	var r struct {
		Proof []string `json:"consistencyProof"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: the consistency answer is not JSON: %v", api.ErrServer, err)
	}
	return parseProof(r.Proof)
}

// Inclusion returns the inclusion proof of index in the tree of size, unverified.
func (c *Client) Inclusion(ctx context.Context, index, size uint64) ([]tlog.Hash, error) {
	q := url.Values{"index": {strconv.FormatUint(index, 10)}, "size": {strconv.FormatUint(size, 10)}}
	data, _, err := c.get(ctx, "/api/v1/log/proof/inclusion", q, 64<<10)
	if err != nil {
		return nil, err
	}
	var r struct {
		Proof []string `json:"inclusionProof"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: the inclusion answer is not JSON: %v", api.ErrServer, err)
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
