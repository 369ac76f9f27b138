package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Field is one member of a JSON object: its key, unescaped, and the bytes
// of its value, not decoded.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Fields are the members of a JSON object, in order.
type Fields []Field

// Get returns the value of key. Of two members with one key (which
// Check refuses), the later counts, as with encoding/json.
func (fs Fields) Get(key string) (json.RawMessage, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Key == key {
			return fs[i].Value, true
		}
	}
	return nil, false
}

// commonKeys are keys given without a copy when no known key matches.
var commonKeys = []string{"sha256", "sha512", "sha384", "sha1", "name", "digest", "uri"}

// SplitFields returns the members of the JSON object b (which Check has
// accepted, alone or as part of a document), appended to buf: each key,
// unescaped, and the bytes of its value, without decoding the values. It
// does in one pass what json.Unmarshal into map[string]json.RawMessage does
// in two (a validity scan, then a decoding one), and builds no map. A key
// equal to one of known (or to a common key) is that string, not a copy.
// It reports false for anything it does not expect; the caller then falls
// back to encoding/json, so a false never changes a result, only its cost.
func SplitFields(b []byte, known []string, buf Fields) (Fields, bool) {
	return splitFields(b, known, nil, buf)
}

// SplitFields is [SplitFields] for b, a part of t's document: a key that
// needs no decoding is a substring of t's, not a copy (an in-toto link's
// artifacts are an object of thousands of names).
func (t *Text) SplitFields(b []byte, buf Fields) (Fields, bool) {
	return splitFields(b, nil, t, buf)
}

func splitFields(b []byte, known []string, t *Text, buf Fields) (Fields, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	fs := buf
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return fs, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		kend, ok := skipString(b, i)
		if !ok {
			return nil, false
		}
		key, ok := internedString(b[i:kend], known, t)
		if !ok {
			return nil, false
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vend, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		fs = append(fs, Field{Key: key, Value: json.RawMessage(b[i:vend])})
		i = skipSpace(b, vend)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return fs, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// internedString is Unquote (t.Unquote with a t), returning one of known
// or [commonKeys] instead of a copy when the literal holds it without
// escapes.
func internedString(raw []byte, known []string, t *Text) (string, bool) {
	if len(raw) >= 2 {
		inner := raw[1 : len(raw)-1]
		for _, k := range known {
			if string(inner) == k {
				return k, raw[0] == '"' && raw[len(raw)-1] == '"'
			}
		}
		for _, k := range commonKeys {
			if string(inner) == k {
				return k, raw[0] == '"' && raw[len(raw)-1] == '"'
			}
		}
	}
	if t != nil {
		return t.Unquote(raw)
	}
	return Unquote(raw)
}

// splitObject is SplitFields into a map.
func splitObject(b []byte) (map[string]json.RawMessage, bool) {
	fs, ok := SplitFields(b, nil, nil)
	if !ok {
		return nil, false
	}
	m := make(map[string]json.RawMessage, len(fs))
	for _, f := range fs {
		m[f.Key] = f.Value
	}
	return m, true
}

// Unquote returns the string a JSON string literal holds. A literal
// without escapes is its own bytes; one with escapes is decoded by
// encoding/json. It reports false for anything that is not a string literal.
func Unquote(raw []byte) (string, bool) {
	inner, plain, ok := Literal(raw)
	switch {
	case !ok:
		return "", false
	case plain:
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// plainByte marks the bytes that stand for themselves in a JSON string
// literal: not a quote, a backslash, a control character or a non-ASCII
// byte.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Literal returns the bytes the JSON string literal raw holds, without a
// copy, and plain true when they need no decoding (no escape, valid
// UTF-8); ok is false for anything that is not a string literal.
func Literal(raw []byte) (inner []byte, plain, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false, false
	}
	inner = raw[1 : len(raw)-1]
	i := 0
	for i < len(inner) && plainByte[inner[i]] {
		i++
	}
	if i == len(inner) {
		return inner, true, true
	}
	for _, c := range inner[i:] {
		if c == '\\' || c == '"' || c < 0x20 {
			return inner, false, true
		}
	}
	return inner, utf8.Valid(inner[i:]), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string literal that opens at b[i].
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return 0, false
		}
		// The quote closes the string unless an odd number of
		// backslashes escapes it.
		end := i + q
		n := 0
		for j := end - 1; j >= i && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return end + 1, true
		}
		i = end + 1
	}
	return 0, false
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// splitArray returns the elements of the JSON array b (accepted by
// Check), without decoding them; false as for [splitObject].
func splitArray(b []byte) ([]json.RawMessage, bool) {
	return appendSplitArray(make([]json.RawMessage, 0, 4), b)
}

// appendSplitArray is splitArray appending the elements to out, which
// must not be nil.
func appendSplitArray(out []json.RawMessage, b []byte) ([]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, skipSpace(b, i+1) == len(b)
	}
	for {
		end, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		out = append(out, json.RawMessage(b[i:end]))
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// SplitArray is splitArray for callers outside the package: the elements
// of the JSON array b, each a part of b (no copy), or false for anything it
// does not expect.
func SplitArray(b []byte) ([]json.RawMessage, bool) { return splitArray(b) }

// elementPool keeps the buffers of [GetElements].
var elementPool = sync.Pool{New: func() any { return new([]json.RawMessage) }}

// GetElements returns an empty buffer for [AppendArray] from a pool. A
// statement's subjects and a link's materials are read from their
// elements, which are then dropped: the buffer of a thousand elements is
// reused from one document to the next, not grown afresh for each.
func GetElements() *[]json.RawMessage { return elementPool.Get().(*[]json.RawMessage) }

// PutElements empties p, which holds what [GetElements] returned or the
// elements [AppendArray] appended to it, and puts it back in the pool.
// Nothing may use the elements after.
func PutElements(p *[]json.RawMessage) {
	clear(*p)
	*p = (*p)[:0]
	elementPool.Put(p)
}

// AppendArray is [Array] appending the elements to dst.
func AppendArray(dst []json.RawMessage, b []byte, what string) ([]json.RawMessage, error) {
	if dst == nil {
		dst = []json.RawMessage{}
	}
	if a, ok := appendSplitArray(dst, b); ok {
		return a, nil
	}
	a, err := Array(b, what)
	if err != nil {
		return nil, err
	}
	return append(dst, a...), nil
}

// array decodes b as a JSON array of raw elements.
func array(b []byte) ([]json.RawMessage, error) {
	if a, ok := splitArray(b); ok {
		return a, nil
	}
	var a []json.RawMessage
	err := json.Unmarshal(b, &a)
	return a, err
}

// A Text is a JSON document with one string copy of it, from which the
// strings the document holds are taken as substrings rather than copied one
// by one: a statement of 10 subjects and a link of 10 materials hold 40
// strings, and a release thousands of statements.
type Text struct {
	b []byte
	s string
}

// NewText returns the Text of doc. Later changes to doc do not change the
// strings read from it.
func NewText(doc []byte) *Text {
	return &Text{b: doc, s: string(doc)}
}

// NewTextUnsafe returns the Text of doc without copying it: the strings
// read from it are substrings of doc itself. The caller MUST NOT change
// doc afterwards, nor let anything else change it, for as long as any
// string read from it lives (the rule of [unsafe.String]): a decoded DSSE
// payload, which nothing writes to once decoded, of a statement listing a
// million names and digests is then held once rather than twice.
func NewTextUnsafe(doc []byte) *Text {
	if len(doc) == 0 {
		return &Text{b: doc}
	}
	return &Text{b: doc, s: unsafe.String(&doc[0], len(doc))}
}

// Bytes is the document.
func (t *Text) Bytes() []byte { return t.b }

// String is [String] for raw, a part of t's document (or of any other, at
// the cost of a copy).
func (t *Text) String(raw []byte, what string) (string, error) {
	if s, ok := t.Unquote(raw); ok {
		return s, nil
	}
	return String(raw, what)
}

// Unquote is [Unquote], returning a substring of t's document for a
// literal of it that needs no decoding.
func (t *Text) Unquote(raw []byte) (string, bool) {
	inner, plain, ok := Literal(raw)
	if !ok || !plain {
		return Unquote(raw)
	}
	return t.Substring(inner), true
}

// Substring returns the string of b: a substring of t's document when b is
// a part of it, else a copy. A nil t copies.
func (t *Text) Substring(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// b = t.b[off:off+len(b)] exactly when it starts at &t.b[off]: a
	// subslice keeps the end of its array, so the offset shows in cap.
	if t != nil {
		if off := cap(t.b) - cap(b); off >= 0 && off+len(b) <= len(t.b) && &t.b[off] == &b[0] {
			return t.s[off : off+len(b)]
		}
	}
	return string(b)
}

// Array decodes b, part of a document [Check] accepted, as a JSON array
// whose elements are left undecoded. what names b in the error.
func Array(b []byte, what string) ([]json.RawMessage, error) {
	a, err := array(b)
	if err != nil {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	return a, nil
}

// String decodes raw, part of a document [Check] accepted, as a JSON
// string. what names raw in the error.
func String(raw []byte, what string) (string, error) {
	if s, ok := Unquote(raw); ok {
		return s, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("%s is not a string", what)
	}
	return s, nil
}

// ObjectFields decodes b (part of a document [Check] accepted) as an
// object, and rejects keys that equal one of known under case folding
// without being it exactly, so that "SUBJECT" can never stand in for
// "subject". Unknown keys are kept and left to the caller. what names b in
// the error.
func ObjectFields(b []byte, what string, known ...string) (Fields, error) {
	// Room for the known fields (and one more), in one allocation.
	return AppendFields(make(Fields, 0, len(known)+1), b, what, known...)
}

// AppendFields is [ObjectFields] appending the members to buf, for a
// caller that reads many small objects one at a time and reuses buf[:0].
func AppendFields(buf Fields, b []byte, what string, known ...string) (Fields, error) {
	fs, ok := SplitFields(b, known, buf)
	if !ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%s is not a JSON object", what)
		}
		fs = slices.Grow(buf, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fs = append(fs, Field{Key: k, Value: m[k]})
		}
	}
	if err := CheckKnown(fs, what, known); err != nil {
		return nil, err
	}
	if fs == nil {
		fs = Fields{}
	}
	return fs, nil
}

// CheckKnown refuses a key that equals one of known under case folding
// without being it exactly. what names the object in the error.
func CheckKnown(fs Fields, what string, known []string) error {
	for _, f := range fs {
		for _, want := range known {
			if f.Key != want && strings.EqualFold(f.Key, want) {
				return fmt.Errorf("%s has field %q; the field is %q (names are case-sensitive)", what, f.Key, want)
			}
		}
	}
	return nil
}

// Object is [ObjectFields] into a map.
func Object(b []byte, what string, known ...string) (map[string]json.RawMessage, error) {
	fs, err := ObjectFields(b, what, known...)
	if err != nil {
		return nil, err
	}
	m := make(map[string]json.RawMessage, len(fs))
	for _, f := range fs {
		m[f.Key] = f.Value
	}
	return m, nil
}
