package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/digest"
)

// rawLink writes a link signed by k whose materials and products are the
// JSON objects given, byte for byte and in their order (the signature
// covers the canonical JSON, which sorts them).
func (f *layoutFixture) rawLink(t *testing.T, name, materials, products string, k *itKey) {
	t.Helper()
	var m, p map[string]any
	if err := json.Unmarshal([]byte(materials), &m); err != nil {
		t.Fatalf("materials %s: %v", materials, err)
	}
	if err := json.Unmarshal([]byte(products), &p); err != nil {
		t.Fatalf("products %s: %v", products, err)
	}
	mb := &in_toto.Metablock{Signed: in_toto.Link{Type: "link", Name: name, Materials: m, Products: p,
		ByProducts: map[string]any{}, Command: []string{}, Environment: map[string]any{}}}
	if err := mb.Sign(k.priv); err != nil {
		t.Fatal(err)
	}
	sigs, err := json.Marshal(mb.Signatures)
	if err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf(`{"signed":{"_type":"link","name":%q,"command":[],"materials":%s,"products":%s,"byproducts":{},"environment":{}},"signatures":%s}`,
		name, materials, products, sigs)
	if err := os.WriteFile(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, name, k.priv.KeyID)), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// digestOutcome is what a verification says of the package stage: why its
// link was refused, if it was; the stage's status and reason; and each
// rule's, one line each; the functionary's key id is written KEY.
func digestOutcome(res *Result, keyID string) string {
	var b strings.Builder
	for _, a := range res.Attestations {
		if strings.HasPrefix(a.Source, "links/package.") && a.Status != StatusCounted {
			fmt.Fprintf(&b, "link %s: %s\n", a.Status, a.Reason)
		}
	}
	for _, st := range res.Stages {
		if st.Name != "package" {
			continue
		}
		fmt.Fprintf(&b, "%s %s", st.Status, strings.ReplaceAll(st.Reason, keyID, "KEY"))
		for _, r := range st.Rules {
			fmt.Fprintf(&b, "\n%s %s: %s %s", r.Side, r.Rule, r.Status, r.Reason)
		}
	}
	return b.String()
}

// TestLayoutDigestSemantics pins what the artifact rules of an in-toto
// layout make of links' digest sets: several algorithms (every algorithm
// two sets share must agree, and one of them be strong), no sha256, an
// algorithm consign does not know, uppercase hex, a name listed twice once
// cleaned (the set of the name first in byte order is the one kept,
// whatever the document's order), documents not in sorted order, and
// MATCH, ALLOW, DISALLOW, CREATE, DELETE, MODIFY and REQUIRE over them.
func TestLayoutDigestSemantics(t *testing.T) {
	a, b, c := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	a5, b5 := strings.Repeat("a", 128), strings.Repeat("b", 128)
	s1, s2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
	m1, m2 := strings.Repeat("3", 32), strings.Repeat("4", 32)
	match := [][]string{{"MATCH", "*", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}}
	tests := []struct {
		name                     string
		built                    string // build's products
		materials, products      string // package's
		materialRules, prodRules [][]string
		want                     string
	}{
		{name: "both algorithms agree", built: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha512":"` + a5 + `","sha256":"` + a + `"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "sha256 alone against two", built: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "two against sha256 alone", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "sha512 disagrees", built: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha256":"` + a + `","sha512":"` + b5 + `"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha256:" + a + " differs from build's product sha256:" + a + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "weak algorithm disagrees", built: `{"x":{"sha256":"` + a + `","md5":"` + m1 + `"}}`,
			materials: `{"x":{"sha256":"` + a + `","md5":"` + m2 + `"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha256:" + a + " differs from build's product sha256:" + a + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "sha512 alone", built: `{"x":{"sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha512":"` + a5 + `"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "no common algorithm", built: `{"x":{"sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha256:" + a + " differs from build's product sha512:" + a5 + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "sha1 alone in common", built: `{"x":{"sha1":"` + s1 + `","sha256":"` + a + `"}}`,
			materials: `{"x":{"sha1":"` + s1 + `","sha512":"` + a5 + `"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha512:" + a5 + " differs from build's product sha256:" + a + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "unknown algorithm agrees", built: `{"x":{"sha256":"` + a + `","myhash":"v1"}}`,
			materials: `{"x":{"sha256":"` + a + `","myhash":"v1"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "unknown algorithm disagrees", built: `{"x":{"sha256":"` + a + `","myhash":"v1"}}`,
			materials: `{"x":{"sha256":"` + a + `","myhash":"v2"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha256:" + a + " differs from build's product sha256:" + a + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "unknown algorithm alone", built: `{"x":{"myhash":"v1"}}`,
			materials: `{"x":{"myhash":"v1"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest myhash:v1 differs from build's product myhash:v1)\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "uppercase sha256", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + strings.ToUpper(a) + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: link materials \"x\": invalid digest: sha256: value is not lowercase hex (byte 0)\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "uppercase sha512 beside sha256", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + a + `","sha512":"` + strings.ToUpper(a5) + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: link materials \"x\": invalid digest: sha512: value is not lowercase hex (byte 0)\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "sha256 too short", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + a[:63] + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: link materials \"x\": invalid digest: sha256: 63 hex digits, want 64\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "empty set", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{}}`, materialRules: match,
			want: "link invalid: invalid attestation: link materials \"x\": invalid digest: empty digest set\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "twice once cleaned, the first in byte order kept", built: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`,
			materials: `{"x":{"sha256":"` + a + `"},"./x":{"sha256":"` + a + `","sha512":"` + b5 + `"}}`, materialRules: match,
			want: "fail \nmaterials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials DISALLOW *: fail disallowed: x (its digest sha256:" + a + " differs from build's product sha256:" + a + ")\nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "twice once cleaned, the other kept", built: `{"x":{"sha256":"` + a + `","sha512":"` + a5 + `"}}`,
			materials: `{"y/../x":{"sha256":"` + a + `","sha512":"` + b5 + `"},"x":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "pass \nmaterials MATCH * WITH PRODUCTS FROM build: pass 1 artifact(s) matched products of build\nmaterials DISALLOW *: pass \nproducts ALLOW *: pass 0 artifact(s) consumed"},
		{name: "twice once cleaned, other content", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + a + `"},"./x":{"sha256":"` + b + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: material \"x\" is listed twice with different digests (as \"x\" once cleaned)\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "twice once cleaned, second invalid", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"./x":{"sha256":"` + a + `"},"x":{"sha256":"` + b + `"},"a\\z":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: material name \"a\\\\z\": artifact names use \"/\" and hold no backslash or NUL\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "two invalid sets, the first in the document named", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"y":{"sha256":"` + strings.ToUpper(a) + `"},"b":{"sha256":"` + a[:63] + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: link materials \"y\": invalid digest: sha256: value is not lowercase hex (byte 0)\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "backslash", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x\\y":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: material name \"x\\\\y\": artifact names use \"/\" and hold no backslash or NUL\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "name twice in the document", built: `{"x":{"sha256":"` + a + `"}}`,
			materials: `{"x":{"sha256":"` + a + `"},"x":{"sha256":"` + a + `"}}`, materialRules: match,
			want: "link invalid: invalid attestation: malformed: duplicate key \"x\"\nfail no link attestation signed by its functionaries (KEY)"},
		{name: "one side's rules",
			built: `{"k":{"sha256":"` + a + `"}}`,
			materials: `{"m":{"sha256":"` + a + `"},"k":{"sha256":"` + a + `","sha512":"` + a5 + `"},"gone":{"sha512":"` + b5 + `"},` +
				`"a":{"sha256":"` + c + `"},"w":{"sha1":"` + s1 + `","sha256":"` + b + `"},"./v":{"sha256":"` + b + `","myhash":"v1"}}`,
			products: `{"n":{"sha256":"` + c + `"},"a":{"sha256":"` + c + `"},"m":{"sha256":"` + a + `","sha512":"` + b5 + `"},` +
				`"k":{"sha256":"` + a + `","sha512":"` + b5 + `"},"w":{"sha1":"` + s2 + `","sha256":"` + b + `"},"v":{"sha256":"` + b + `","myhash":"v2"}}`,
			materialRules: [][]string{{"MODIFY", "*"}, {"REQUIRE", "gone"}, {"DELETE", "*"}, {"REQUIRE", "gone"}, {"REQUIRE", "a"},
				{"MATCH", "*", "WITH", "PRODUCTS", "FROM", "build"}, {"ALLOW", "a"}, {"REQUIRE", "a"}, {"DISALLOW", "*"}},
			prodRules: [][]string{{"CREATE", "*"}, {"MODIFY", "*"}, {"REQUIRE", "a"}, {"ALLOW", "nothing"}, {"DISALLOW", "*"}},
			want: "fail \nmaterials MODIFY *: pass 3 artifact(s) consumed\nmaterials REQUIRE gone: pass \nmaterials DELETE *: pass 1 artifact(s) consumed\n" +
				"materials REQUIRE gone: fail gone was consumed by an earlier rule\nmaterials REQUIRE a: pass \n" +
				"materials MATCH * WITH PRODUCTS FROM build: pass 0 artifact(s) matched products of build\nmaterials ALLOW a: pass 1 artifact(s) consumed\n" +
				"materials REQUIRE a: fail a was consumed by an earlier rule\nmaterials DISALLOW *: fail disallowed: m (m is not among the products of build)\n" +
				"products CREATE *: pass 1 artifact(s) consumed\nproducts MODIFY *: pass 3 artifact(s) consumed\nproducts REQUIRE a: pass \n" +
				"products ALLOW nothing: pass 0 artifact(s) consumed\nproducts DISALLOW *: fail disallowed: a, m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newLayoutFixture(t)
			allowAll := [][]string{{"ALLOW", "*"}}
			f.layout.Steps[0].ExpectedMaterials, f.layout.Steps[0].ExpectedProducts = allowAll, allowAll
			f.layout.Steps[1].ExpectedMaterials, f.layout.Steps[1].ExpectedProducts = tt.materialRules, allowAll
			if tt.prodRules != nil {
				f.layout.Steps[1].ExpectedProducts = tt.prodRules
			}
			products := tt.products
			if products == "" {
				products = "{}"
			}
			f.rawLink(t, "build", "{}", tt.built, f.fn)
			f.rawLink(t, "package", tt.materials, products, f.fn)
			cfg := f.config(t)
			cfg.Artifacts = nil
			got := digestOutcome(verifyLayoutT(t, cfg), f.fn.pub.KeyID)
			if got != tt.want {
				t.Errorf("package stage:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestCursor: a cursor finds what the table's own search finds, whatever
// the order of the names looked up (in order, backwards, skipping, names
// the table does not hold), and nothing in a nil table.
func TestCursor(t *testing.T) {
	tb := digest.NewTable(0)
	for _, n := range []string{"a", "b", "b/c", "d", "e"} {
		tb.AddSHA256(n, strings.Repeat("ab", 32))
	}
	lookups := []string{"a", "b", "b/c", "d", "e", "e", "f", "a", "0", "d", "b", "c", "b/c", "", "e"}
	c, cb := cursor{t: tb}, cursor{t: tb}
	for _, n := range lookups {
		wi, wok := tb.Index(n)
		gi, gok := c.index(n)
		bi, bok := cb.indexBytes([]byte(n))
		if gok != wok || bok != wok || wok && (gi != wi || bi != wi) {
			t.Errorf("lookup %q: index = %d, %v; indexBytes = %d, %v; want %d, %v", n, gi, gok, bi, bok, wi, wok)
		}
	}
	none := cursor{}
	if _, ok := none.index("a"); ok {
		t.Error("a cursor over a nil table found a name")
	}
	if _, ok := none.indexBytes([]byte("a")); ok {
		t.Error("a cursor over a nil table found a name")
	}
}

// TestIsClean: isClean says what path.Clean says, of every name of up to
// seven bytes of "a", "." and "/", and of a few more.
func TestIsClean(t *testing.T) {
	names := []string{"", "s1/file000001.o", "/", "//", "a//b", "../../a", "a/../../b", ".../a", "a/...", "a/.b", "./.", "/../a", "a\\b"}
	var grow func(s string)
	grow = func(s string) {
		names = append(names, s)
		if len(s) < 7 {
			for _, c := range []string{"a", ".", "/"} {
				grow(s + c)
			}
		}
	}
	grow("")
	for _, n := range names {
		if got, want := isClean(n), path.Clean(n) == n; got != want {
			t.Errorf("isClean(%q) = %v, want %v", n, got, want)
		}
	}
}
