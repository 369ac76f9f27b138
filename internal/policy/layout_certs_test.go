package policy

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// demoLayoutBody is in-toto-golang's demo layout (its test data), the
// signed body as a generic map to mangle.
func demoLayoutBody(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../verify/testdata/in-toto-golang/demo.layout")
	if err != nil {
		t.Fatal(err)
	}
	var mb struct{ Signed map[string]any }
	if err := json.Unmarshal(b, &mb); err != nil {
		t.Fatal(err)
	}
	return mb.Signed
}

func TestParseLayoutCertificates(t *testing.T) {
	l, err := ParseLayout(mustJSON(demoLayoutBody(t)))
	if err != nil {
		t.Fatalf("ParseLayout(in-toto-golang's demo layout) = %v", err)
	}
	if len(l.RootCAs) != 1 || len(l.Intermediates) != 1 || len(l.CertConstraints["write-code"]) != 1 {
		t.Errorf("RootCAs %d, Intermediates %d, constraints %v; want 1, 1 and write-code's", len(l.RootCAs), len(l.Intermediates), l.CertConstraints)
	}

	constraint := func(m map[string]any) map[string]any {
		return m["steps"].([]any)[0].(map[string]any)["cert_constraints"].([]any)[0].(map[string]any)
	}
	firstCA := func(m map[string]any, field string) map[string]any {
		for _, v := range m[field].(map[string]any) {
			return v.(map[string]any)
		}
		return nil
	}
	tests := map[string]func(m map[string]any){
		"constraint names an unknown root": func(m map[string]any) { constraint(m)["roots"] = []any{"beef"} },
		"constraint names no root":         func(m map[string]any) { constraint(m)["roots"] = []any{} },
		"constraints without a root CA":    func(m map[string]any) { delete(m, "rootcas"); delete(m, "intermediatecas") },
		"intermediates without a root CA":  func(m map[string]any) { delete(m, "rootcas") },
		"constraint field in another case": func(m map[string]any) { constraint(m)["Common_Name"] = "x" },
		"root CA that is no certificate": func(m map[string]any) {
			firstCA(m, "rootcas")["keyval"].(map[string]any)["certificate"] = "not PEM"
		},
		"root CA listed under another keyid": func(m map[string]any) { firstCA(m, "rootcas")["keyid"] = "beef" },
		"intermediate CA that is a leaf": func(m map[string]any) {
			b, err := os.ReadFile("../verify/testdata/in-toto-golang/example.com.write-code.cert.pem")
			if err != nil {
				t.Fatal(err)
			}
			firstCA(m, "intermediatecas")["keyval"].(map[string]any)["certificate"] = string(b)
		},
	}
	for name, mangle := range tests {
		t.Run(name, func(t *testing.T) {
			m := demoLayoutBody(t)
			mangle(m)
			if _, err := ParseLayout(mustJSON(m)); !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseLayout = %v, want %v", err, ErrInvalid)
			}
		})
	}
}
