package sbomspec

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/testutil/testkey"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []Config{
		{},
		{Target: ".", MaxArchiveBytes: -1},
		{Target: ".", MaxArchiveEntries: -1},
		{Target: ".", Profile: "nist"},
		{Target: ".", GoModCache: dir, NoGoModCache: true},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v.Validate() = %v, want ErrConfig", c, err)
		}
	}
	missing := Config{Target: ".", GoModCache: filepath.Join(dir, "missing")}
	if err := missing.Validate(); !errors.Is(err, ErrGoModCache) || !errors.Is(err, ErrConfig) {
		t.Errorf("Validate with a missing cache = %v, want ErrGoModCache, which is also ErrConfig", err)
	}
	for _, c := range []Config{{Target: "."}, {Target: ".", GoModCache: dir}, {Target: ".", Profile: "ntia"}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v for a usable configuration", c, err)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	t.Parallel()
	signer := testkey.New(t, "sbomspec").Signer
	cdx, spdx, xml := DefaultFormat, Format{FormatSPDXJSON, "2.3"}, Format{FormatCycloneDXXML, "1.7"}
	tests := []struct {
		name    string
		req     Request
		wantErr bool
	}{
		{"no outputs", Request{}, true},
		{"one to standard output", Request{Outputs: []Output{{Format: cdx}}}, false},
		{"two to standard output", Request{Outputs: []Output{{Format: cdx}, {Format: spdx}}}, true},
		{"two to standard output, attested", Request{Outputs: []Output{{Format: cdx}, {Format: spdx}}, Signer: signer}, false},
		{"one file twice", Request{Outputs: []Output{{Format: cdx, Path: "x"}, {Format: spdx, Path: "x"}}}, true},
		{"a signer and nothing to attest", Request{Outputs: []Output{{Format: xml}}, Signer: signer}, true},
		{"a signer and something to attest", Request{Outputs: []Output{{Format: xml}, {Format: spdx, Path: "x"}}, Signer: signer}, false},
	}
	for _, tt := range tests {
		err := tt.req.Validate()
		if tt.wantErr != (err != nil) || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate() = %v, want an ErrConfig error: %v", tt.name, err, tt.wantErr)
		}
	}
}
