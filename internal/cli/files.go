package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
)

// readEnvelopes reads a file of DSSE envelopes (.intoto.jsonl or one
// envelope). Anything else, or any line that is not a well-formed
// envelope, is an error: the log takes envelopes only.
func readEnvelopes(path string) ([]*attest.Envelope, error) {
	data, err := limits.ReadFile(path, limits.AttestationFile)
	if err != nil {
		return nil, fmt.Errorf("reading attestations: %w", err)
	}
	items, err := attest.Read(data, path)
	if err != nil {
		return nil, err
	}
	envs := make([]*attest.Envelope, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			return nil, fmt.Errorf("%s: %w", it.Source, it.Err)
		}
		if it.Format != attest.FormatDSSE || it.Envelope == nil {
			return nil, fmt.Errorf("%w: %s is a %s; the log takes DSSE envelopes (.intoto.jsonl)", attest.ErrMalformed, it.Source, it.Describe())
		}
		if it.Malformed > 0 {
			return nil, fmt.Errorf("%w: %s has %d malformed signature(s)", attest.ErrMalformed, it.Source, it.Malformed)
		}
		envs = append(envs, it.Envelope)
	}
	return envs, nil
}

// marshalLines is receipts (or envelopes) as JSON Lines.
func marshalLines[T any](vs []T) ([]byte, error) {
	var b bytes.Buffer
	for _, v := range vs {
		line, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// tokenFrom is --token, else CONSIGN_TOKEN.
func tokenFrom(deps *Deps, flag string) string {
	if flag != "" {
		return flag
	}
	return deps.getenv("CONSIGN_TOKEN")
}
