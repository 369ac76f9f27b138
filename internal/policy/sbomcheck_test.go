package policy

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

// sbomStage is a stage with an sbom check; %s is the check's body.
const sbomStage = `  - name: sbom
    by: [ci]
    require: [cyclonedx]
    checks:
      - sbom: %s
`

// TestSBOMCheckProfiles: an sbom check names one profile or a list of them,
// and asks for schema validity; unknown profiles and non-boolean schema
// values are refused with their line, and the policy schema agrees.
func TestSBOMCheckProfiles(t *testing.T) {
	tests := []struct {
		name, check  string
		wantProfiles []string
		wantSchema   bool
		wantErr      string
	}{
		{name: "one profile", check: "{profile: bsi-tr-03183-2}", wantProfiles: []string{sbomdoc.ProfileBSI}},
		{name: "a list, once each", check: "{profile: [ntia, fsct, ntia], schema: true}", wantProfiles: []string{sbomdoc.ProfileNTIA, sbomdoc.ProfileFSCT}, wantSchema: true},
		{name: "schema alone", check: "{schema: true}", wantSchema: true},
		{name: "unknown profile", check: "{profile: bsi}", wantErr: `unknown SBOM profile "bsi"`},
		{name: "profile not a string", check: "{profile: [{a: b}]}", wantErr: "profile must be a string"},
		{name: "schema not a bool", check: `{schema: "yes"}`, wantErr: "schema must be true or false"},
		{name: "schema false alone", check: "{schema: false}", wantErr: "the sbom check sets no requirement"},
	}
	schema := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(basePolicy, "%s", strings.ReplaceAll(sbomStage, "%s", tt.check), 1)
			dir := keyDir(t, "owner", "ci", "alice", "bob")
			p, err := Parse([]byte(src), ParseOptions{Dir: dir})
			schemaErr := schema.Validate(yamlToJSON(t, []byte(src)))
			if tt.wantErr != "" {
				var pe *ParseError
				if !errors.As(err, &pe) || !strings.Contains(pe.Details(), tt.wantErr) {
					t.Fatalf("Parse() = %v, want a finding containing %q", err, tt.wantErr)
				}
				if !slices.ContainsFunc(pe.Findings, func(f Finding) bool { return f.Line == 25 }) {
					t.Errorf("findings %s name no line of the check", pe.Details())
				}
				if schemaErr == nil && tt.name != "schema false alone" {
					t.Errorf("the policy schema accepts %s", tt.check)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if schemaErr != nil {
				t.Errorf("the policy schema refuses %s: %v", tt.check, schemaErr)
			}
			c := p.Stage("sbom").Checks[0].SBOM
			if !slices.Equal(c.Profiles, tt.wantProfiles) || c.Schema != tt.wantSchema {
				t.Errorf("SBOMCheck = %+v, want profiles %v schema %v", c, tt.wantProfiles, tt.wantSchema)
			}
		})
	}
}

// TestPolicySchemaProfiles: the policy schema's profile names are the ones
// sbomdoc knows.
func TestPolicySchemaProfiles(t *testing.T) {
	b, err := os.ReadFile("../../policies/policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs struct {
			SBOMProfile struct {
				Enum []string `json:"enum"`
			} `json:"sbomProfile"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Defs.SBOMProfile.Enum, sbomdoc.ProfileNames(); !slices.Equal(got, want) {
		t.Errorf("policy.schema.json profiles = %v, want %v", got, want)
	}
}
