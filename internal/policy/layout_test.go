package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
)

func testLayout(t testing.TB) (in_toto.Layout, in_toto.Key) {
	t.Helper()
	var k in_toto.Key
	if err := k.LoadKeyReaderDefaults(strings.NewReader(testKey(t, "layout-fn").PEM)); err != nil {
		t.Fatal(err)
	}
	return in_toto.Layout{Type: "layout", Expires: "2030-01-01T00:00:00Z", Keys: map[string]in_toto.Key{k.KeyID: k},
		Steps: []in_toto.Step{{Type: "step", PubKeys: []string{k.KeyID}, Threshold: 1, SupplyChainItem: in_toto.SupplyChainItem{Name: "build",
			ExpectedMaterials: [][]string{{"ALLOW", "src/*"}}, ExpectedProducts: [][]string{{"CREATE", "dist/*"}, {"DISALLOW", "*"}}}}},
		Inspect: []in_toto.Inspection{{Type: "inspection", Run: []string{"true"}, SupplyChainItem: in_toto.SupplyChainItem{Name: "check",
			ExpectedMaterials: [][]string{{"MATCH", "dist/*", "WITH", "PRODUCTS", "FROM", "build"}}}}}}, k
}

func TestParseLayout(t *testing.T) {
	l, k := testLayout(t)
	b, _ := json.Marshal(l)
	got, err := ParseLayout(b)
	if err != nil {
		t.Fatalf("ParseLayout() = %v", err)
	}
	if len(got.Stages) != 1 || got.Stages[0].Threshold != 1 || got.Stages[0].By[0] != k.KeyID || len(got.Inspections) != 1 || got.KeyIDs[k.KeyID] == nil {
		t.Errorf("ParseLayout() = %+v", got)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"case-folded field": func(m map[string]any) { m["Steps"] = m["steps"]; delete(m, "steps") },
		"no steps":          func(m map[string]any) { m["steps"] = []any{} },
		"rootcas":           func(m map[string]any) { m["rootcas"] = map[string]any{"x": map[string]any{}} },
		"bad expiry":        func(m map[string]any) { m["expires"] = "2030" },
		"unknown key":       func(m map[string]any) { m["steps"].([]any)[0].(map[string]any)["pubkeys"] = []any{"ab"} },
		"float threshold":   func(m map[string]any) { m["steps"].([]any)[0].(map[string]any)["threshold"] = 1.5 },
	} {
		var m map[string]any
		json.Unmarshal(b, &m)
		mutate(m)
		mb, _ := json.Marshal(m)
		if _, err := ParseLayout(mb); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: ParseLayout() = %v, want ErrInvalid", name, err)
		}
	}
}

// FuzzParseLayout: the layout parser never panics and fails only with
// ErrInvalid, and a layout it accepts has thresholds in 1..distinct keys.
func FuzzParseLayout(f *testing.F) {
	l, _ := testLayout(f)
	b, _ := json.Marshal(l)
	f.Add(b)
	f.Add([]byte(`{"_type":"layout","expires":"2030-01-01T00:00:00Z","steps":[{"_type":"step","name":"a","threshold":0}],"keys":{}}`))
	f.Add([]byte(`{"_type":"layout","steps":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseLayout(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseLayout() = %v, not ErrInvalid", err)
			}
			return
		}
		for _, st := range got.Stages {
			if n := len(got.StageKeys(st)); st.Threshold < 1 || st.Threshold > n {
				t.Fatalf("stage %q: threshold %d with %d keys", st.Name, st.Threshold, n)
			}
		}
	})
}
