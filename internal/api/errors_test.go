package api

import (
	"errors"
	"testing"
)

// TestErrorNoDoubledPrefix: a server's problem detail that repeats its
// title is printed once.
func TestErrorNoDoubledPrefix(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Status: 403, Title: "the token may not do this", Detail: "the token may not do this: product \"x\""},
			`server answered 403: the token may not do this: product "x"`},
		{Error{Status: 413, Title: "request too large", Detail: "3 envelopes over the limit"},
			"server answered 413: request too large: 3 envelopes over the limit"},
		{Error{Status: 404, Title: "not found"}, "server answered 404: not found"},
		{Error{Status: 500}, "server answered 500"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if e := (&Error{Status: 403}); !errors.Is(e, ErrForbidden) {
		t.Errorf("errors.Is(403, ErrForbidden) = false")
	}
}
