package digest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// Known-answer vectors (FIPS 180-4 and FIPS 202 examples, checked with
// openssl dgst).
const (
	sha256Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sha256ABC   = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	sha384ABC   = "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
	sha512ABC   = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)

func TestReaderVectors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		algs  []string
		want  Set
	}{
		{name: "empty default", input: "", want: Set{SHA256: sha256Empty}},
		{name: "abc default", input: "abc", want: Set{SHA256: sha256ABC}},
		{name: "abc sha512", input: "abc", algs: []string{SHA512}, want: Set{SHA512: sha512ABC}},
		{name: "abc all strong", input: "abc", algs: []string{SHA256, SHA384, SHA512}, want: Set{SHA256: sha256ABC, SHA384: sha384ABC, SHA512: sha512ABC}},
		{name: "duplicates collapse", input: "abc", algs: []string{SHA256, SHA256}, want: Set{SHA256: sha256ABC}},
		{name: "sha224", input: "abc", algs: []string{"sha224"}, want: Set{"sha224": "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"}},
		{name: "sha512_224", input: "abc", algs: []string{"sha512_224"}, want: Set{"sha512_224": "4634270f707b6a54daae7530460842e20e37ed265ceee9a43e8924aa"}},
		{name: "sha512_256", input: "abc", algs: []string{"sha512_256"}, want: Set{"sha512_256": "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23"}},
		{name: "sha3_256", input: "abc", algs: []string{"sha3_256"}, want: Set{"sha3_256": "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := Reader(strings.NewReader(tt.input), tt.algs...)
			if err != nil {
				t.Fatalf("Reader(%q, %v) error: %v", tt.input, tt.algs, err)
			}
			if n != int64(len(tt.input)) {
				t.Errorf("Reader(%q) count = %d, want %d", tt.input, n, len(tt.input))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Reader(%q, %v) mismatch (-want +got):\n%s", tt.input, tt.algs, diff)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Reader result does not validate: %v", err)
			}
		})
	}
}

// TestReaderLong hashes more than several buffers, read in odd sizes, and
// checks the result against crypto/sha256 directly.
func TestReaderLong(t *testing.T) {
	t.Parallel()
	data := make([]byte, 3*bufSize+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	sum := sha256.Sum256(data)
	want := Set{SHA256: hex.EncodeToString(sum[:])}
	for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
		got, n, err := Reader(r)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(len(data)) {
			t.Errorf("Reader count = %d, want %d", n, len(data))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Reader mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(strings.Repeat("x", bufSize+1)), iotest.ErrReader(boom))
	got, _, err := Reader(r)
	if !errors.Is(err, boom) || got != nil {
		t.Errorf("Reader(failing) = %v, %v; want nil, %v", got, err, boom)
	}
	for _, alg := range []string{"md5", "sha1", "SHA256", "", "blake2b"} {
		if _, _, err := Reader(strings.NewReader("abc"), alg); !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("Reader(alg %q) error = %v, want %v", alg, err, ErrUnsupportedAlgorithm)
		}
	}
}

func TestFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "abc")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := File(p, SHA256, SHA512)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Set{SHA256: sha256ABC, SHA512: sha512ABC}, got); diff != "" {
		t.Errorf("File mismatch (-want +got):\n%s", diff)
	}
	if _, err := File(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("File(missing) error = %v, want %v", err, fs.ErrNotExist)
	}
	if _, err := File(p, "md5"); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Errorf("File(md5) error = %v, want %v", err, ErrUnsupportedAlgorithm)
	}
}

// TestFileSizes: File gives Reader's digests for files around the read
// buffer's size (read in one call up to it, pipelined beyond), through a
// symbolic link too, and an error for a directory.
func TestFileSizes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 4095, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 7} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d", n))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		link := p + ".link"
		if err := os.Symlink(p, link); err != nil {
			t.Fatal(err)
		}
		want, _, err := Reader(bytes.NewReader(data), SHA256, SHA512)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{p, link} {
			got, err := File(name, SHA256, SHA512)
			if err != nil {
				t.Fatalf("File(%d bytes) error = %v", n, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("File(%d bytes) mismatch (-Reader +File):\n%s", n, diff)
			}
		}
	}
	if _, err := File(dir); err == nil {
		t.Errorf("File(directory) = nil error, want one")
	}
}

var (
	hexX  = sha256ABC
	hexX2 = sha256Empty
	hexY  = strings.Repeat("a", 40) // a sha1
	hexM  = strings.Repeat("b", 32) // an md5
)

func TestValidate(t *testing.T) {
	many := Set{}
	for i := range MaxAlgorithms + 1 {
		many[strings.Repeat("x", i+1)] = "v"
	}
	tests := []struct {
		name    string
		set     Set
		wantErr error
	}{
		{name: "sha256", set: Set{SHA256: hexX}},
		{name: "sha256 and sha1", set: Set{SHA256: hexX, "sha1": hexY}},
		{name: "sha512", set: Set{SHA512: sha512ABC}},
		{name: "gitCommit sha1", set: Set{"gitCommit": hexY}},
		{name: "gitCommit sha256", set: Set{"gitCommit": hexX}},
		{name: "blake2b short", set: Set{"blake2b": "abcd"}},
		{name: "unknown algorithm", set: Set{"gitoid": "blob:sha256:" + hexX}},
		{name: "nil", set: nil, wantErr: ErrInvalid},
		{name: "empty value", set: Set{SHA256: ""}, wantErr: ErrInvalid},
		{name: "empty unknown value", set: Set{"custom": ""}, wantErr: ErrInvalid},
		{name: "empty name", set: Set{"": hexX}, wantErr: ErrInvalid},
		{name: "uppercase", set: Set{SHA256: strings.ToUpper(hexX)}, wantErr: ErrInvalid},
		{name: "short", set: Set{SHA256: hexX[:63]}, wantErr: ErrInvalid},
		{name: "long", set: Set{SHA256: hexX + "0"}, wantErr: ErrInvalid},
		{name: "sha512 length of sha256", set: Set{SHA512: hexX}, wantErr: ErrInvalid},
		{name: "not hex", set: Set{SHA256: strings.Repeat("g", 64)}, wantErr: ErrInvalid},
		{name: "md5 wrong length", set: Set{"md5": hexY}, wantErr: ErrInvalid},
		{name: "blake2b odd", set: Set{"blake2b": "abc"}, wantErr: ErrInvalid},
		{name: "blake2s too long", set: Set{"blake2s": strings.Repeat("a", 66)}, wantErr: ErrInvalid},
		{name: "unknown too long", set: Set{"custom": strings.Repeat("a", maxValueLen+1)}, wantErr: ErrInvalid},
		{name: "name too long", set: Set{strings.Repeat("a", maxNameLen+1): "x"}, wantErr: ErrInvalid},
		{name: "too many", set: many, wantErr: ErrInvalid},
		{name: "one bad among good", set: Set{SHA256: hexX, "sha1": "zz"}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set.Validate()
			if tt.wantErr == nil && err != nil {
				t.Errorf("Validate(%v) = %v, want nil", tt.set, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Validate(%v) = %v, want %v", tt.set, err, tt.wantErr)
			}
		})
	}
}

// TestSecurityCase29EmptyDigestSets: a subject with an empty digest set, or
// an empty digest, is rejected, and never matches anything (go-tuf e8f0f6b).
func TestSecurityCase29EmptyDigestSets(t *testing.T) {
	for _, s := range []Set{{}, nil, {SHA256: ""}, {SHA256: "", SHA512: ""}} {
		if err := s.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%#v) = %v, want %v", s, err, ErrInvalid)
		}
		if s.Strong() {
			t.Errorf("Strong(%#v) = true, want false", s)
		}
		for _, other := range []Set{s, {}, {SHA256: ""}, {SHA256: hexX}} {
			if Matches(s, other) || Matches(other, s) {
				t.Errorf("Matches(%#v, %#v) = true, want false", s, other)
			}
		}
	}
}

// TestSecurityCase30MatchesTruthTable: matching never falls back to a weak
// algorithm and any disagreement is a mismatch (go-witness
// GHSA-pgpm-j729-qcvh).
func TestSecurityCase30MatchesTruthTable(t *testing.T) {
	expected := Set{SHA256: hexX, "sha1": hexY}
	tests := []struct {
		name string
		a, b Set
		want bool
	}{
		{name: "sha1 only", a: expected, b: Set{"sha1": hexY}, want: false},
		{name: "md5 only", a: expected, b: Set{"md5": hexM}, want: false},
		{name: "sha256 differs, sha1 agrees", a: expected, b: Set{SHA256: hexX2, "sha1": hexY}, want: false},
		{name: "sha256 agrees", a: expected, b: Set{SHA256: hexX}, want: true},
		{name: "identical", a: expected, b: expected, want: true},
		{name: "sha256 agrees, sha1 differs", a: expected, b: Set{SHA256: hexX, "sha1": strings.Repeat("c", 40)}, want: false},
		{name: "unshared extra algorithm", a: Set{SHA256: hexX, "gitoid": "sha256:" + hexX2}, b: Set{SHA256: hexX}, want: true},
		{name: "shared unknown algorithm differs", a: Set{SHA256: hexX, "gitoid": "a"}, b: Set{SHA256: hexX, "gitoid": "b"}, want: false},
		{name: "only unknown algorithm agrees", a: Set{"gitoid": "a"}, b: Set{"gitoid": "a"}, want: false},
		{name: "sha1 and md5 agree", a: Set{"sha1": hexY, "md5": hexM}, b: Set{"sha1": hexY, "md5": hexM}, want: false},
		{name: "sha512 agrees", a: Set{SHA512: sha512ABC}, b: Set{SHA512: sha512ABC, SHA256: hexX}, want: true},
		{name: "sha384 agrees", a: Set{SHA384: sha384ABC}, b: Set{SHA384: sha384ABC}, want: true},
		{name: "no shared algorithm", a: Set{SHA256: hexX}, b: Set{SHA512: sha512ABC}, want: false},
		{name: "uppercase never matches", a: Set{SHA256: strings.ToUpper(hexX)}, b: Set{SHA256: strings.ToUpper(hexX)}, want: false},
		{name: "case differs", a: Set{SHA256: strings.ToUpper(hexX)}, b: Set{SHA256: hexX}, want: false},
		{name: "invalid side", a: Set{SHA256: hexX, "sha1": "zz"}, b: Set{SHA256: hexX}, want: false},
		{name: "weak algorithm under another name", a: Set{"SHA256": hexX}, b: Set{"SHA256": hexX}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Map iteration order varies; the answer must not.
			for range 20 {
				if got := Matches(tt.a, tt.b); got != tt.want {
					t.Fatalf("Matches(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
				}
				if got := Matches(tt.b, tt.a); got != tt.want {
					t.Fatalf("Matches(%v, %v) = %v, want %v", tt.b, tt.a, got, tt.want)
				}
			}
		})
	}
}

func TestStrong(t *testing.T) {
	tests := []struct {
		set  Set
		want bool
	}{
		{Set{SHA256: hexX}, true},
		{Set{SHA512: sha512ABC}, true},
		{Set{SHA384: sha384ABC}, true},
		{Set{"sha1": hexY, "md5": hexM}, false},
		{Set{"sha3_256": hexX}, false},
		{Set{SHA256: "abc"}, false},
		{Set{SHA256: ""}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := tt.set.Strong(); got != tt.want {
			t.Errorf("Strong(%v) = %v, want %v", tt.set, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Set
		wantErr error
	}{
		{in: "sha256:" + hexX, want: Set{SHA256: hexX}},
		{in: "sha256:" + strings.ToUpper(hexX), want: Set{SHA256: hexX}},
		{in: "sha512:" + sha512ABC, want: Set{SHA512: sha512ABC}},
		{in: "sha384:" + sha384ABC, want: Set{SHA384: sha384ABC}},
		{in: hexX, wantErr: ErrInvalid},
		{in: "", wantErr: ErrInvalid},
		{in: "sha256:", wantErr: ErrInvalid},
		{in: "sha256:" + hexX[:62], wantErr: ErrInvalid},
		{in: "sha256:" + hexX + "00", wantErr: ErrInvalid},
		{in: "sha256:" + hexX + "\n", wantErr: ErrInvalid},
		{in: "sha256:" + strings.Repeat("z", 64), wantErr: ErrInvalid},
		{in: "sha512:" + hexX, wantErr: ErrInvalid},
		{in: "SHA256:" + hexX, wantErr: ErrUnsupportedAlgorithm},
		{in: "sha1:" + hexY, wantErr: ErrUnsupportedAlgorithm},
		{in: "md5:" + hexM, wantErr: ErrUnsupportedAlgorithm},
		{in: " sha256:" + hexX, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) || got != nil {
				t.Errorf("Parse(%q) = %v, %v; want nil, %v", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		set  Set
		want string
	}{
		{nil, ""},
		{Set{SHA256: hexX}, "sha256:" + hexX},
		{Set{SHA512: sha512ABC, SHA256: hexX, SHA384: sha384ABC}, "sha256:" + hexX},
		{Set{SHA512: sha512ABC, SHA384: sha384ABC}, "sha512:" + sha512ABC},
		{Set{SHA384: sha384ABC, "sha1": hexY}, "sha384:" + sha384ABC},
		{Set{"sha1": hexY, "md5": hexM}, "md5:" + hexM},
		{Set{"": "x", "a": "y"}, ":x"},
	}
	for _, tt := range tests {
		for range 10 {
			if got := tt.set.String(); got != tt.want {
				t.Fatalf("String(%v) = %q, want %q", tt.set, got, tt.want)
			}
		}
	}
}

// FuzzParse checks that Parse either fails with ErrInvalid and no value, or
// returns a valid single-digest set that prints back as its lowercased
// input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sha256:" + hexX, "sha256:" + strings.ToUpper(hexX), "sha512:" + sha512ABC, "sha384:" + sha384ABC,
		"sha1:" + hexY, "sha256:", ":", "", "sha256:" + hexX + "0", "sha256:é" + hexX[2:],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if got != nil {
				t.Fatalf("Parse(%q) = %v with error %v, want no value", s, got, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v does not wrap %v", s, err, ErrInvalid)
			}
			return
		}
		if len(got) != 1 || !got.Strong() {
			t.Fatalf("Parse(%q) = %v, want one strong digest", s, got)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %v, which does not validate: %v", s, got, err)
		}
		if got.String() != strings.ToLower(s) {
			t.Fatalf("Parse(%q).String() = %q, want %q", s, got.String(), strings.ToLower(s))
		}
		again, err := Parse(got.String())
		if err != nil || !Matches(got, again) {
			t.Fatalf("Parse(Parse(%q).String()) = %v, %v; want a match", s, again, err)
		}
	})
}

// chunkReader yields its chunks one Read at a time, each a short read, as
// procfs and some network or FUSE file systems do.
type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// TestHashFromShortReads: a short read ends the file only when it brings
// the bytes read to the size fstat gave. A file fstat calls smaller than it
// is (procfs says 0 bytes; a file may grow after the fstat) is read to its
// end, never hashed as a prefix; one shorter than fstat said is read to its
// end too.
func TestHashFromShortReads(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		chunks []string
		size   int64
	}{
		{"as fstat said", []string{"abc"}, 3},
		{"fstat said 0", []string{"abc", "def", "ghi"}, 0},
		{"grew after fstat", []string{"abc", "def"}, 2},
		{"shrank after fstat", []string{"ab"}, 3},
		{"short reads up to the size", []string{"ab", "cd", "ef"}, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			whole := strings.Join(tt.chunks, "")
			w := newWorker([]string{SHA256})
			defer w.free()
			if err := w.hashFrom(t.Context(), &chunkReader{chunks: slices.Clone(tt.chunks)}, tt.size); err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256([]byte(whole))
			if got := hex.EncodeToString(w.hs[0].Sum(nil)); got != hex.EncodeToString(want[:]) {
				t.Errorf("hashFrom(%q, size %d) = %s, want the digest of all %d bytes %x", tt.chunks, tt.size, got, len(whole), want)
			}
		})
	}
}

// TestFileProcfs: a procfs file of more than a page (fstat gives 0 bytes,
// each read one page at most) is hashed whole, as reading it to its end
// gives, not as its first page.
func TestFileProcfs(t *testing.T) {
	t.Parallel()
	const p = "/proc/kallsyms"
	want, err := os.ReadFile(p)
	if err != nil || len(want) <= 4096 {
		t.Skipf("no procfs file of more than a page: %d bytes, %v", len(want), err)
	}
	got, err := File(p)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := os.ReadFile(p); err != nil || !bytes.Equal(again, want) {
		t.Skipf("%s changed while the test read it", p)
	}
	sum := sha256.Sum256(want)
	if got[SHA256] != hex.EncodeToString(sum[:]) {
		t.Errorf("File(%s) = %s, want the digest of its %d bytes", p, got[SHA256], len(want))
	}
}
