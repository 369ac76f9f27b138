package attest

import (
	"errors"
	"strings"
	"testing"
)

func TestReturnValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code int64
		ok   bool
		err  string
	}{
		{"", 0, false, ""},
		{"null", 0, false, ""},
		{"{}", 0, false, ""},
		{`{"stdout": "x"}`, 0, false, ""},
		{`{"return-value": 0}`, 0, true, ""},
		{`{"return-value": 1, "stdout": ""}`, 1, true, ""},
		{`{"exitCode": -1}`, -1, true, ""},
		{`{"exitCode": 2, "return-value": 2}`, 2, true, ""},
		{`{"return-value": "1"}`, 0, false, `return-value "1", not an integer`},
		{`{"return-value": 1.0}`, 0, false, "return-value 1.0, not an integer"},
		{`{"return-value": null}`, 0, false, "return-value null, not an integer"},
		{`{"return-value": 99999999999999999999}`, 0, false, "not an integer"},
		{`{"return-value": 0, "exitCode": 1}`, 0, false, "return-value 0 and exitCode 1"},
		{`[1]`, 0, false, "byproducts are not a JSON object"},
	} {
		code, ok, err := ReturnValue([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ReturnValue(%s) error = %v, want ErrInvalid containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || code != tc.code || ok != tc.ok {
			t.Errorf("ReturnValue(%s) = %d, %v, %v, want %d, %v", tc.in, code, ok, err, tc.code, tc.ok)
		}
	}
}
