package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LeafVersion is the first line of every leaf consign's log writes.
const LeafVersion = "consign.dev/log/entry/v1"

// MaxLeafSignatures bounds the signatures one leaf records.
const MaxLeafSignatures = 16

// MaxLeafSize bounds a leaf's encoding.
const MaxLeafSize = 4096

// Leaf is what one log entry commits to. Its encoding ([Leaf.Marshal]) is
// text, one field per line, each line ending in a newline:
//
//	consign.dev/log/entry/v1
//	time 2026-11-01T12:34:56.789Z
//	statement sha256:<hex SHA-256 of the DSSE PAE(payloadType, payload)>
//	sig <hex key id> sha256:<hex SHA-256 of the signature bytes>
//
// with one sig line per signature, sorted, at least one. The key id is the
// hex SHA-256 of the DER SubjectPublicKeyInfo of the key the log verified
// that signature with. Time is the log's clock when it accepted the entry,
// in UTC, RFC 3339 with at most millisecond precision and no trailing zeros.
// There is exactly one encoding of each Leaf, and [ParseLeaf] accepts only it.
type Leaf struct {
	Time       time.Time
	Statement  [sha256.Size]byte
	Signatures []LeafSignature
}

// LeafSignature is one signature a leaf records.
type LeafSignature struct {
	KeyID string // lowercase hex SHA-256 of the signer's SPKI
	Sig   [sha256.Size]byte
}

// NewLeaf is the leaf for an attestation whose DSSE PAE is pae, accepted at
// t, with sigs verified by the log. Signatures are sorted and deduplicated.
func NewLeaf(t time.Time, pae []byte, sigs []LeafSignature) (*Leaf, error) {
	return NewLeafOfSum(t, sha256.Sum256(pae), sigs)
}

// NewLeafOfSum is [NewLeaf] for the PAE whose SHA-256 is paeSum (see
// attest.PAESum, which hashes a PAE without joining its head and payload).
func NewLeafOfSum(t time.Time, paeSum [sha256.Size]byte, sigs []LeafSignature) (*Leaf, error) {
	l := &Leaf{Time: t.UTC().Truncate(time.Millisecond), Statement: paeSum}
	l.Signatures = append(l.Signatures, sigs...)
	slices.SortFunc(l.Signatures, compareSig)
	l.Signatures = slices.Compact(l.Signatures)
	if err := l.check(); err != nil {
		return nil, err
	}
	return l, nil
}

// SignatureOf is the [LeafSignature] of sig made by the key with id keyID.
func SignatureOf(keyID string, sig []byte) LeafSignature {
	return LeafSignature{KeyID: keyID, Sig: sha256.Sum256(sig)}
}

func compareSig(a, b LeafSignature) int {
	if c := strings.Compare(a.KeyID, b.KeyID); c != 0 {
		return c
	}
	return bytes.Compare(a.Sig[:], b.Sig[:])
}

func (l *Leaf) check() error {
	if len(l.Signatures) == 0 {
		return fmt.Errorf("%w: leaf has no signature", ErrMalformed)
	}
	if len(l.Signatures) > MaxLeafSignatures {
		return fmt.Errorf("%w: leaf has %d signatures (at most %d)", ErrMalformed, len(l.Signatures), MaxLeafSignatures)
	}
	for _, s := range l.Signatures {
		if !isHex64(s.KeyID) {
			return fmt.Errorf("%w: key id %q is not 64 lowercase hex digits", ErrMalformed, truncate(s.KeyID))
		}
	}
	if y := l.Time.Year(); y < 1970 || y > 9999 {
		return fmt.Errorf("%w: leaf time %v out of range", ErrMalformed, l.Time)
	}
	return nil
}

// Marshal is the leaf's one encoding.
func (l *Leaf) Marshal() []byte {
	return l.appendEncoding(make([]byte, 0, l.encodedSize()), true)
}

// encodedSize is the length of Marshal's output for a leaf whose time
// takes the longest form.
func (l *Leaf) encodedSize() int {
	return len(LeafVersion) + 1 + len("time 2006-01-02T15:04:05.999Z\n") + len("statement sha256:\n") + 2*len(l.Statement) +
		len(l.Signatures)*(len("sig  sha256:\n")+64+2*sha256.Size)
}

// appendEncoding appends the leaf's encoding to b, without its time line
// unless withTime: the version line, the time, the statement, and one line
// per signature.
func (l *Leaf) appendEncoding(b []byte, withTime bool) []byte {
	b = append(b, LeafVersion+"\n"...)
	if withTime {
		b = append(b, "time "...)
		b = appendTime(b, l.Time)
		b = append(b, '\n')
	}
	b = append(b, "statement sha256:"...)
	b = hex.AppendEncode(b, l.Statement[:])
	b = append(b, '\n')
	for _, s := range l.Signatures {
		b = append(b, "sig "...)
		b = append(b, s.KeyID...)
		b = append(b, " sha256:"...)
		b = hex.AppendEncode(b, s.Sig[:])
		b = append(b, '\n')
	}
	return b
}

// Key identifies the attestation a leaf records, whatever time it was
// accepted at: the SHA-256 of the leaf's encoding without its time line.
// Two submissions of one attestation (the same decoded payload type,
// payload and signature bytes, however their base64 was written) have the
// same key, so the log can keep one entry for both (security case 57 in docs/security.md).
func (l *Leaf) Key() Hash {
	var buf [512]byte
	return Hash(sha256.Sum256(l.appendEncoding(buf[:0], false)))
}

// Hash is the leaf's RFC 6962 leaf hash.
func (l *Leaf) Hash() Hash { return LeafHash(l.Marshal()) }

func formatTime(t time.Time) string { return string(appendTime(nil, t)) }

func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.999Z07:00")
}

// ParseLeaf reads a leaf in its one encoding. Anything else (another
// version, a missing or extra line, unsorted or repeated signatures,
// uppercase hex, a time with more than millisecond precision or not in UTC)
// is an error wrapping [ErrMalformed].
func ParseLeaf(data []byte) (*Leaf, error) {
	if len(data) > MaxLeafSize {
		return nil, fmt.Errorf("%w: leaf of %d bytes", ErrMalformed, len(data))
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%w: leaf does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 4 || lines[0] != LeafVersion {
		return nil, fmt.Errorf("%w: not a %s leaf", ErrMalformed, LeafVersion)
	}
	l := &Leaf{}
	ts, ok := strings.CutPrefix(lines[1], "time ")
	if !ok {
		return nil, fmt.Errorf("%w: leaf has no time line", ErrMalformed)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || formatTime(t) != ts {
		return nil, fmt.Errorf("%w: leaf time %q is not canonical RFC 3339 UTC", ErrMalformed, truncate(ts))
	}
	l.Time = t.UTC()
	st, ok := strings.CutPrefix(lines[2], "statement sha256:")
	if !ok || !isHex64(st) {
		return nil, fmt.Errorf("%w: leaf has no statement digest", ErrMalformed)
	}
	hex.Decode(l.Statement[:], []byte(st))
	for _, line := range lines[3:] {
		rest, ok := strings.CutPrefix(line, "sig ")
		kid, sh, ok2 := strings.Cut(rest, " sha256:")
		if !ok || !ok2 || !isHex64(kid) || !isHex64(sh) {
			return nil, fmt.Errorf("%w: bad signature line %q", ErrMalformed, truncate(line))
		}
		s := LeafSignature{KeyID: kid}
		hex.Decode(s.Sig[:], []byte(sh))
		if n := len(l.Signatures); n > 0 && compareSig(l.Signatures[n-1], s) >= 0 {
			return nil, fmt.Errorf("%w: signature lines are not sorted and distinct", ErrMalformed)
		}
		l.Signatures = append(l.Signatures, s)
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	if !bytes.Equal(l.Marshal(), data) {
		return nil, fmt.Errorf("%w: leaf is not in its canonical encoding", ErrMalformed)
	}
	return l, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Covers checks that the leaf records the attestation whose DSSE PAE is
// pae. It returns an error wrapping [ErrBinding] if not.
func (l *Leaf) Covers(pae []byte) error {
	if sha256.Sum256(pae) != l.Statement {
		return fmt.Errorf("%w: the leaf records statement sha256:%x", ErrBinding, l.Statement[:])
	}
	return nil
}

// SignedBy reports whether the leaf records that the key with id keyID
// made the signature sig: the log verified exactly that signature with
// exactly that key when it accepted the entry.
func (l *Leaf) SignedBy(keyID string, sig []byte) bool {
	want := SignatureOf(keyID, sig)
	for _, s := range l.Signatures {
		if s == want {
			return true
		}
	}
	return false
}
