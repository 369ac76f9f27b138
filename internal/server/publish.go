package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/strictjson"
	"github.com/consign-dev/consign/internal/tlog"
)

// appendPublishJSON appends r's JSON, as encoding/json writes it, to b.
func appendPublishJSON(b []byte, r *api.PublishResponse) []byte {
	if r.Results == nil {
		return append(b, `{"results":null}`...)
	}
	b = append(b, `{"results":[`...)
	for i, res := range r.Results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, res.Index, 10)
		b = append(b, `,"duplicate":`...)
		b = strconv.AppendBool(b, res.Duplicate)
		b = append(b, `,"receipt":`...)
		if res.Receipt == nil {
			b = append(b, "null"...)
		} else {
			b = res.Receipt.AppendJSON(b)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// publish is POST /api/v1/attestations.
func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := s.authenticatePublish(ctx, r)
	if err != nil {
		return err
	}
	if p == nil {
		return api.ErrUnauthorized
	}
	if len(p.keys) == 0 {
		return fmt.Errorf("%w: token %s is for reading only: it has no keys to publish for", api.ErrForbidden, p.token.ID)
	}
	product := r.URL.Query().Get("product")
	if product == "" {
		if len(p.token.Products) != 1 {
			return fmt.Errorf("%w: the token has several products; name one with ?product=", api.ErrBadRequest)
		}
		product = p.token.Products[0]
	}
	if !p.may(product) {
		return fmt.Errorf("%w: the token may not publish for product %q", api.ErrForbidden, product)
	}
	// An empty bucket answers before the body is read.
	if wait := s.limiter.take(p.token.ID, 0, s.now()); wait > 0 {
		return &retryError{api.ErrRateLimited, wait}
	}
	// So does a token with too much in flight: however many connections
	// its bodies come over, it holds at most its share of the server.
	l := s.cfg.Limits
	tl, err := s.tokenLoads.acquire(p.token.ID, l.TokenRequests, r.ContentLength, l.TokenInFlight)
	if err != nil {
		return err
	}
	var held int64
	queued := false // the sequencer has the entries, and releases them
	defer func() {
		if !queued {
			s.release(p.token.ID, tl, held)
		}
	}()
	lines, err := s.readEnvelopes(w, r, p.token.ID, tl, &held)
	// The answer is due within the write timeout of the body's end, plus
	// the time the checks of a body of its size are given.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(l.WriteTimeout + limits.AtRate(held, l.CheckRate)))
	if err != nil {
		return err
	}
	// The bucket pays for every envelope before any of them is checked.
	if wait := s.limiter.take(p.token.ID, len(lines), s.now()); wait > 0 {
		return &retryError{api.ErrRateLimited, wait}
	}
	entries, err := s.prepareAll(lines, p, product)
	if err != nil {
		return err
	}
	if held >= freeAfter {
		// The checks' garbage (the decoded payloads, hundreds of
		// megabytes for a million-file step) goes back to the system
		// before the store copies the envelopes into memory of its own.
		debug.FreeOSMemory()
	}
	req, err := s.seq.submit(&p.hash, entries)
	if err != nil {
		return err
	}
	var res appendResult
	select {
	case res = <-req.done:
	case <-ctx.Done():
		// The append goes on (a retry finds the entries logged), and
		// the entries it appends hold their bytes until it ends: so
		// does the budget. Released now, a token that hangs up once its
		// publishes are queued would have the queue hold its bodies
		// beyond its budget and MaxInFlight (Queue of them).
		queued = true
		go func() {
			<-req.done
			s.release(p.token.ID, tl, held)
		}()
		return ctx.Err()
	}
	if res.err != nil {
		return res.err
	}
	// The sequencer cached the hashes the batch wrote: the receipts below
	// read them from memory.
	indexes := make([]int64, len(res.appended))
	leaves := make([][]byte, len(res.appended))
	for i, a := range res.appended {
		indexes[i], leaves[i] = a.Index, a.Leaf
	}
	receipts, err := s.receipts(context.WithoutCancel(ctx), res.tree, indexes, leaves)
	if err != nil {
		return err
	}
	out := api.PublishResponse{Results: make([]api.PublishResult, len(receipts))}
	for i, rc := range receipts {
		out.Results[i] = api.PublishResult{Index: indexes[i], Duplicate: res.appended[i].Duplicate, Receipt: rc}
	}
	writeJSONBytes(w, appendPublishJSON(make([]byte, 0, 2048*len(out.Results)), &out))
	return nil
}

// freeAfter is the size of a publish body past which the memory its
// checks used is returned to the system at once (a collection of a small
// live heap, rare next to such a body's reading and checks), rather than
// held beside what the store then allocates: 0.4 GB of the 1.9 GB peak of
// a 392 MB envelope's publish (bench/SERVE.md).
const freeAfter = 64 << 20

// prepareAll checks every envelope (in parallel for large batches) and
// fails if any one fails: nothing of a request is logged unless all of it is.
// At most GOMAXPROCS envelopes are checked at once across all requests, so
// that hundreds of requests verifying signatures do not crowd the sequencer
// (whose appends every request waits for) out of the CPUs.
func (s *Server) prepareAll(lines []envelopeLine, p *principal, product string) ([]pendingEntry, error) {
	if len(lines) == 1 {
		s.cpu <- struct{}{}
		e, err := s.prepareLine(lines[0], p, product)
		<-s.cpu
		if err != nil {
			return nil, err
		}
		return []pendingEntry{e}, nil
	}
	out := make([]pendingEntry, len(lines))
	errs := make([]error, len(lines))
	workers := min(len(lines), runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	next := make(chan int, len(lines))
	for i := range lines {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s.cpu <- struct{}{}
				out[i], errs[i] = s.prepareLine(lines[i], p, product)
				lines[i] = envelopeLine{} // its payload is garbage from here on
				<-s.cpu
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if len(lines) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("envelope %d: %w", i+1, err)
		}
	}
	return out, nil
}

// prepareLine is [Server.prepare] of a line of a publish body, which an
// [attest.EnvelopeSink] may have read already: it accepts exactly the
// envelopes [attest.ParseEnvelope] accepts, with the same fields, and
// leaves the payload where a pure Ed25519 check reads PAE whole.
func (s *Server) prepareLine(l envelopeLine, p *principal, product string) (pendingEntry, error) {
	if l.streamed == nil {
		return s.prepare(l.data, p, product)
	}
	return s.prepareEnvelope(l.streamed.Envelope, l.streamed.Malformed, l.streamed.PAEMessage(), p, product)
}

// prepare checks one envelope against the token and makes its entry:
// strict DSSE parse, in-toto payload type, every signature verified with a
// key of the token (so the log vouches for each signature it records), and
// a strictly valid statement.
func (s *Server) prepare(line []byte, p *principal, product string) (pendingEntry, error) {
	env, malformed, err := attest.ParseEnvelope(line)
	if err != nil {
		return pendingEntry{}, err
	}
	// The PAE's head and the payload where it lies: the signatures are
	// checked and the leaf's statement hash taken without joining them.
	return s.prepareEnvelope(env, malformed, attest.PAEMessage(env.PayloadType, env.Payload), p, product)
}

// prepareEnvelope is [Server.prepare] of env, parsed strictly with
// malformed signatures dropped, whose PAE is msg.
func (s *Server) prepareEnvelope(env *attest.Envelope, malformed int, msg *sign.Message, p *principal, product string) (pendingEntry, error) {
	if malformed > 0 {
		return pendingEntry{}, fmt.Errorf("%w: %d malformed signature(s); the log records only signatures it can verify", attest.ErrMalformed, malformed)
	}
	if err := attest.CheckPayloadType(env.PayloadType); err != nil {
		return pendingEntry{}, err
	}
	sigs := make([]tlog.LeafSignature, 0, len(env.Signatures))
	for i, sg := range env.Signatures {
		var by *sign.Verifier
		for _, k := range p.keys {
			if k.VerifyMessage(msg, sg.Sig) == nil {
				by = k
				break
			}
		}
		if by == nil {
			return pendingEntry{}, fmt.Errorf("%w: signature %d is not by a key token %s may publish for", api.ErrForbidden, i+1, p.token.ID)
		}
		sigs = append(sigs, tlog.SignatureOf(by.KeyID(), sg.Sig))
	}
	// The statement's strings are read from the payload where it lies
	// (no copy of it), and its subjects into a table: a million-file
	// step's would otherwise cost a map each. Nothing writes to the
	// payload, and nothing read from it outlives this call.
	_, subjects, err := attest.ParseStatementTable(strictjson.NewTextUnsafe(env.Payload))
	if err != nil {
		return pendingEntry{}, err
	}
	leaf, err := tlog.NewLeafOfSum(s.now(), attest.PAESum(env.PayloadType, env.Payload), sigs)
	if err != nil {
		return pendingEntry{}, fmt.Errorf("%w: %v", api.ErrBadRequest, err)
	}
	e := pendingEntry{leaf: leaf, key: dedupeKey(product, leaf.Key()), product: product, subjects: make([]tlog.Hash, 0, subjects.Len())}
	for i := range subjects.Len() {
		h, ok := subjects.SHA256(i)
		if !ok {
			h, ok = subjects.Set(i)[digest.SHA256]
		}
		if ok {
			var d tlog.Hash
			if n, err := hex.Decode(d[:], []byte(h)); err == nil && n == len(d) {
				e.subjects = append(e.subjects, d)
			}
		}
	}
	// MarshalJSON's output is compact and escaped already (it is
	// json.Marshal's), so calling it skips json.Marshal's second pass.
	if e.envelope, err = env.MarshalJSON(); err != nil {
		return pendingEntry{}, err
	}
	return e, nil
}

// dedupeKey is what an entry of product is deduplicated by: the leaf's key
// within the product. Publishing an envelope that another product logged
// makes a new entry, so that the answer (duplicate or not, and which entry)
// tells a token holder nothing about products it may not read.
func dedupeKey(product string, leafKey tlog.Hash) tlog.Hash {
	h := sha256.New()
	h.Write([]byte("consign dedupe v1\n" + product + "\n"))
	h.Write(leafKey[:])
	return tlog.Hash(h.Sum(nil))
}
