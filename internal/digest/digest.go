package digest

import (
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
)

// Algorithm names, as in the in-toto DigestSet specification.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
	SHA384 = "sha384"
)

// Limits on untrusted digest sets, applied by [Set.Validate].
const (
	// MaxAlgorithms is the largest number of entries a valid [Set] holds
	// (the sigstore-go limit of 32 digests per subject).
	MaxAlgorithms = 32
	// maxNameLen and maxValueLen bound algorithm names and values of
	// algorithms this package does not know.
	maxNameLen  = 64
	maxValueLen = 512
)

// Set maps an algorithm name to a lowercase hex digest: an in-toto
// [DigestSet]. The zero value (nil) is an empty set, which is never valid.
//
// [DigestSet]: https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md
type Set map[string]string

// hexLen describes the values an algorithm of the DigestSet specification
// takes: lowercase hex of one of the lengths in fixed, or, when fixed is
// empty, of an even length between 2 and maxLen.
type hexLen struct {
	fixed  []int
	maxLen int
}

// known lists the algorithms the in-toto DigestSet specification defines
// (v1.1, "Supported algorithms"), with the hex lengths their values take.
var known = map[string]hexLen{
	"sha1":       {fixed: []int{40}},
	"md5":        {fixed: []int{32}},
	"ripemd160":  {fixed: []int{40}},
	"sha224":     {fixed: []int{56}},
	SHA256:       {fixed: []int{64}},
	SHA384:       {fixed: []int{96}},
	SHA512:       {fixed: []int{128}},
	"sha512_224": {fixed: []int{56}},
	"sha512_256": {fixed: []int{64}},
	"sha3_224":   {fixed: []int{56}},
	"sha3_256":   {fixed: []int{64}},
	"sha3_384":   {fixed: []int{96}},
	"sha3_512":   {fixed: []int{128}},
	"sm3":        {fixed: []int{64}},
	"gost":       {fixed: []int{64, 128}},
	"blake2b":    {maxLen: 128},
	"blake2s":    {maxLen: 64},
	"shake128":   {maxLen: maxValueLen},
	"shake256":   {maxLen: maxValueLen},
	"dirHash":    {fixed: []int{64}},
	"goModuleH1": {fixed: []int{64}},
	"gitCommit":  {fixed: []int{40, 64}},
	"gitTree":    {fixed: []int{40, 64}},
	"gitBlob":    {fixed: []int{40, 64}},
	"gitTag":     {fixed: []int{40, 64}},
}

// strong lists the algorithms whose agreement [Matches] accepts as proof
// that two sets name the same content, in display order for [Set.String].
var strong = []string{SHA256, SHA512, SHA384}

func isStrong(alg string) bool { return slices.Contains(strong, alg) }

// Validate reports whether s is a usable digest set: it has between 1 and
// [MaxAlgorithms] entries; every algorithm the in-toto DigestSet
// specification defines has a lowercase hex value of the length that
// algorithm produces (sha256: 64, sha512: 128, gitCommit: 40 or 64, …);
// any other algorithm has a non-empty name and a non-empty value of at most
// 512 bytes. An empty set and {"sha256": ""} are both invalid (go-tuf
// e8f0f6b). The returned error wraps [ErrInvalid]; with several faults it
// joins one error per fault, in algorithm order.
func (s Set) Validate() error {
	// Quick for the usual set, a lone sha256: a release's attestations hold
	// tens of thousands of them, and the general check cost more than
	// reading them. The answer is the general check's (TestValidateQuick).
	if len(s) == 1 {
		if v, ok := s[SHA256]; ok && len(v) == 64 && isLowerHex(v) {
			return nil
		}
	}
	return s.validate()
}

// validate is Validate without its quick path.
func (s Set) validate() error {
	if len(s) == 0 {
		return fmt.Errorf("%w: empty digest set", ErrInvalid)
	}
	if len(s) > MaxAlgorithms {
		return fmt.Errorf("%w: %d digests in one set, more than %d", ErrInvalid, len(s), MaxAlgorithms)
	}
	ok := true
	for alg, v := range s {
		if validateEntry(alg, v) != nil {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	var errs []error // in algorithm order, so the message is deterministic
	for _, alg := range slices.Sorted(maps.Keys(s)) {
		if err := validateEntry(alg, s[alg]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func validateEntry(alg, value string) error {
	if alg == "" {
		return fmt.Errorf("%w: empty algorithm name", ErrInvalid)
	}
	if len(alg) > maxNameLen {
		return fmt.Errorf("%w: algorithm name of %d bytes, more than %d", ErrInvalid, len(alg), maxNameLen)
	}
	if value == "" {
		return fmt.Errorf("%w: %s: empty value", ErrInvalid, alg)
	}
	spec, ok := known[alg]
	if !ok {
		if len(value) > maxValueLen {
			return fmt.Errorf("%w: %s: value of %d bytes, more than %d", ErrInvalid, alg, len(value), maxValueLen)
		}
		return nil
	}
	if i := indexNonLowerHex(value); i >= 0 {
		return fmt.Errorf("%w: %s: value is not lowercase hex (byte %d)", ErrInvalid, alg, i)
	}
	if len(spec.fixed) > 0 {
		if !slices.Contains(spec.fixed, len(value)) {
			return fmt.Errorf("%w: %s: %d hex digits, want %s", ErrInvalid, alg, len(value), lengths(spec.fixed))
		}
		return nil
	}
	if len(value)%2 != 0 || len(value) > spec.maxLen {
		return fmt.Errorf("%w: %s: %d hex digits, want an even number up to %d", ErrInvalid, alg, len(value), spec.maxLen)
	}
	return nil
}

func lengths(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " or ")
}

// notLowerHex[c] is 1 for every byte c that is not a lowercase hex digit.
var notLowerHex = func() (t [256]byte) {
	for c := range t {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			t[c] = 1
		}
	}
	return t
}()

// isLowerHex reports whether s holds only lowercase hex digits, without a
// branch per byte.
func isLowerHex(s string) bool {
	var bad byte
	for i := 0; i < len(s); i++ {
		bad |= notLowerHex[s[i]]
	}
	return bad == 0
}

// indexNonLowerHex returns the index of the first byte of s that is not a
// lowercase hex digit, or -1.
func indexNonLowerHex(s string) int {
	for i := 0; i < len(s); i++ {
		if notLowerHex[s[i]] != 0 {
			return i
		}
	}
	return -1
}

// Strong reports whether s holds a well-formed sha256, sha512 or sha384
// digest, the algorithms [Matches] relies on.
func (s Set) Strong() bool {
	for _, alg := range strong {
		if v, ok := s[alg]; ok && validateEntry(alg, v) == nil {
			return true
		}
	}
	return false
}

// Matches reports whether a and b name the same content. Both must be
// valid (see [Set.Validate]); they must share at least one strong algorithm
// (sha256, sha384 or sha512) with equal values; and every algorithm they
// share, strong or not, must have equal values. Values are compared byte for
// byte, so an uppercase digest (which is invalid) never matches.
//
// A shared weak algorithm alone (sha1, md5) never matches, and a
// disagreement on any shared algorithm is a mismatch even when a strong one
// agrees (go-witness GHSA-pgpm-j729-qcvh). The answer does not depend on map
// iteration order.
func Matches(a, b Set) bool {
	if a.Validate() != nil || b.Validate() != nil {
		return false
	}
	return MatchesValidated(a, b)
}

// MatchesValidated is [Matches] for two sets the caller has validated
// already (a statement's subjects, a link's materials), so that sets
// compared many times are not validated for every comparison. Requires
// a.Validate() == nil and b.Validate() == nil; for sets that are not
// valid its answer means nothing.
func MatchesValidated(a, b Set) bool {
	if len(a) == 1 {
		// The usual set, a lone sha256: the rule reduces to one comparison.
		if v, ok := a[SHA256]; ok {
			w, ok := b[SHA256]
			return ok && v == w
		}
	}
	agreeStrong := false
	for alg, av := range a {
		bv, ok := b[alg]
		if !ok {
			continue
		}
		if av != bv {
			return false
		}
		if isStrong(alg) {
			agreeStrong = true
		}
	}
	return agreeStrong
}

// Parse reads a digest written "ALG:HEX", where ALG is sha256, sha384 or
// sha512 and HEX has the length ALG produces. Uppercase hex is accepted and
// stored in lowercase; the algorithm name must be lowercase. Parse returns an
// error wrapping [ErrInvalid] (and [ErrUnsupportedAlgorithm] for another
// algorithm) and a nil Set if s is not such a digest.
func Parse(s string) (Set, error) {
	alg, value, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("%w: want ALGORITHM:HEX, got no colon", ErrInvalid)
	}
	if !isStrong(alg) {
		if len(alg) > maxNameLen {
			alg = alg[:maxNameLen] + "…"
		}
		return nil, fmt.Errorf("%w: %w %q (want sha256, sha384 or sha512)", ErrInvalid, ErrUnsupportedAlgorithm, alg)
	}
	want := known[alg].fixed[0]
	if len(value) != want {
		return nil, fmt.Errorf("%w: %s: %d hex digits, want %d", ErrInvalid, alg, len(value), want)
	}
	lower := []byte(value)
	for i, c := range lower {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			lower[i] = c + ('a' - 'A')
		default:
			return nil, fmt.Errorf("%w: %s: value is not hex (byte %d)", ErrInvalid, alg, i)
		}
	}
	return Set{alg: string(lower)}, nil
}

// String returns one digest of s written "ALG:HEX": sha256 if present, else
// sha512, else sha384, else the algorithm whose name sorts first. It returns
// "" for an empty set. String does not validate s.
func (s Set) String() string {
	if len(s) == 0 {
		return ""
	}
	for _, alg := range strong {
		if v, ok := s[alg]; ok {
			return alg + ":" + v
		}
	}
	first, found := "", false
	for alg := range s {
		if !found || alg < first {
			first, found = alg, true
		}
	}
	return first + ":" + s[first]
}

// newHash returns a hash for one of the algorithms this package computes:
// the SHA-2 and SHA-3 families. Weak algorithms (sha1, md5) are never
// computed.
func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	case SHA384:
		return sha512.New384(), nil
	case "sha224":
		return sha256.New224(), nil
	case "sha512_224":
		return sha512.New512_224(), nil
	case "sha512_256":
		return sha512.New512_256(), nil
	case "sha3_224":
		return sha3.New224(), nil
	case "sha3_256":
		return sha3.New256(), nil
	case "sha3_384":
		return sha3.New384(), nil
	case "sha3_512":
		return sha3.New512(), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupportedAlgorithm, alg)
}

// normaliseAlgorithms returns algs without duplicates, or [SHA256] if algs is
// empty, and checks that every one can be computed. The error wraps
// [ErrUnsupportedAlgorithm].
func normaliseAlgorithms(algs []string) ([]string, error) {
	if len(algs) == 0 {
		return []string{SHA256}, nil
	}
	out := make([]string, 0, len(algs))
	for _, a := range algs {
		if slices.Contains(out, a) {
			continue
		}
		if _, err := newHash(a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// bufSize is the size of the read buffers. 256 KiB keeps a buffer in the
// L2 cache while the hash reads it back, and is large enough that the
// read system calls cost little next to the hashing.
const bufSize = 256 << 10

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, bufSize)
	return &b
}}

// Reader hashes everything r yields with each of algs (default [SHA256]),
// reading it once and in constant memory, and returns the digests and the
// number of bytes read. Reading overlaps hashing: one goroutine reads the
// next buffer while the caller's goroutine hashes the last one.
//
// Reader returns an error wrapping [ErrUnsupportedAlgorithm] for an
// algorithm outside the SHA-2 and SHA-3 families, and the read error,
// unwrapped, if r fails (with a nil Set and the count read so far).
func Reader(r io.Reader, algs ...string) (Set, int64, error) {
	algs, err := normaliseAlgorithms(algs)
	if err != nil {
		return nil, 0, err
	}
	hs := make([]hash.Hash, len(algs))
	for i, a := range algs {
		hs[i], _ = newHash(a) // checked by normaliseAlgorithms
	}
	n, err := hashPipelined(r, hs)
	if err != nil {
		return nil, n, err
	}
	return sums(algs, hs, nil), n, nil
}

// File hashes the file at path with each of algs (default [SHA256]) as
// [Reader] does. It follows symbolic links. path must name a regular file
// or a named pipe, which is read to its end (process substitution, or
// /dev/stdin when standard input is a pipe); a device, a socket or any
// other kind of file is refused, unread, with a [*NotRegularError]
// (wrapping [ErrNotRegular]), since /dev/zero would be read forever.
// Errors from opening or reading are [*io/fs.PathError] values; an unknown
// algorithm gives an error wrapping [ErrUnsupportedAlgorithm].
func File(path string, algs ...string) (Set, error) {
	algs, err := normaliseAlgorithms(algs)
	if err != nil {
		return nil, err
	}
	if s, ok, err := smallFile(path, algs); ok {
		return s, err
	}
	return openFile(path, algs)
}

// openFile is [File]'s usual path, for a file smallFile leaves to it: a
// large regular file, a named pipe or a directory, or one whose open or
// fstat failed.
func openFile(path string, algs []string) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		// A socket cannot be opened (ENXIO on Linux): say what it is.
		if fi, serr := os.Stat(path); serr == nil && !namedReadable(fi.Mode()) {
			return nil, &NotRegularError{Path: path, Type: fi.Mode().Type()}
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !namedReadable(fi.Mode()) {
		return nil, &NotRegularError{Path: path, Type: fi.Mode().Type()}
	}
	s, _, err := Reader(f, algs...)
	return s, err
}

// namedReadable reports whether [File] reads a file of mode m that the
// caller named: a regular file, or a named pipe (read to its end, as
// process substitution or a pipe on standard input gives one). A
// directory is left to fail as a read of it does.
func namedReadable(m fs.FileMode) bool {
	t := m.Type()
	return t == 0 || t == fs.ModeNamedPipe || t == fs.ModeDir
}

// sums returns the Set of hs, which hash algs in the same order. scratch,
// if not nil, is a buffer kept between calls for hex encoding.
func sums(algs []string, hs []hash.Hash, scratch *[]byte) Set {
	s := make(Set, len(algs))
	var sum [sha512.Size]byte
	var buf []byte
	if scratch != nil {
		buf = *scratch
	}
	for i, h := range hs {
		buf = hex.AppendEncode(buf[:0], h.Sum(sum[:0]))
		s[algs[i]] = string(buf)
	}
	if scratch != nil {
		*scratch = buf
	}
	return s
}

// chunk is one buffer of input passed from the reading goroutine to the
// hashing one.
type chunk struct {
	buf *[]byte
	n   int
	err error
}

// hashPipelined copies r into every one of hs. A goroutine fills buffers
// while the calling one hashes, with three buffers in flight, so the time
// taken is close to that of hashing alone.
func hashPipelined(r io.Reader, hs []hash.Hash) (int64, error) {
	const inFlight = 3
	free := make(chan *[]byte, inFlight)
	full := make(chan chunk, inFlight)
	for range inFlight {
		free <- bufPool.Get().(*[]byte)
	}
	go func() {
		defer close(full)
		for b := range free {
			n, err := io.ReadFull(r, *b)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			full <- chunk{buf: b, n: n, err: err}
			if err != nil {
				return
			}
		}
	}()

	var total int64
	var rerr error
	for c := range full {
		data := (*c.buf)[:c.n]
		for _, h := range hs {
			h.Write(data)
		}
		total += int64(c.n)
		if c.err != nil {
			// The reader's last chunk: it has stopped using free.
			if c.err != io.EOF {
				rerr = c.err
			}
			bufPool.Put(c.buf)
			break
		}
		free <- c.buf
	}
	close(free)
	for b := range free {
		bufPool.Put(b)
	}
	return total, rerr
}
