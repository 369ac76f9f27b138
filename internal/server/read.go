package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// parseUint reads a query or path number: decimal digits only, below 2^63
// (security case 73 in docs/security.md).
func parseUint(name, s string) (int64, error) {
	v, err := strconv.ParseUint(s, 10, 63)
	if err != nil || strconv.FormatUint(v, 10) != s || v > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s %q is not a non-negative integer below 2^63", api.ErrBadRequest, name, truncate(s))
	}
	return int64(v), nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// parseSubject reads sha256:<64 lowercase hex>.
func parseSubject(s string) (tlog.Hash, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	var d tlog.Hash
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return d, fmt.Errorf("%w: subject %q is not sha256:<64 lowercase hex digits>", api.ErrBadRequest, truncate(s))
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return d, fmt.Errorf("%w: subject %q is not sha256:<64 lowercase hex digits>", api.ErrBadRequest, truncate(s))
	}
	return d, nil
}

// attestations is GET /api/v1/attestations?subject=sha256:HEX[&after=N][&limit=M].
func (s *Server) attestations(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	products, err := s.readScope(ctx, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	subject, err := parseSubject(q.Get("subject"))
	if err != nil {
		return err
	}
	query := store.Query{Subject: subject, Products: products, After: -1, Limit: 100}
	if v := q.Get("after"); v != "" {
		if query.After, err = parseUint("after", v); err != nil {
			return err
		}
	}
	if v := q.Get("limit"); v != "" {
		l, err := parseUint("limit", v)
		if err != nil || l == 0 || l > api.MaxPage {
			return fmt.Errorf("%w: limit must be 1 to %d", api.ErrBadRequest, api.MaxPage)
		}
		query.Limit = int(l)
	}
	// One more than asked, to know whether there is a next page.
	query.Limit++
	entries, err := s.entries.Entries(ctx, query)
	if err != nil {
		return err
	}
	out := api.AttestationsResponse{Attestations: []api.Attestation{}}
	if len(entries) == query.Limit {
		entries = entries[:len(entries)-1]
		next := entries[len(entries)-1].Index
		out.Next = &next
	}
	if len(entries) > 0 {
		tree, err := s.tree(ctx)
		if err != nil {
			return err
		}
		indexes := make([]int64, len(entries))
		leaves := make([][]byte, len(entries))
		for i, e := range entries {
			indexes[i], leaves[i] = e.Index, e.Leaf
		}
		receipts, err := s.receipts(ctx, tree, indexes, leaves)
		if err != nil {
			return err
		}
		for i, e := range entries {
			out.Attestations = append(out.Attestations, api.Attestation{Index: e.Index, Envelope: e.Envelope, Receipt: receipts[i]})
		}
	}
	writeJSON(w, out)
	return nil
}

// entry is GET /api/v1/entries/{index}. An entry the caller may not read is
// answered exactly as one that does not exist (security case 76 in docs/security.md).
func (s *Server) entry(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	products, err := s.readScope(ctx, r)
	if err != nil {
		return err
	}
	index, err := parseUint("index", r.PathValue("index"))
	if err != nil {
		return err
	}
	e, err := s.entries.Entry(ctx, index)
	if err != nil {
		return err
	}
	if products != nil && !slices.Contains(products, e.Product) {
		return api.ErrNotFound
	}
	tree, err := s.tree(ctx)
	if err != nil {
		return err
	}
	receipts, err := s.receipts(ctx, tree, []int64{e.Index}, [][]byte{e.Leaf})
	if err != nil {
		return err
	}
	writeJSON(w, api.Attestation{Index: e.Index, Envelope: e.Envelope, Receipt: receipts[0]})
	return nil
}

// checkpoint is GET /api/v1/log/checkpoint: the signed note itself.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.readScope(ctx, r); err != nil {
		return err
	}
	tree, err := s.tree(ctx)
	if err != nil {
		return err
	}
	note, err := s.signedCheckpoint(tree)
	if err != nil {
		return err
	}
	s.served(ctx, tree)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(note)
	return nil
}

// key is GET /api/v1/log/key: the log's verifier key, for people to compare
// with the one they were given. Clients never trust it from here
// (security case 39 in docs/security.md).
func (s *Server) key(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.cfg.Signer.VerifierKey() + "\n"))
	return nil
}

// inclusion is GET /api/v1/log/proof/inclusion?index=I[&size=N].
func (s *Server) inclusion(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.readScope(ctx, r); err != nil {
		return err
	}
	q := r.URL.Query()
	index, err := parseUint("index", q.Get("index"))
	if err != nil {
		return err
	}
	size, logSize, err := s.sizeParam(ctx, "size", q.Get("size"))
	if err != nil {
		return err
	}
	if size > logSize || index >= size {
		return fmt.Errorf("%w: index %d of a tree of %d (the log has %d entries)", tlog.ErrIndex, index, size, logSize)
	}
	p, err := tlog.ProveInclusion(index, size, s.reader(ctx))
	if err != nil {
		return err
	}
	writeJSON(w, api.InclusionResponse{Index: uint64(index), Size: uint64(size), Proof: p})
	return nil
}

// sizeParam reads a proof's tree size parameter v (named name in errors;
// empty means the log's size) and returns it with a size the log has at
// least. The log only grows, so a size no larger than one this server has
// seen needs no database read.
func (s *Server) sizeParam(ctx context.Context, name, v string) (size, logSize int64, err error) {
	if v != "" {
		if size, err = parseUint(name, v); err != nil {
			return 0, 0, err
		}
		if known := s.knownSize.Load(); size <= known {
			return size, known, nil
		}
	}
	tree, err := s.tree(ctx)
	if err != nil {
		return 0, 0, err
	}
	if v == "" {
		size = tree.Size
	}
	return size, tree.Size, nil
}

// consistency is GET /api/v1/log/proof/consistency?from=M[&to=N].
func (s *Server) consistency(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if _, err := s.readScope(ctx, r); err != nil {
		return err
	}
	q := r.URL.Query()
	from, err := parseUint("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, logSize, err := s.sizeParam(ctx, "to", q.Get("to"))
	if err != nil {
		return err
	}
	if to > logSize || from > to {
		return fmt.Errorf("%w: consistency from %d to %d (the log has %d entries)", tlog.ErrIndex, from, to, logSize)
	}
	p, err := tlog.ProveConsistency(from, to, s.reader(ctx))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("reading proof hashes: %v", err)
		}
		return err
	}
	writeJSON(w, api.ConsistencyResponse{From: uint64(from), To: uint64(to), Proof: p})
	return nil
}
