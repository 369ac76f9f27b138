package attest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/consign-dev/consign/internal/strictjson"
)

// Canonical returns the OLPC canonical JSON of the JSON value raw: the
// bytes an in-toto v0.9 Metablock's signatures cover, exactly as
// securesystemslib's cjson.EncodeCanonical(json.RawMessage(raw)) gives
// them (and in-toto-golang signs them). It returns an error wrapping
// [ErrMalformed] where cjson fails.
//
// cjson marshals the value, decodes it into interface{} values and encodes
// those again: for a link of 10,000 artifacts three passes and a map per
// artifact, most of the cost of reading an in-toto link. Canonical encodes
// straight from the bytes in one pass when every part of raw has one
// reading it can copy: strings without escapes other than \" and \\ (which
// cjson writes back the same), integers, literals, objects whose keys are
// distinct. Anything else (another escape, a fraction, a duplicate key,
// invalid UTF-8, deep nesting, invalid JSON) goes to cjson itself, so the
// result is cjson's in every case; FuzzCanonical compares the two.
func Canonical(raw []byte) ([]byte, error) {
	return AppendCanonical(nil, raw)
}

// AppendCanonical is [Canonical] appending the canonical form to dst, whose
// room it uses when it holds raw: a caller that drops the form once a
// signature is checked can keep one buffer for many documents.
func AppendCanonical(dst, raw []byte) ([]byte, error) {
	if cap(dst)-len(dst) < len(raw) {
		dst = slices.Grow(dst, len(raw))
	}
	sc := canonScratch.Get().(*canonEncoder)
	c := canonEncoder{b: raw, out: dst, tmp: sc.tmp, stack: sc.stack}
	i, ok := c.value(0, 0)
	// The scratch space goes back for the next link, holding no part of raw.
	clear(c.stack[:cap(c.stack)])
	sc.tmp, sc.stack = c.tmp[:0], c.stack[:0]
	canonScratch.Put(sc)
	if ok && skipWS(raw, i) == len(raw) {
		return c.out, nil
	}
	out, err := cjson.EncodeCanonical(json.RawMessage(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: canonical JSON: %v", ErrMalformed, err)
	}
	return append(dst, out...), nil
}

// canonScratch holds the reordering space and member stacks of encoders
// (an in-toto link's artifacts are thousands of members, and a link's
// top-level object, in in-toto-golang's field order, is reordered whole).
var canonScratch = sync.Pool{New: func() any { return new(canonEncoder) }}

// canonMaxDepth is the nesting Canonical encodes itself; deeper values go
// to cjson (which the strict reader's depth limit keeps from them anyway).
const canonMaxDepth = 64

// canonEncoder writes the canonical form of b into out.
type canonEncoder struct {
	b, out []byte
	tmp    []byte   // reordering space for objects whose keys are not in order
	stack  []member // the members of the objects being encoded
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// value encodes the value at b[i:] (after white space) and returns the
// index after it; false when it has no one-pass encoding here.
func (c *canonEncoder) value(i, depth int) (int, bool) {
	i = skipWS(c.b, i)
	if i >= len(c.b) {
		return 0, false
	}
	switch ch := c.b[i]; {
	case ch == '"':
		end, ok := canonString(c.b, i)
		if !ok {
			return 0, false
		}
		c.out = append(c.out, c.b[i:end]...)
		return end, true
	case ch == '{':
		return c.object(i, depth+1)
	case ch == '[':
		return c.array(i, depth+1)
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number(i)
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(c.b[i:], []byte(lit)) {
			c.out = append(c.out, lit...)
			return i + len(lit), true
		}
	}
	return 0, false
}

// canonString returns the end of the string literal at b[i], when cjson
// writes it back byte for byte: valid UTF-8, no control byte, no escape but
// \" and \\ (cjson escapes exactly those two, and writes every other
// character as itself).
func canonString(b []byte, i int) (int, bool) {
	ascii := true
	for j := i + 1; j < len(b); j++ {
		// Eight bytes at a time while each stands for itself (a link's
		// names and digests are plain ASCII).
		for j+8 <= len(b) && strictjson.PlainASCII8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		if j >= len(b) {
			break
		}
		switch ch := b[j]; {
		case ch == '"':
			if !ascii && !utf8.Valid(b[i+1:j]) {
				return 0, false
			}
			return j + 1, true
		case ch == '\\':
			if j+1 >= len(b) || b[j+1] != '"' && b[j+1] != '\\' {
				return 0, false
			}
			j++
		case ch < 0x20:
			return 0, false
		case ch >= 0x80:
			ascii = false
		}
	}
	return 0, false
}

// number copies an integer that fits int64, as cjson does (json.Number's
// own text); anything else (a fraction, an exponent, a leading zero) is
// cjson's to refuse or read.
func (c *canonEncoder) number(i int) (int, bool) {
	j := i
	if c.b[j] == '-' {
		j++
	}
	start := j
	for j < len(c.b) && c.b[j] >= '0' && c.b[j] <= '9' {
		j++
	}
	switch {
	case j == start, c.b[start] == '0' && j-start > 1:
		return 0, false
	case j < len(c.b) && (c.b[j] == '.' || c.b[j] == 'e' || c.b[j] == 'E'):
		return 0, false
	}
	if _, err := strconv.ParseInt(string(c.b[i:j]), 10, 64); err != nil {
		return 0, false
	}
	c.out = append(c.out, c.b[i:j]...)
	return j, true
}

func (c *canonEncoder) array(i, depth int) (int, bool) {
	if depth > canonMaxDepth {
		return 0, false
	}
	c.out = append(c.out, '[')
	i = skipWS(c.b, i+1)
	if i < len(c.b) && c.b[i] == ']' {
		c.out = append(c.out, ']')
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = c.value(i, depth); !ok {
			return 0, false
		}
		i = skipWS(c.b, i)
		if i >= len(c.b) {
			return 0, false
		}
		switch c.b[i] {
		case ',':
			c.out = append(c.out, ',')
			i++
		case ']':
			c.out = append(c.out, ']')
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// member is one encoded object member: its key as cjson sorts it (the
// string's value) and where its encoding lies in out.
type member struct {
	key        []byte
	start, end int
}

func (c *canonEncoder) object(i, depth int) (int, bool) {
	if depth > canonMaxDepth {
		return 0, false
	}
	c.out = append(c.out, '{')
	open, base := len(c.out), len(c.stack)
	defer func() { c.stack = c.stack[:base] }()
	i = skipWS(c.b, i+1)
	if i < len(c.b) && c.b[i] == '}' {
		c.out = append(c.out, '}')
		return i + 1, true
	}
	sorted := true
	for {
		if i >= len(c.b) || c.b[i] != '"' {
			return 0, false
		}
		kend, ok := canonString(c.b, i)
		if !ok {
			return 0, false
		}
		key := unescapeCanon(c.b[i+1 : kend-1])
		if n := len(c.stack); n > base {
			switch cmp := bytes.Compare(c.stack[n-1].key, key); {
			case cmp == 0:
				return 0, false // a duplicate: cjson keeps the last one
			case cmp > 0:
				sorted = false
			}
		}
		start := len(c.out)
		c.out = append(c.out, c.b[i:kend]...)
		c.out = append(c.out, ':')
		i = skipWS(c.b, kend)
		if i >= len(c.b) || c.b[i] != ':' {
			return 0, false
		}
		if i, ok = c.value(i+1, depth); !ok {
			return 0, false
		}
		c.stack = append(c.stack, member{key: key, start: start, end: len(c.out)})
		i = skipWS(c.b, i)
		if i >= len(c.b) {
			return 0, false
		}
		switch c.b[i] {
		case ',':
			c.out = append(c.out, ',')
			i = skipWS(c.b, i+1)
		case '}':
			if !sorted && !c.reorder(open, c.stack[base:]) {
				return 0, false
			}
			c.out = append(c.out, '}')
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// reorder rewrites out[open:] with the members sorted by key, as cjson
// orders them (sort.Strings); false on a duplicate key.
func (c *canonEncoder) reorder(open int, ms []member) bool {
	slices.SortStableFunc(ms, func(a, b member) int { return bytes.Compare(a.key, b.key) })
	for k := 1; k < len(ms); k++ {
		if bytes.Equal(ms[k].key, ms[k-1].key) {
			return false
		}
	}
	c.tmp = append(c.tmp[:0], c.out[open:]...)
	c.out = c.out[:open]
	for k, m := range ms {
		if k > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.tmp[m.start-open:m.end-open]...)
	}
	return true
}

// unescapeCanon returns the value of a string literal's inside that
// canonString accepted: \" and \\ stand for the character they escape.
func unescapeCanon(inner []byte) []byte {
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner
	}
	out := make([]byte, 0, len(inner))
	for j := 0; j < len(inner); j++ {
		if inner[j] == '\\' {
			j++
		}
		out = append(out, inner[j])
	}
	return out
}
