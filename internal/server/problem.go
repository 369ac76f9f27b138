package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// problem is an RFC 9457 problem details document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

const problemBase = "https://consign.dev/problems/"

// writeError maps err to a status and writes it as problem details. Errors
// the server did not anticipate become a 500 whose detail says nothing of
// the internals; they are logged instead.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	p := problem{Status: http.StatusInternalServerError, Type: problemBase + "internal", Title: "internal server error"}
	var mbe *http.MaxBytesError
	var re *retryError
	switch {
	case errors.Is(err, ErrUnauthorized):
		p = problem{Status: http.StatusUnauthorized, Type: problemBase + "unauthorized", Title: "a valid token is required"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="consign"`)
	case errors.Is(err, ErrForbidden):
		p = problem{Status: http.StatusForbidden, Type: problemBase + "forbidden", Title: "the token may not do this", Detail: err.Error()}
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrNotFound):
		p = problem{Status: http.StatusNotFound, Type: problemBase + "not-found", Title: "not found"}
	case errors.As(err, &mbe), errors.Is(err, ErrTooLarge), errors.Is(err, limits.ErrTooLarge):
		p = problem{Status: http.StatusRequestEntityTooLarge, Type: problemBase + "too-large", Title: "request too large", Detail: err.Error()}
	case errors.As(err, &re) && errors.Is(err, ErrRateLimited):
		p = problem{Status: http.StatusTooManyRequests, Type: problemBase + "rate-limited", Title: "rate limit exceeded", Detail: err.Error()}
		w.Header().Set("Retry-After", retryAfterSeconds(re.after))
	case errors.As(err, &re) && errors.Is(err, ErrOverloaded):
		p = problem{Status: http.StatusServiceUnavailable, Type: problemBase + "overloaded", Title: "the log is overloaded", Detail: err.Error()}
		w.Header().Set("Retry-After", retryAfterSeconds(re.after))
	case errors.Is(err, ErrBadRequest), errors.Is(err, attest.ErrInvalid), errors.Is(err, tlog.ErrMalformed), errors.Is(err, tlog.ErrIndex), errors.Is(err, store.ErrInvalid):
		p = problem{Status: http.StatusBadRequest, Type: problemBase + "bad-request", Title: "bad request", Detail: err.Error()}
	default:
		log.Error("request failed", "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, b)
}

// writeJSONBytes answers with the JSON b (and a newline).
func writeJSONBytes(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(append(b, '\n'))
}
