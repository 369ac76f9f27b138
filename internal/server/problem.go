package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// writeError maps err to a status and writes it as problem details. Errors
// the server did not anticipate become a 500 whose detail says nothing of
// the internals; they are logged instead.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	p := api.Problem{Status: http.StatusInternalServerError, Type: api.ProblemBase + "internal", Title: "internal server error"}
	var mbe *http.MaxBytesError
	var re *retryError
	switch {
	case errors.Is(err, api.ErrUnauthorized):
		p = api.Problem{Status: http.StatusUnauthorized, Type: api.ProblemBase + "unauthorized", Title: "a valid token is required"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="consign"`)
	case errors.Is(err, api.ErrForbidden):
		p = api.Problem{Status: http.StatusForbidden, Type: api.ProblemBase + "forbidden", Title: "the token may not do this", Detail: err.Error()}
	case errors.Is(err, api.ErrNotFound), errors.Is(err, store.ErrNotFound):
		p = api.Problem{Status: http.StatusNotFound, Type: api.ProblemBase + "not-found", Title: "not found"}
	case errors.Is(err, api.ErrTimeout):
		p = api.Problem{Status: http.StatusRequestTimeout, Type: api.ProblemBase + "timeout", Title: "the request came too slowly", Detail: err.Error()}
		w.Header().Set("Connection", "close")
	case errors.As(err, &mbe), errors.Is(err, api.ErrTooLarge), errors.Is(err, limits.ErrTooLarge):
		p = api.Problem{Status: http.StatusRequestEntityTooLarge, Type: api.ProblemBase + "too-large", Title: "request too large", Detail: err.Error()}
	case errors.As(err, &re) && errors.Is(err, errTokenBusy):
		p = api.Problem{Status: http.StatusTooManyRequests, Type: api.ProblemBase + "token-busy", Title: "the token has too much in flight", Detail: err.Error()}
		w.Header().Set("Retry-After", retryAfterSeconds(re.after))
	case errors.As(err, &re) && errors.Is(err, api.ErrRateLimited):
		p = api.Problem{Status: http.StatusTooManyRequests, Type: api.ProblemBase + "rate-limited", Title: "rate limit exceeded", Detail: err.Error()}
		w.Header().Set("Retry-After", retryAfterSeconds(re.after))
	case errors.As(err, &re) && errors.Is(err, api.ErrOverloaded):
		p = api.Problem{Status: http.StatusServiceUnavailable, Type: api.ProblemBase + "overloaded", Title: "the log is overloaded", Detail: err.Error()}
		w.Header().Set("Retry-After", retryAfterSeconds(re.after))
	case errors.Is(err, api.ErrBadRequest), errors.Is(err, attest.ErrInvalid), errors.Is(err, tlog.ErrMalformed), errors.Is(err, tlog.ErrIndex), errors.Is(err, store.ErrInvalid):
		p = api.Problem{Status: http.StatusBadRequest, Type: api.ProblemBase + "bad-request", Title: "bad request", Detail: err.Error()}
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

// The headers of a JSON answer, in canonical form: net/http copies them
// when it writes the header, so every answer can share them, with no
// canonicalisation and no allocation per answer.
var (
	jsonContentType = []string{"application/json"}
	noSniff         = []string{"nosniff"}
)

// writeJSONBytes answers with the JSON b (and a newline).
func writeJSONBytes(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["X-Content-Type-Options"] = noSniff
	w.Write(append(b, '\n'))
}
