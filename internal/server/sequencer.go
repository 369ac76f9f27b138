package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// pendingEntry is one verified envelope waiting to be logged.
type pendingEntry struct {
	leaf     *tlog.Leaf // time set by the sequencer
	key      tlog.Hash
	envelope []byte
	product  string
	subjects []tlog.Hash
}

type appendResult struct {
	appended []store.Appended
	tree     store.Tree
	err      error
}

type appendRequest struct {
	// token is the hash of the secret of the token that sent it, for the
	// sequencer's check; nil when the caller read the token from the
	// database for this very request (the portal's findings).
	token   *tlog.Hash
	entries []pendingEntry
	done    chan appendResult // buffered, 1
}

// sequencer groups concurrent publish requests into batches and appends
// each batch in one store transaction: a group commit. It holds no log
// state: the database orders the log, so several sequencers (in several
// processes) may append to one store.
type sequencer struct {
	st       Appender
	now      func() time.Time
	maxBatch int
	timeout  time.Duration
	queue    chan *appendRequest
	stop     chan struct{}
	wg       sync.WaitGroup
	last     time.Time
	// committed, when set, sees each committed batch before any of its
	// requests is answered.
	committed func([]store.Appended, store.Tree)
	// check, when set, reads a token again right before the entries of
	// its requests are appended: a request whose token it refuses fails
	// with its error, and nothing of it is logged. It runs once per token
	// per batch.
	check func(ctx context.Context, token tlog.Hash) error
	// rate is the bytes of envelopes a second an append is given beyond
	// timeout: a batch's append may take timeout plus its bytes at rate.
	rate int64
}

func newSequencer(st Appender, now func() time.Time, queue, maxBatch int, timeout time.Duration, rate int64, check func(context.Context, tlog.Hash) error, committed func([]store.Appended, store.Tree)) *sequencer {
	q := &sequencer{st: st, now: now, maxBatch: maxBatch, timeout: timeout, rate: rate, queue: make(chan *appendRequest, queue), stop: make(chan struct{}), check: check, committed: committed}
	q.wg.Add(1)
	go q.run()
	return q
}

// submit queues entries, or returns api.ErrOverloaded at once when the queue is full.
func (q *sequencer) submit(token *tlog.Hash, entries []pendingEntry) (*appendRequest, error) {
	req := &appendRequest{token: token, entries: entries, done: make(chan appendResult, 1)}
	select {
	case <-q.stop:
		return nil, fmt.Errorf("%w: the server is shutting down", api.ErrServer)
	default:
	}
	select {
	case q.queue <- req:
		return req, nil
	default:
		return nil, &retryError{api.ErrOverloaded, time.Second}
	}
}

func (q *sequencer) close() {
	close(q.stop)
	q.wg.Wait()
}

func (q *sequencer) run() {
	defer q.wg.Done()
	for {
		var first *appendRequest
		select {
		case first = <-q.queue:
		case <-q.stop:
			// Fail whatever is still queued; nothing of it was logged.
			for {
				select {
				case req := <-q.queue:
					req.done <- appendResult{err: fmt.Errorf("%w: the server is shutting down", api.ErrServer)}
				default:
					return
				}
			}
		}
		batch := []*appendRequest{first}
		n := len(first.entries)
	fill:
		for n < q.maxBatch {
			select {
			case req := <-q.queue:
				batch = append(batch, req)
				n += len(req.entries)
			default:
				break fill
			}
		}
		q.append(batch, n)
	}
}

// checkTokens fails the requests of batch whose token check refuses and
// returns the others, with their number of entries.
func (q *sequencer) checkTokens(batch []*appendRequest) ([]*appendRequest, int) {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	var tokens []tlog.Hash
	verdict := map[tlog.Hash]error{}
	for _, req := range batch {
		if req.token != nil {
			if _, ok := verdict[*req.token]; !ok {
				verdict[*req.token] = nil
				tokens = append(tokens, *req.token)
			}
		}
	}
	// Usually one token or a few; many distinct tokens are read a few at
	// a time, so that a group of many tokens does not hold the appends up
	// for one read after another.
	errs := make([]error, len(tokens))
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxTokenChecks)
	for i, h := range tokens {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = q.check(ctx, h)
		}()
	}
	wg.Wait()
	for i, h := range tokens {
		verdict[h] = errs[i]
	}
	kept, n := batch[:0], 0
	for _, req := range batch {
		if req.token != nil {
			if err := verdict[*req.token]; err != nil {
				req.done <- appendResult{err: err}
				continue
			}
		}
		kept = append(kept, req)
		n += len(req.entries)
	}
	return kept, n
}

// maxTokenChecks is the most token reads a group makes at once.
const maxTokenChecks = 8

func (q *sequencer) append(batch []*appendRequest, n int) {
	if q.check != nil {
		if batch, n = q.checkTokens(batch); len(batch) == 0 {
			return
		}
	}
	// One acceptance time for the batch, never earlier than the last one
	// this sequencer used.
	t := q.now().UTC().Truncate(time.Millisecond)
	if t.Before(q.last) {
		t = q.last
	}
	q.last = t
	entries := make([]store.NewEntry, 0, n)
	var size int64
	for _, req := range batch {
		for _, p := range req.entries {
			leaf := *p.leaf
			leaf.Time = t
			entries = append(entries, store.NewEntry{Key: p.key, Leaf: leaf.Marshal(), Envelope: p.envelope, Product: p.product, Subjects: p.subjects})
			size += int64(len(p.envelope))
		}
	}
	// A batch's append writes its envelopes and indexes their subjects:
	// a million-file link's takes far longer than a small one's.
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout+limits.AtRate(size, q.rate))
	appended, tree, err := q.st.Append(ctx, entries)
	cancel()
	if err == nil && q.committed != nil {
		q.committed(appended, tree)
	}
	off := 0
	for _, req := range batch {
		if err != nil {
			req.done <- appendResult{err: err}
			continue
		}
		k := len(req.entries)
		req.done <- appendResult{appended: appended[off : off+k], tree: tree}
		off += k
	}
}
