package server

import (
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
)

// TestRetryErrorMessage: the message a client prints names the wait the
// Retry-After header gives, in whole seconds rounded up: a wait of 0.3 s
// read "retry after 0s", beside a header of 1.
func TestRetryErrorMessage(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  string
	}{
		{300 * time.Millisecond, "rate limit exceeded; retry after 1s"},
		{time.Second, "rate limit exceeded; retry after 1s"},
		{1500 * time.Millisecond, "rate limit exceeded; retry after 2s"},
		{0, "rate limit exceeded; retry after 1s"},
	}
	for _, tt := range tests {
		e := &retryError{api.ErrRateLimited, tt.after}
		if got := e.Error(); got != tt.want {
			t.Errorf("retryError{after: %v}.Error() = %q, want %q", tt.after, got, tt.want)
		}
		if got, want := "retry after "+retryAfterSeconds(tt.after)+"s", tt.want[len("rate limit exceeded; "):]; got != want {
			t.Errorf("header says %q, message %q", got, want)
		}
	}
}
