package storetest

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/store"
)

// testInspectorTokens checks that a token's role and expiry are kept, and
// that a token without an expiry reads back without one.
func testInspectorTokens(t *testing.T, s store.Store) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	insp := &store.Token{ID: "i1", Hash: sha256.Sum256([]byte("inspector")), Name: "centre", Products: []string{"p1"}, Created: now, Role: store.RoleInspector, Expires: now.Add(72 * time.Hour)}
	plain := &store.Token{ID: "r1", Hash: sha256.Sum256([]byte("reader")), Products: []string{"p1"}, Created: now}
	for _, tok := range []*store.Token{insp, plain} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.ID, err)
		}
	}
	got, err := s.TokenByHash(ctx, insp.Hash)
	if err != nil || got.Role != store.RoleInspector || !got.Expires.Equal(insp.Expires) {
		t.Errorf("TokenByHash(inspector) = %+v, %v; want role %q, expires %v", got, err, store.RoleInspector, insp.Expires)
	}
	got, err = s.TokenByHash(ctx, plain.Hash)
	if err != nil || got.Role != "" || !got.Expires.IsZero() {
		t.Errorf("TokenByHash(reader) = %+v, %v; want no role and no expiry", got, err)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 2 || list[0].Role != store.RoleInspector || !list[0].Expires.Equal(insp.Expires) {
		t.Errorf("ListTokens = %+v, %v; want the inspector token first, with its role and expiry", list, err)
	}
}

func testProductEntries(t *testing.T, s store.Store) {
	es := []store.NewEntry{entry("0"), entry("1"), entry("2"), entry("3"), entry("4")}
	es[1].Product, es[3].Product = "product-b", "product-b"
	if _, _, err := s.Append(ctx, es); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		q    store.ProductQuery
		want []int64
	}{
		{store.ProductQuery{Product: "product-a", After: -1, Limit: 10}, []int64{0, 2, 4}},
		{store.ProductQuery{Product: "product-b", After: -1, Limit: 10}, []int64{1, 3}},
		{store.ProductQuery{Product: "product-a", After: 0, Limit: 10}, []int64{2, 4}},
		{store.ProductQuery{Product: "product-a", After: -1, Limit: 2}, []int64{0, 2}},
		{store.ProductQuery{Product: "product-a", After: 4, Limit: 10}, nil},
		{store.ProductQuery{Product: "product-c", After: -1, Limit: 10}, nil},
	} {
		got, err := s.ProductEntries(ctx, tt.q)
		if err != nil {
			t.Fatalf("ProductEntries(%+v): %v", tt.q, err)
		}
		var idx []int64
		for _, e := range got {
			idx = append(idx, e.Index)
			if e.Product != tt.q.Product || string(e.Envelope) != string(es[e.Index].Envelope) {
				t.Errorf("ProductEntries(%+v) entry %d = %+v, want product %q and its envelope", tt.q, e.Index, e, tt.q.Product)
			}
		}
		if !slices.Equal(idx, tt.want) {
			t.Errorf("ProductEntries(%+v) = %v, want %v", tt.q, idx, tt.want)
		}
	}
	if _, err := s.ProductEntries(ctx, store.ProductQuery{Product: "product-a", After: -1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ProductEntries(limit 0) = %v, want ErrInvalid", err)
	}
}

func testAccessRecord(t *testing.T, s store.Store) {
	if got, err := s.Accesses(ctx, store.AccessQuery{Limit: 10}); err != nil || len(got) != 0 {
		t.Fatalf("Accesses of a new store = %+v, %v; want none", got, err)
	}
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	records := []store.Access{
		{Time: now, TokenID: "i1", TokenName: "centre", Product: "p1", Action: "view", Path: "/products/p1"},
		{Time: now.Add(time.Second), TokenID: "i1", TokenName: "centre", Product: "p2", Action: "view", Path: "/products/p2"},
		{Time: now.Add(2 * time.Second), TokenID: "i2", Product: "p1", Action: "download", Path: "/products/p1/entries/3/envelope"},
		{Time: now.Add(3 * time.Second), TokenID: "i2", Action: "view", Path: "/log"},
	}
	for _, a := range records {
		if err := s.RecordAccess(ctx, a); err != nil {
			t.Fatalf("RecordAccess(%+v): %v", a, err)
		}
	}
	for _, tt := range []struct {
		q    store.AccessQuery
		want []int // indexes into records, newest first
	}{
		{store.AccessQuery{Limit: 10}, []int{3, 2, 1, 0}},
		{store.AccessQuery{Limit: 2}, []int{3, 2}},
		{store.AccessQuery{Limit: 10, Products: []string{"p1"}}, []int{2, 0}},
		{store.AccessQuery{Limit: 10, Products: []string{"p3"}}, nil},
		{store.AccessQuery{Limit: 10, Products: []string{}}, nil},
		{store.AccessQuery{Limit: 10, Products: []string{"p2"}, TokenID: "i2"}, []int{3, 2, 1}},
		{store.AccessQuery{Limit: 10, Products: []string{"p2"}, TokenID: "i1"}, []int{1, 0}},
		{store.AccessQuery{Limit: 10, Products: []string{}, TokenID: "i1"}, []int{1, 0}},
	} {
		got, err := s.Accesses(ctx, tt.q)
		if err != nil {
			t.Fatalf("Accesses(%+v): %v", tt.q, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("Accesses(%+v) = %+v, want %d records", tt.q, got, len(tt.want))
		}
		for i, w := range tt.want {
			if g := got[i]; !g.Time.Equal(records[w].Time) || g.TokenID != records[w].TokenID || g.TokenName != records[w].TokenName ||
				g.Product != records[w].Product || g.Action != records[w].Action || g.Path != records[w].Path {
				t.Errorf("Accesses(%+v)[%d] = %+v, want %+v", tt.q, i, g, records[w])
			}
		}
	}
	if _, err := s.Accesses(ctx, store.AccessQuery{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Accesses(limit 0) = %v, want ErrInvalid", err)
	}
}
