package predicate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
)

// TestLinkMarshalBytes holds the hand-written link encoder to the bytes
// encoding/json writes for the same link, and to the schema's rule for
// every material, not only the first one the schema itself sees.
func TestLinkMarshalBytes(t *testing.T) {
	d := digest.Set{"sha256": string(bytes.Repeat([]byte("a"), 64))}
	two := digest.Set{"sha512": string(bytes.Repeat([]byte("b"), 128)), "sha256": d["sha256"]}
	l := predicate.Link{
		Name:        "build <&>",
		Command:     []string{"make", "a\"b", "\u2028"},
		Byproducts:  map[string]any{"exitCode": 0, "z": "<", "a": []int{1}},
		Environment: map[string]any{"excludePatterns": []string{}},
		Materials: []predicate.ResourceDescriptor{
			{Name: "src/main.go", Digest: d}, {URI: "git+https://example.com/x?a=1&b=2", Digest: two},
			{Name: "tab\tname", URI: "u"}, {Name: "bad\xffname", Digest: d},
		},
	}
	got, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Link.Marshal() =\n%s\nwant (encoding/json)\n%s", got, want)
	}
	empty, err := (&predicate.Link{Name: "x"}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"byproducts":{},"command":[],"environment":{},"materials":[],"name":"x"}`; string(empty) != want {
		t.Errorf("Link{Name: x}.Marshal() = %s, want %s", empty, want)
	}

	// A material with neither uri nor digest breaks the schema, wherever
	// it is in the list.
	for _, at := range []int{0, 3} {
		bad := l
		bad.Materials = append([]predicate.ResourceDescriptor(nil), l.Materials...)
		bad.Materials[at] = predicate.ResourceDescriptor{Name: "only a name"}
		if b, err := bad.Marshal(); !errors.Is(err, attest.ErrPredicate) || b != nil {
			t.Errorf("Marshal(material %d without uri or digest) = %s, %v; want %v", at, b, err, attest.ErrPredicate)
		}
	}
}
