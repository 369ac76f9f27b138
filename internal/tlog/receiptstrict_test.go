package tlog_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

// TestParseReceiptStrictJSON: a receipt is read by the one strict JSON
// checker, so JSON that another parser could read differently is refused
// as such, before any field is looked at. Each input here was let through
// by the checker tlog had of its own (ASCII-only case folding, lone
// surrogates decoded to U+FFFD), or refused for another reason (its depth
// limit of 32, not the 200 every other reader applies).
func TestParseReceiptStrictJSON(t *testing.T) {
	rl := newReceiptLog(t, 3)
	b, _ := json.Marshal(rl.receipt(t, 1, 3))
	good := string(b)
	if _, err := tlog.ParseReceipt(b); err != nil {
		t.Fatalf("ParseReceipt(good) = %v", err)
	}
	deep := strings.Repeat("[", 201) + strings.Repeat("]", 201)
	tests := []struct {
		name, in, want string
	}{
		// "ı" (U+0131) upper-cases to "I": encoding/json reads "ındex" as index.
		{"dotless i folds to index", strings.Replace(good, `"index":1`, `"index":1,"ındex":2`, 1), `differ only in case`},
		{"escaped dotless i", strings.Replace(good, `"index":1`, `"index":1,"\u0131ndex":2`, 1), `differ only in case`},
		// "ſ" (U+017F) upper-cases to "S".
		{"long s folds to s", strings.Replace(good, `"inclusionProof"`, `"incluſionProof":[],"inclusionProof"`, 1), `differ only in case`},
		{"lone high surrogate", strings.Replace(good, `"origin":"`, `"origin":"\ud800`, 1), `lone UTF-16 surrogate`},
		{"lone low surrogate", strings.Replace(good, `"origin":"`, `"origin":"\udc00`, 1), `lone UTF-16 surrogate`},
		{"nested deeper than 200", strings.Replace(good, `"index":1`, `"index":1,"x":`+deep, 1), `nested deeper than 200`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tlog.ParseReceipt([]byte(tt.in))
			if !errors.Is(err, tlog.ErrMalformed) || r != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseReceipt(%s) = %v, %v; want ErrMalformed saying %q", tt.name, r, err, tt.want)
			}
		})
	}
	// Nesting up to the limit is the strict checker's to accept; the
	// receipt is then refused for its unknown field, not its depth.
	ok := strings.Repeat("[", 199) + strings.Repeat("]", 199)
	_, err := tlog.ParseReceipt([]byte(strings.Replace(good, `"index":1`, `"index":1,"x":`+ok, 1)))
	if err == nil || !strings.Contains(err.Error(), `unknown field "x"`) {
		t.Errorf("ParseReceipt(199 deep) = %v, want the unknown field refused", err)
	}
}
