package strictjson

import (
	"fmt"
	"strings"
	"testing"
)

// strictCases are inputs at every edge of what Check accepts: syntax,
// numbers, escapes, surrogates, UTF-8, depth, duplicate and case-folded keys.
var strictCases = []string{
	// Syntax.
	``, ` `, `{}`, `[]`, `""`, `1`, `true`, `false`, `null`, `tru`, `nul`, `nulll`, `True`,
	`{`, `}`, `[`, `]`, `{]`, `[}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{'a':1}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`,
	`{"a":1}{}`, `{} {}`, `[] x`, " \n\t\r{\"a\" : [ 1 , 2 ] }\r\n", "\v{}", "\f[]", "\u00a0{}", "\xef\xbb\xbf{}",
	`{"a":1 "b":2}`, `[1 2]`, `{"a":1,"b"}`, `{"a":[1,{"b":[]},"c"],"d":{"e":{}}}`, `[[],[[]],{}]`, `{"":1}`, `{"":1,"":2}`,
	// Numbers.
	`0`, `-0`, `-`, `01`, `-01`, `1.`, `.1`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `1.e5`, `-1.5e-3`, `+1`,
	`123456789012345678901234567890`, `1.0.0`, `0x1`, `1_000`, `[-]`, `[1e5,2E-3,-0.0]`, `{"a":-}`, `{"a":0}`, `NaN`, `Infinity`,
	// Strings and escapes.
	`"a\"b"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\a"`, `"\x41"`, `"\u0041"`, `"\u00e9"`, `"\u00E9"`, `"\u12"`, `"\u12g4"`, `"\"`,
	`"\u0000"`, "\"\x00\"", "\"\x1f\"", "\"\x7f\"", "\"a\nb\"", "\"a\tb\"", `"\'"`, `"abc`, `"\`, `"\u`, `"\u004`,
	// Surrogates.
	`"\ud83d\ude00"`, `"\uD83D\uDE00"`, `"\ud800"`, `"\udc00"`, `"\ud800\ud800"`, `"\ud800\u0041"`, `"\ud800x"`, `"\ud800\n"`,
	`"\udbff\udfff"`, `"\ud7ff"`, `"\ue000"`, `"\\ud800"`, `"\\\ud800"`, `"\\\\ud800"`, `"\ud800\udc0"`, `"\ud800\"`, `"\ud800\\udc00"`,
	`{"\ud800":1}`, `{"a":"\udc00"}`,
	// UTF-8.
	"\"\xff\"", "\"\xc3\xa9\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf0\x9f\x98\x80\"", "{\"\xc3\xa9\":1}", "\xc3\xa9", "[\"a\"]\xff",
	// Keys.
	`{"a":1,"a":2}`, `{"a":1,"A":2}`, `{"A":1,"a":2}`, `{"a":1,"b":{"a":2}}`, `[{"k":1},{"k":2}]`, `{"a":{"b":1},"b":2}`,
	`{"sha256":"A","sha\u0032\u0035\u0036":"B"}`, `{"sig":"a","ſig":"b"}`, `{"keyid":"a","\u212aeyid":"b"}`, `{"ß":1,"SS":2}`,
	`{"ſ":1,"S":2}`, `{"É":1,"é":2}`, `{"é":1,"\u00e9":2}`, `{"a\"b":1,"a\"c":2}`, `{"a\"b":1,"a\u0022b":2}`,
	`{"x":[{"y":{"d":1,"d":1}}]}`, `{"a":{"b":1,"c":2},"d":{"b":1,"c":2}}`, `{"a":{"a":{"a":1}}}`, `{"Ab":1,"aB":2}`, `{"AB":1,"ab":2}`,
	`{"Ab":{"Cd":1,"cD":2}}`, `{"Ab":{"Cd":1},"aB":2}`, `{"Ab":{"Cd":1},"Cd":2}`, `{"Zz":{"Yy":{"Xx":1}},"yY":{"xX":1,"Xx":2}}`,
	`{"Ab":1,"Bc":2,"Cd":3,"De":4,"Ef":5,"Fg":6,"Gh":7,"Hi":8,"Ij":9,"Jk":10,"Kl":11,"Lm":12,"Mn":13,"No":14,"Op":15,"Pq":16,"Qr":17,"aB":18}`,
}

// manyKeys returns an object with n distinct keys and, with dup, one more
// that folds to the key at index at.
func manyKeys(n int, dup bool, at int, upper bool) string {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range n {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`"k` + strings.Repeat("x", i) + `":0`)
	}
	if dup {
		k := "k" + strings.Repeat("x", at)
		if upper {
			k = strings.ToUpper(k)
		}
		sb.WriteString(`,"` + k + `":1`)
	}
	sb.WriteString("}")
	return sb.String()
}

// keysObject returns an object of n keys in increasing order but for the
// key at index brk, which is the key at dupOf (a duplicate, out of order)
// or, for dupOf < 0, a new key that sorts before every other.
func keysObject(n, brk, dupOf int) string {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range n {
		if i > 0 {
			sb.WriteString(",")
		}
		k := fmt.Sprintf("k%04d", i)
		switch {
		case i == brk && dupOf >= 0:
			k = fmt.Sprintf("K%04d", dupOf) // folds to the key at dupOf
		case i == brk:
			k = "a"
		}
		sb.WriteString(`"` + k + `":0`)
	}
	sb.WriteString("}")
	return sb.String()
}

func strictInputs() []string {
	in := append([]string(nil), strictCases...)
	for _, n := range []int{1, 15, 16, 17, 40} {
		for _, at := range []int{0, n / 2, n - 1} {
			in = append(in, manyKeys(n, false, 0, false), manyKeys(n, true, at, false), manyKeys(n, true, at, true))
			in = append(in, `[`+manyKeys(n, false, 0, false)+`,`+manyKeys(n, false, 0, false)+`]`, `{"outer":`+manyKeys(n, false, 0, false)+`,"k":1}`)
		}
	}
	// Keys in order, then out of order: a duplicate of a key far back,
	// found once the order breaks, early or late, in a long object.
	for _, n := range []int{17, 40, 300} {
		for _, brk := range []int{1, n / 2, n - 1} {
			for _, dupOf := range []int{0, brk / 2, -1} {
				in = append(in, keysObject(n, brk, dupOf))
			}
		}
	}
	for _, depth := range []int{1, 199, 200, 201, 300} {
		in = append(in,
			strings.Repeat("[", depth)+strings.Repeat("]", depth),
			strings.Repeat(`{"a":`, depth)+"1"+strings.Repeat("}", depth),
			strings.Repeat(`[{"a":`, depth/2)+"1"+strings.Repeat("}]", depth/2),
			strings.Repeat("[", depth)+strings.Repeat("]", depth-1))
	}
	return in
}

// TestValidStrict holds the one-pass reader to the four-pass reference:
// the same answer on every edge case.
func TestValidStrict(t *testing.T) {
	for _, in := range strictInputs() {
		got, want := Valid([]byte(in)), checkSlow([]byte(in))
		if got != (want == nil) {
			t.Errorf("Valid(%q) = %v, checkSlow = %v", in, got, want)
		}
		if err := Check([]byte(in)); (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
			t.Errorf("Check(%q) = %v, want %v", in, err, want)
		}
	}
}

// FuzzValidStrict compares Valid with checkSlow on any input.
func FuzzValidStrict(f *testing.F) {
	for _, in := range strictInputs() {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), checkSlow(b); got != (want == nil) {
			t.Fatalf("Valid(%q) = %v, checkSlow = %v", b, got, want)
		}
	})
}

// TestSpecialByte8 checks the word test against the byte test for every
// byte value in every position, with plain bytes around it.
func TestSpecialByte8(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			var w [8]byte
			for i := range w {
				w[i] = 'A'
			}
			w[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			want := c < 0x20 || c == '"' || c == '\\'
			if got := specialByte8(x); got != want {
				t.Errorf("specialByte8 with %#x at %d = %v, want %v", c, pos, got, want)
			}
			plain := !want && c < 0x80
			if got := PlainASCII8(x); got != plain {
				t.Errorf("PlainASCII8 with %#x at %d = %v, want %v", c, pos, got, plain)
			}
		}
	}
}
