package report

import (
	"encoding/json"
	"io"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/verify"
)

// Format is how a report is written.
type Format string

// The formats of a report.
const (
	Text Format = "text"
	JSON Format = "json"
)

// Verification writes a verification's result.
func Verification(w io.Writer, f Format, r *verify.Result) error {
	if f == JSON {
		return writeJSON(w, r)
	}
	_, err := io.WriteString(w, VerificationText(r))
	return err
}

// Pack writes a pack's verification result.
func Pack(w io.Writer, f Format, r *pack.Result) error {
	if f == JSON {
		return writeJSON(w, r)
	}
	_, err := io.WriteString(w, PackText(r))
	return err
}

func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// Mark is the word a report's line starts with for a status: PASS, FAIL,
// or ---- for what neither passed nor failed (an unused attestation).
func Mark(status string) string {
	switch status {
	case verify.StatusPass, verify.StatusCounted:
		return "PASS"
	case verify.StatusFail, verify.StatusInvalid:
		return "FAIL"
	}
	return "----"
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
