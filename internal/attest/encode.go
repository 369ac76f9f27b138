package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
)

// The encoders below write the bytes encoding/json writes for the same
// values, without its reflection, map sorting and re-compaction of
// marshalled fields: a statement about a million files is mostly subjects,
// and encoding them was a good part of recording a step.
// TestAppendJSON holds them to encoding/json's output.

// AppendString appends s as a JSON string, escaped exactly as
// encoding/json escapes it (HTML characters included).
func AppendString(dst []byte, s string) []byte {
	var esc byte // without a branch per byte: a step's paths are millions of bytes
	i := 0
	for ; i+8 <= len(s); i += 8 { // and one per eight bytes, not per byte
		t := s[i : i+8]
		esc |= jsonEscaped[t[0]] | jsonEscaped[t[1]] | jsonEscaped[t[2]] | jsonEscaped[t[3]] |
			jsonEscaped[t[4]] | jsonEscaped[t[5]] | jsonEscaped[t[6]] | jsonEscaped[t[7]]
	}
	for ; i < len(s); i++ {
		esc |= jsonEscaped[s[i]]
	}
	if esc != 0 {
		b, _ := json.Marshal(s) // a string always marshals
		return append(dst, b...)
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// jsonEscaped[c] is 1 for every byte c that encoding/json does not write
// as itself in a string: control bytes, '"', '\\', the HTML characters
// '<', '>' and '&', DEL and every byte of a multi-byte or invalid UTF-8
// sequence.
var jsonEscaped = func() (t [256]byte) {
	for c := range t {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			t[c] = 1
		}
	}
	return t
}()

// AppendDigestSet appends d as a JSON object, its keys sorted.
func AppendDigestSet(dst []byte, d digest.Set) []byte {
	dst = append(dst, '{')
	if len(d) == 1 {
		for alg, v := range d {
			dst = AppendString(dst, alg)
			dst = append(dst, ':')
			dst = AppendString(dst, v)
		}
		return append(dst, '}')
	}
	var buf [8]string
	algs := buf[:0]
	for alg := range d {
		algs = append(algs, alg)
	}
	slices.Sort(algs)
	for i, alg := range algs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, alg)
		dst = append(dst, ':')
		dst = AppendString(dst, d[alg])
	}
	return append(dst, '}')
}

// AppendArtifact appends a as a subject or resource descriptor with a name
// and a digest: {"name":PATH,"digest":{"sha256":HEX}}, the bytes
// encoding/json writes for a [Subject] of a's path and [digest.Artifact.Set].
func AppendArtifact(dst []byte, a *digest.Artifact) []byte {
	dst = append(dst, `{"name":`...)
	dst = AppendString(dst, a.Path)
	dst = append(dst, `,"digest":{"sha256":"`...)
	var h [2 * sha256.Size]byte
	for i, c := range a.SHA256 {
		h[2*i], h[2*i+1] = hexPairs[c][0], hexPairs[c][1]
	}
	dst = append(dst, h[:]...)
	return append(dst, `"}}`...)
}

// hexPairs[c] is c in lowercase hex: a digest is written a byte at a time
// for about half of what hex.AppendEncode takes (a step writes 200,000).
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for c := range t {
		t[c] = [2]byte{digits[c>>4], digits[c&15]}
	}
	return t
}()

// ArtifactJSONSize is an upper bound of len(AppendArtifact(nil, a)) for a
// path of n bytes that needs no escaping, to size a buffer.
func ArtifactJSONSize(n int) int { return 40 + n + 2*sha256.Size }

// ArtifactStatement returns the JSON of a v1 statement whose subjects are
// artifacts, sorted by path with each path once (as
// [digest.RecordArtifacts] returns them): the bytes [NewStatement] and
// [Statement.Marshal] give for the same subjects and predicate, written in
// one buffer without a Subject or a Set per artifact. predicate must be
// compact JSON, as the predicate package's Marshal methods write it; it is
// appended as it is. The statement rules of [Statement.Validate] hold:
// the error wraps [ErrNoSubject] or [ErrInvalid].
func ArtifactStatement(predicateType string, artifacts []digest.Artifact, predicate []byte) ([]byte, error) {
	return ArtifactStatementWith(predicateType, artifacts, len(predicate), func(dst []byte) ([]byte, error) {
		return append(dst, predicate...), nil
	})
}

// ArtifactStatementWith is [ArtifactStatement] with the predicate, of
// about size bytes, appended by appendPredicate straight into the
// statement's buffer: a predicate of a million materials is then written
// once, never copied. What appendPredicate appends is checked as
// ArtifactStatement checks its predicate; nothing appended means no
// predicate.
func ArtifactStatementWith(predicateType string, artifacts []digest.Artifact, size int, appendPredicate func([]byte) ([]byte, error)) ([]byte, error) {
	switch {
	case len(artifacts) == 0:
		return nil, ErrNoSubject
	case len(artifacts) > limits.Subjects:
		return nil, fmt.Errorf("%w: %d subjects (at most %d)", ErrInvalid, len(artifacts), limits.Subjects)
	case predicateType == "":
		return nil, fmt.Errorf("%w: empty predicateType", ErrInvalid)
	}
	n := 128 + len(StatementV1) + len(predicateType) + size
	for i := range artifacts {
		if i > 0 && strings.Compare(artifacts[i-1].Path, artifacts[i].Path) >= 0 {
			return nil, fmt.Errorf("%w: subjects not sorted by name, or a name twice (%q)", ErrInvalid, artifacts[i].Path)
		}
		n += ArtifactJSONSize(len(artifacts[i].Path))
	}
	dst := make([]byte, 0, n)
	dst = append(dst, `{"_type":`...)
	dst = AppendString(dst, StatementV1)
	dst = append(dst, `,"subject":[`...)
	for i := range artifacts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendArtifact(dst, &artifacts[i])
	}
	dst = append(dst, `],"predicateType":`...)
	dst = AppendString(dst, predicateType)
	end := len(dst)
	dst = append(dst, `,"predicate":`...)
	start := len(dst)
	dst, err := appendPredicate(dst)
	if err != nil {
		return nil, err
	}
	switch predicate := dst[start:]; {
	case len(predicate) == 0:
		dst = dst[:end]
	case predicate[0] != '{' || len(bytes.TrimSpace(predicate)) != len(predicate):
		return nil, fmt.Errorf("%w: predicate is not a compact JSON object", ErrInvalid)
	}
	return append(dst, '}'), nil
}

// jsonSize is about len(s.AppendJSON(nil)), to size a buffer.
func (s *Statement) jsonSize() int {
	n := 128 + len(s.Type) + len(s.PredicateType) + len(s.Predicate)
	for _, sub := range s.Subject {
		n += 24 + len(sub.Name)
		for alg, v := range sub.Digest {
			n += 6 + len(alg) + len(v)
		}
	}
	return n
}

// AppendJSON appends the statement's JSON, the bytes [Statement.Marshal]
// returns.
func (s *Statement) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"_type":`...)
	dst = AppendString(dst, s.Type)
	dst = append(dst, `,"subject":`...)
	if s.Subject == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, sub := range s.Subject {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '{')
			if sub.Name != "" {
				dst = append(dst, `"name":`...)
				dst = AppendString(dst, sub.Name)
				dst = append(dst, ',')
			}
			dst = append(dst, `"digest":`...)
			if sub.Digest == nil {
				dst = append(dst, "null"...)
			} else {
				dst = AppendDigestSet(dst, sub.Digest)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"predicateType":`...)
	dst = AppendString(dst, s.PredicateType)
	if len(s.Predicate) > 0 {
		dst = append(dst, `,"predicate":`...)
		// encoding/json compacts a RawMessage (and checks it); so does this.
		b, err := json.Marshal(s.Predicate)
		if err != nil {
			return nil, err
		}
		dst = append(dst, b...)
	}
	return append(dst, '}'), nil
}

// AppendJSON appends the envelope's JSON, the bytes of [Envelope.MarshalJSON],
// base64-encoding the payload straight into dst.
func (e *Envelope) AppendJSON(dst []byte) []byte {
	dst = e.appendHead(dst)
	dst = appendBase64(dst, e.Payload)
	return e.appendTail(dst)
}

// appendHead appends the JSON before the payload's base64.
func (e *Envelope) appendHead(dst []byte) []byte {
	dst = append(dst, `{"payloadType":`...)
	dst = AppendString(dst, e.PayloadType)
	return append(dst, `,"payload":"`...)
}

// appendTail appends the JSON after the payload's base64.
func (e *Envelope) appendTail(dst []byte) []byte {
	dst = append(dst, `","signatures":[`...)
	for i, s := range e.Signatures {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"keyid":`...)
		dst = AppendString(dst, s.KeyID)
		dst = append(dst, `,"sig":"`...)
		dst = appendBase64(dst, s.Sig)
		dst = append(dst, `"}`...)
	}
	return append(dst, "]}"...)
}

// WriteJSON writes the bytes of [Envelope.AppendJSON] to w, base64-encoding
// the payload a piece at a time: a payload of hundreds of megabytes is
// written without a second, larger copy of it in memory.
func (e *Envelope) WriteJSON(w io.Writer) error {
	const piece = 48 << 10 // a multiple of 3: the pieces' base64 joins up
	buf := e.appendHead(make([]byte, 0, base64.StdEncoding.EncodedLen(piece)+64+6*len(e.PayloadType)))
	p := e.Payload
	for len(p) > piece {
		buf = appendBase64(buf, p[:piece])
		p = p[piece:]
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	buf = appendBase64(buf, p)
	_, err := w.Write(e.appendTail(buf))
	return err
}

// JSONSize is an upper bound of len(e.AppendJSON(nil)), to size a buffer.
func (e *Envelope) JSONSize() int {
	n := 64 + 6*len(e.PayloadType) + base64.StdEncoding.EncodedLen(len(e.Payload))
	for _, s := range e.Signatures {
		n += 32 + 6*len(s.KeyID) + base64.StdEncoding.EncodedLen(len(s.Sig))
	}
	return n
}
