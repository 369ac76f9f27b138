package tlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/consign-dev/consign/internal/strictjson"
)

// ReceiptMediaType identifies consign's receipt format, version 1.
const ReceiptMediaType = "application/vnd.consign.receipt.v1+json"

// MaxReceiptSize bounds one receipt's JSON.
const MaxReceiptSize = 64 << 10

// Receipt is a log's proof that it holds an entry: the origin, the entry's
// index and leaf, an inclusion proof, and a signed checkpoint the proof
// leads to. It is checked offline with the log's key ([VerifyReceipt]).
// docs/receipts.md describes its JSON form.
type Receipt struct {
	MediaType  string `json:"mediaType"`
	Origin     string `json:"origin"`
	Index      uint64 `json:"index"`
	Leaf       string `json:"leaf"`
	Proof      []Hash `json:"inclusionProof"`
	Checkpoint string `json:"checkpoint"`
}

// MarshalJSON writes the receipt with the media type set and an empty
// proof as [] rather than null.
func (r *Receipt) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// AppendJSON appends the receipt's JSON, exactly as [Receipt.MarshalJSON]
// writes it (and as encoding/json would write the struct), to b.
func (r *Receipt) AppendJSON(b []byte) []byte {
	b = append(b, `{"mediaType":`...)
	b = appendJSONString(b, ReceiptMediaType)
	b = append(b, `,"origin":`...)
	b = appendJSONString(b, r.Origin)
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, `,"leaf":`...)
	b = appendJSONString(b, r.Leaf)
	b = append(b, `,"inclusionProof":[`...)
	for i, h := range r.Proof {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '"')
	}
	b = append(b, `],"checkpoint":`...)
	b = appendJSONString(b, r.Checkpoint)
	return append(b, '}')
}

// appendJSONString appends s as encoding/json writes a string: with '<',
// '>', '&', U+2028 and U+2029 escaped, and invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ParseReceipt reads one receipt strictly: JSON no larger than
// [MaxReceiptSize], no duplicate or unknown keys, every field present, the
// media type exactly [ReceiptMediaType], index a non-negative integer below
// 2^63, at most [MaxProofHashes] hashes each in canonical base64 of 32 bytes,
// and a leaf and checkpoint that parse. It returns nothing but an error
// wrapping [ErrMalformed] on failure; it does not verify anything.
func ParseReceipt(data []byte) (*Receipt, error) {
	if len(data) > MaxReceiptSize {
		return nil, fmt.Errorf("%w: receipt of %d bytes", ErrMalformed, len(data))
	}
	if err := strictjson.Check(data); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, fmt.Errorf("%w: receipt is not a JSON object", ErrMalformed)
	}
	for k := range keys {
		switch k {
		case "mediaType", "origin", "index", "leaf", "inclusionProof", "checkpoint":
		default:
			return nil, fmt.Errorf("%w: receipt has unknown field %q", ErrMalformed, truncate(k))
		}
	}
	var raw struct {
		MediaType  *string          `json:"mediaType"`
		Origin     *string          `json:"origin"`
		Index      *json.RawMessage `json:"index"`
		Leaf       *string          `json:"leaf"`
		Proof      *json.RawMessage `json:"inclusionProof"`
		Checkpoint *string          `json:"checkpoint"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	if raw.MediaType == nil || raw.Origin == nil || raw.Index == nil || raw.Leaf == nil || raw.Proof == nil || raw.Checkpoint == nil {
		return nil, fmt.Errorf("%w: receipt lacks a field (mediaType, origin, index, leaf, inclusionProof, checkpoint)", ErrMalformed)
	}
	if *raw.MediaType != ReceiptMediaType {
		return nil, fmt.Errorf("%w: receipt media type %q, want %q", ErrMalformed, truncate(*raw.MediaType), ReceiptMediaType)
	}
	idx, err := parseIndex(string(*raw.Index))
	if err != nil {
		return nil, err
	}
	var proof64 []string
	if err := json.Unmarshal(*raw.Proof, &proof64); err != nil || proof64 == nil {
		return nil, fmt.Errorf("%w: inclusionProof is not an array of strings", ErrMalformed)
	}
	if len(proof64) > MaxProofHashes {
		return nil, fmt.Errorf("%w: inclusion proof of %d hashes", ErrMalformed, len(proof64))
	}
	proof := make([]Hash, len(proof64))
	for i, s := range proof64 {
		if proof[i], err = ParseHash(s); err != nil {
			return nil, err
		}
	}
	if !ValidOrigin(*raw.Origin) {
		return nil, fmt.Errorf("%w: receipt origin %q", ErrMalformed, truncate(*raw.Origin))
	}
	if _, err := ParseLeaf([]byte(*raw.Leaf)); err != nil {
		return nil, err
	}
	if len(*raw.Checkpoint) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: checkpoint too large", ErrMalformed)
	}
	return &Receipt{MediaType: ReceiptMediaType, Origin: *raw.Origin, Index: idx, Leaf: *raw.Leaf, Proof: proof, Checkpoint: *raw.Checkpoint}, nil
}

// parseIndex reads a JSON number as an index: an integer in [0, 2^63-1],
// written without sign, fraction or exponent (security case 73 in docs/security.md).
func parseIndex(s string) (uint64, error) {
	var v uint64
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: index %q is not a non-negative integer below 2^63", ErrMalformed, truncate(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: index %q is not a non-negative integer below 2^63", ErrMalformed, truncate(s))
		}
		d := uint64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%w: index %q is not below 2^63", ErrMalformed, truncate(s))
		}
		v = v*10 + d
	}
	return v, nil
}

// VerifiedReceipt is what a receipt proves once [VerifyReceipt] accepts it.
type VerifiedReceipt struct {
	Index      uint64
	Leaf       *Leaf
	Checkpoint *SignedCheckpoint
}

// Time is when the log accepted the entry.
func (v *VerifiedReceipt) Time() time.Time { return v.Leaf.Time }

// VerifyReceipt checks r against the log key log, offline:
//  1. the receipt's origin is the one the key is pinned to ([ErrOrigin]);
//  2. the checkpoint is signed by the log's key, has that origin and meets
//     opts ([OpenCheckpoint]);
//  3. the index is inside the checkpoint's tree ([ErrIndex]);
//  4. the leaf is a canonical consign leaf ([ErrMalformed]);
//  5. the inclusion proof leads from the leaf's hash at that index to the
//     checkpoint's root, with exact hash equality ([ErrInclusion]).
//
// It does not check what the leaf is about: use [Leaf.Covers] and
// [Leaf.SignedBy] with the attestation, or [VerifyReceiptFor].
func VerifyReceipt(r *Receipt, log *Verifier, opts CheckpointOptions) (*VerifiedReceipt, error) {
	if r == nil || log == nil {
		return nil, fmt.Errorf("%w: no receipt or no log key", ErrUnverified)
	}
	if log.Origin() != "" && r.Origin != log.Origin() {
		return nil, fmt.Errorf("%w: receipt from %q, the key is %q's", ErrOrigin, r.Origin, log.Origin())
	}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), log, opts)
	if err != nil {
		return nil, err
	}
	if cp.Origin != r.Origin {
		return nil, fmt.Errorf("%w: receipt of %q with a checkpoint of %q", ErrOrigin, r.Origin, cp.Origin)
	}
	if r.Index >= cp.Size {
		return nil, fmt.Errorf("%w: entry %d of a log of %d entries", ErrIndex, r.Index, cp.Size)
	}
	leaf, err := ParseLeaf([]byte(r.Leaf))
	if err != nil {
		return nil, err
	}
	if err := VerifyInclusion(r.Proof, r.Index, cp.Size, LeafHash([]byte(r.Leaf)), cp.Root); err != nil {
		return nil, err
	}
	return &VerifiedReceipt{Index: r.Index, Leaf: leaf, Checkpoint: cp}, nil
}

// VerifyReceiptFor is [VerifyReceipt] followed by the binding to one
// attestation: the leaf must record the statement whose DSSE PAE is pae
// ([ErrBinding]).
// It does not check the envelope's signatures: receipt.VerifyFor, which
// does, is the check that a receipt covers an envelope.
func VerifyReceiptFor(r *Receipt, log *Verifier, opts CheckpointOptions, pae []byte) (*VerifiedReceipt, error) {
	v, err := VerifyReceipt(r, log, opts)
	if err != nil {
		return nil, err
	}
	if err := v.Leaf.Covers(pae); err != nil {
		return nil, err
	}
	return v, nil
}
