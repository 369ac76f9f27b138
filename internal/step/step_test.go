package step_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
)

func sha(s string) digest.Set {
	sum := sha256.Sum256([]byte(s))
	return digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}

// artifacts is m as a Record holds it.
func artifacts(t testing.TB, m map[string]digest.Set) []digest.Artifact {
	t.Helper()
	list, err := digest.ArtifactsOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// tree writes files (path -> contents) under a new temporary directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// clock returns times one second apart, from a fixed start.
func clock() func() time.Time {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}

var sources = map[string]string{
	"src/main.c": "int main(void) { return 0; }\n",
	"src/util.c": "int util;\n",
	"README":     "not a material\n",
}

func TestRunRecordsAStep(t *testing.T) {
	dir := tree(t, sources)
	var stdout, stderr bytes.Buffer
	rec, err := step.Run(context.Background(), step.Config{
		Name:      "build",
		Dir:       dir,
		Materials: []string{"src"},
		Products:  []string{"dist"},
		Command:   []string{"sh", "-c", "mkdir -p dist && cat src/main.c src/util.c > dist/app && echo built && echo careful >&2"},
		Stdout:    &stdout,
		Stderr:    &stderr,
		Now:       clock(),
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := &step.Record{
		Name:       "build",
		Command:    []string{"sh", "-c", "mkdir -p dist && cat src/main.c src/util.c > dist/app && echo built && echo careful >&2"},
		Materials:  artifacts(t, map[string]digest.Set{"src/main.c": sha(sources["src/main.c"]), "src/util.c": sha(sources["src/util.c"])}),
		Products:   artifacts(t, map[string]digest.Set{"dist/app": sha(sources["src/main.c"] + sources["src/util.c"])}),
		ExitCode:   0,
		Stdout:     sha("built\n"),
		Stderr:     sha("careful\n"),
		StartedOn:  time.Date(2026, 3, 1, 11, 0, 1, 0, time.UTC),
		FinishedOn: time.Date(2026, 3, 1, 11, 0, 2, 0, time.UTC),
	}
	if diff := cmp.Diff(want, rec); diff != "" {
		t.Errorf("Run record (-want +got):\n%s", diff)
	}
	if stdout.String() != "built\n" || stderr.String() != "careful\n" {
		t.Errorf("streamed output = %q, %q; want the command's own", stdout.String(), stderr.String())
	}
}

func TestRunRecordsAFailingCommand(t *testing.T) {
	dir := tree(t, sources)
	rec, err := step.Run(context.Background(), step.Config{
		Name:      "test",
		Dir:       dir,
		Materials: []string{"src/main.c"},
		Products:  []string{"report.txt"},
		Command:   []string{"sh", "-c", "echo 2 failures > report.txt; exit 3"},
	})
	if !errors.Is(err, step.ErrCommand) {
		t.Fatalf("Run(failing command) error = %v, want %v", err, step.ErrCommand)
	}
	if rec == nil {
		t.Fatal("Run(failing command) returned no record; a failed step must be recorded")
	}
	if rec.ExitCode != 3 {
		t.Errorf("ExitCode = %d, want 3", rec.ExitCode)
	}
	if diff := cmp.Diff(map[string]digest.Set{"report.txt": sha("2 failures\n")}, digest.Sets(rec.Products)); diff != "" {
		t.Errorf("products of the failed step (-want +got):\n%s", diff)
	}
	st, err := rec.LinkStatement()
	if err != nil {
		t.Fatal(err)
	}
	var pred struct {
		Byproducts struct {
			ExitCode int `json:"exitCode"`
		} `json:"byproducts"`
	}
	if err := json.Unmarshal(st.Predicate, &pred); err != nil {
		t.Fatal(err)
	}
	if pred.Byproducts.ExitCode != 3 {
		t.Errorf("link byproducts.exitCode = %d, want 3", pred.Byproducts.ExitCode)
	}
}

func TestRunCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		command  []string
		wantCode int
	}{
		{"exit 1", []string{"false"}, 1},
		{"exit 42", []string{"sh", "-c", "exit 42"}, 42},
		{"not found", []string{"./no-such-program"}, 127},
		{"killed by a signal", []string{"sh", "-c", "kill -9 $$"}, 128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tree(t, map[string]string{"out": "x"})
			rec, err := step.Run(context.Background(), step.Config{Name: "s", Dir: dir, Products: []string{"out"}, Command: tt.command})
			if !errors.Is(err, step.ErrCommand) {
				t.Errorf("Run(%q) error = %v, want %v", tt.command, err, step.ErrCommand)
			}
			if rec == nil || rec.ExitCode != tt.wantCode {
				t.Fatalf("Run(%q) = %+v, want a record with exit code %d", tt.command, rec, tt.wantCode)
			}
			if len(rec.Products) != 1 {
				t.Errorf("Run(%q) recorded %d products, want 1", tt.command, len(rec.Products))
			}
		})
	}
}

func TestRunPaths(t *testing.T) {
	dir := tree(t, sources)
	tests := []struct {
		name      string
		materials []string
		want      []string
		wantErr   error
	}{
		{"cleaned", []string{"./src/../src/"}, []string{"src/main.c", "src/util.c"}, nil},
		{"one file, given twice", []string{"src/main.c", "./src/main.c"}, []string{"src/main.c"}, nil},
		{"the root", []string{"."}, []string{"README", "src/main.c", "src/util.c"}, nil},
		{"outside the root", []string{"../elsewhere"}, nil, digest.ErrOutsideRoot},
		{"absolute", []string{filepath.Join(dir, "src")}, nil, digest.ErrOutsideRoot},
		{"missing", []string{"nope"}, nil, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := step.Run(context.Background(), step.Config{Name: "s", Dir: dir, Materials: tt.materials, Command: []string{"sh", "-c", "touch ran"}})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || rec != nil {
					t.Errorf("Run(materials %q) = %v, %v; want nil, %v", tt.materials, rec, err, tt.wantErr)
				}
				if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
					t.Errorf("the command ran although the materials could not be recorded")
				}
				return
			}
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			var got []string
			for _, a := range rec.Materials {
				got = append(got, a.Path)
			}
			if diff := cmp.Diff(tt.want, got, cmpSorted); diff != "" {
				t.Errorf("material paths (-want +got):\n%s", diff)
			}
			os.Remove(filepath.Join(dir, "ran"))
		})
	}
	if _, err := step.Run(context.Background(), step.Config{Dir: dir}); err == nil {
		t.Errorf("Run(no name) = nil, want an error")
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// linkPredicate is the link predicate v0.3 as consign writes it.
type linkPredicate struct {
	Name      string   `json:"name"`
	Command   []string `json:"command"`
	Materials []struct {
		Name   string     `json:"name"`
		Digest digest.Set `json:"digest"`
	} `json:"materials"`
	Byproducts struct {
		ExitCode int        `json:"exitCode"`
		Stdout   digest.Set `json:"stdout"`
		Stderr   digest.Set `json:"stderr"`
	} `json:"byproducts"`
	Environment struct {
		ExcludePatterns []string `json:"excludePatterns"`
	} `json:"environment"`
}

func record(t *testing.T, exclude []string) *step.Record {
	t.Helper()
	dir := tree(t, map[string]string{
		"src/main.c":    "main\n",
		"src/debug.log": "noise\n",
		"dist/app":      "app\n",
		"dist/app.log":  "more noise\n",
	})
	rec, err := step.Run(context.Background(), step.Config{
		Name: "build", Dir: dir, Materials: []string{"src"}, Products: []string{"dist"},
		Exclude: exclude, Command: []string{"sh", "-c", "echo out"}, Now: clock(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestLinkStatement(t *testing.T) {
	rec := record(t, nil)
	st, err := rec.LinkStatement()
	if err != nil {
		t.Fatalf("LinkStatement = %v", err)
	}
	if st.Type != attest.StatementV1 || st.PredicateType != attest.PredicateLink {
		t.Errorf("statement type %q, predicate type %q; want %q, %q", st.Type, st.PredicateType, attest.StatementV1, attest.PredicateLink)
	}
	wantSubjects := []attest.Subject{{Name: "dist/app", Digest: sha("app\n")}, {Name: "dist/app.log", Digest: sha("more noise\n")}}
	if diff := cmp.Diff(wantSubjects, st.Subject); diff != "" {
		t.Errorf("subjects are the products (-want +got):\n%s", diff)
	}
	if err := predicate.Validate(st.PredicateType, st.Predicate); err != nil {
		t.Errorf("the link predicate fails its own schema: %v", err)
	}
	var got linkPredicate
	if err := json.Unmarshal(st.Predicate, &got); err != nil {
		t.Fatal(err)
	}
	var want linkPredicate
	want.Name = "build"
	want.Command = []string{"sh", "-c", "echo out"}
	want.Materials = append(want.Materials,
		struct {
			Name   string     `json:"name"`
			Digest digest.Set `json:"digest"`
		}{"src/debug.log", sha("noise\n")},
		struct {
			Name   string     `json:"name"`
			Digest digest.Set `json:"digest"`
		}{"src/main.c", sha("main\n")})
	want.Byproducts.Stdout, want.Byproducts.Stderr = sha("out\n"), sha("")
	want.Environment.ExcludePatterns = []string{}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("link predicate (-want +got):\n%s", diff)
	}
	// The same record always gives the same bytes.
	again, err := rec.LinkStatement()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := st.Marshal()
	b2, _ := again.Marshal()
	if !bytes.Equal(b1, b2) {
		t.Errorf("LinkStatement is not deterministic")
	}
}

func TestProvenanceStatement(t *testing.T) {
	rec := record(t, nil)
	tests := []struct {
		builderID, want string
	}{
		{"", step.DefaultBuilderID},
		{"https://ci.example.com/builders/linux/v2", "https://ci.example.com/builders/linux/v2"},
	}
	for _, tt := range tests {
		st, err := rec.ProvenanceStatement(tt.builderID)
		if err != nil {
			t.Fatalf("ProvenanceStatement(%q) = %v", tt.builderID, err)
		}
		if st.PredicateType != attest.PredicateSLSAProvenance {
			t.Errorf("predicate type = %q, want %q", st.PredicateType, attest.PredicateSLSAProvenance)
		}
		if err := predicate.Validate(st.PredicateType, st.Predicate); err != nil {
			t.Errorf("the provenance fails the SLSA schema: %v", err)
		}
		var got map[string]any
		if err := json.Unmarshal(st.Predicate, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"buildDefinition": map[string]any{
				"buildType": step.BuildType,
				"externalParameters": map[string]any{
					"step": "build", "command": []any{"sh", "-c", "echo out"}, "excludePatterns": []any{},
				},
				"internalParameters": map[string]any{"exitCode": float64(0)},
				"resolvedDependencies": []any{
					map[string]any{"name": "src/debug.log", "digest": map[string]any{"sha256": sha("noise\n")["sha256"]}},
					map[string]any{"name": "src/main.c", "digest": map[string]any{"sha256": sha("main\n")["sha256"]}},
				},
			},
			"runDetails": map[string]any{
				"builder":  map[string]any{"id": tt.want},
				"metadata": map[string]any{"startedOn": "2026-03-01T11:00:01Z", "finishedOn": "2026-03-01T11:00:02Z"},
				"byproducts": []any{
					map[string]any{"name": "stdout", "digest": map[string]any{"sha256": sha("out\n")["sha256"]}},
					map[string]any{"name": "stderr", "digest": map[string]any{"sha256": sha("")["sha256"]}},
				},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("provenance predicate (-want +got):\n%s", diff)
		}
	}
}

func TestStatementsNeedProducts(t *testing.T) {
	dir := tree(t, sources)
	rec, err := step.Run(context.Background(), step.Config{Name: "lint", Dir: dir, Materials: []string{"src"}, Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.LinkStatement(); !errors.Is(err, step.ErrNoProducts) || !errors.Is(err, attest.ErrNoSubject) {
		t.Errorf("LinkStatement(no products) = %v, want %v wrapping %v", err, step.ErrNoProducts, attest.ErrNoSubject)
	}
	if _, err := rec.ProvenanceStatement(""); !errors.Is(err, step.ErrNoProducts) {
		t.Errorf("ProvenanceStatement(no products) = %v, want %v", err, step.ErrNoProducts)
	}
}

// TestSecurityCase37_ExcludePatternsAreRecorded checks that exclusions come
// only from the caller, leave out what they name, and are written into both
// statements; a workspace settings file or an environment variable changes
// nothing (in-toto GHSA-wc64-c5rv-32pf).
func TestSecurityCase37_ExcludePatternsAreRecorded(t *testing.T) {
	t.Setenv("CONSIGN_EXCLUDE_PATTERNS", "*")
	t.Setenv("IN_TOTO_ARTIFACT_EXCLUDE_PATTERNS", "*")
	dir := tree(t, map[string]string{
		".consignrc":    "exclude=*\n",
		".in_totorc":    "artifact_exclude_patterns=*\n",
		"src/main.c":    "main\n",
		"src/debug.log": "noise\n",
	})
	run := func(exclude []string) *step.Record {
		rec, err := step.Run(context.Background(), step.Config{Name: "s", Dir: dir, Materials: []string{"."}, Products: []string{"src"}, Exclude: exclude})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	keys := func(list []digest.Artifact) []string {
		var out []string
		for _, a := range list {
			out = append(out, a.Path)
		}
		return out
	}

	// Without patterns everything is recorded, the settings files included.
	rec := run(nil)
	if diff := cmp.Diff([]string{".consignrc", ".in_totorc", "src/debug.log", "src/main.c"}, keys(rec.Materials), cmpSorted); diff != "" {
		t.Errorf("materials with no exclude patterns (-want +got):\n%s", diff)
	}

	exclude := []string{"*.log", ".*rc"}
	rec = run(exclude)
	if diff := cmp.Diff([]string{"src/main.c"}, keys(rec.Materials), cmpSorted); diff != "" {
		t.Errorf("materials with %q (-want +got):\n%s", exclude, diff)
	}
	if diff := cmp.Diff([]string{"src/main.c"}, keys(rec.Products), cmpSorted); diff != "" {
		t.Errorf("products with %q (-want +got):\n%s", exclude, diff)
	}
	link, err := rec.LinkStatement()
	if err != nil {
		t.Fatal(err)
	}
	var lp linkPredicate
	if err := json.Unmarshal(link.Predicate, &lp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exclude, lp.Environment.ExcludePatterns); diff != "" {
		t.Errorf("link environment.excludePatterns (-want +got):\n%s", diff)
	}
	prov, err := rec.ProvenanceStatement("")
	if err != nil {
		t.Fatal(err)
	}
	var pp struct {
		BuildDefinition struct {
			ExternalParameters struct {
				ExcludePatterns []string `json:"excludePatterns"`
			} `json:"externalParameters"`
		} `json:"buildDefinition"`
	}
	if err := json.Unmarshal(prov.Predicate, &pp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exclude, pp.BuildDefinition.ExternalParameters.ExcludePatterns); diff != "" {
		t.Errorf("provenance externalParameters.excludePatterns (-want +got):\n%s", diff)
	}
	// A pattern that cannot be compiled is an error, never a silent non-match.
	if _, err := step.Run(context.Background(), step.Config{Name: "s", Dir: dir, Materials: []string{"."}, Exclude: []string{"src/["}}); !errors.Is(err, digest.ErrInvalidPattern) {
		t.Errorf("Run(exclude %q) = %v, want %v", "src/[", err, digest.ErrInvalidPattern)
	}
}

func TestLegacyLink(t *testing.T) {
	rec := record(t, nil)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	data, name, err := rec.LegacyLink(s)
	if err != nil {
		t.Fatalf("LegacyLink = %v", err)
	}
	if !regexp.MustCompile(`^build\.[0-9a-f]{8}\.link$`).MatchString(name) {
		t.Errorf("file name %q, want build.KEYID8.link", name)
	}
	items, err := attest.Read(data, name)
	if err != nil || len(items) != 1 || items[0].Format != attest.FormatLegacyLink || items[0].Err != nil {
		t.Fatalf("Read(link) = %+v, %v; want one in-toto link", items, err)
	}
	l := items[0].Link
	if l.Type != "link" || l.Name != "build" {
		t.Errorf("link type %q name %q, want link, build", l.Type, l.Name)
	}
	if diff := cmp.Diff(rec.Command, l.Command); diff != "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(digest.Sets(rec.Materials), l.Materials.Map()); diff != "" {
		t.Errorf("materials (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(digest.Sets(rec.Products), l.Products.Map()); diff != "" {
		t.Errorf("products (-want +got):\n%s", diff)
	}

	kr, err := attest.NewKeyring(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKR, err := attest.NewKeyring(other.Public())
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(data, []byte(sha("app\n")["sha256"]), []byte(sha("evil\n")["sha256"]), 1)
	if bytes.Equal(tampered, data) {
		t.Fatal("the product digest is not in the link")
	}
	tamperedItems, err := attest.Read(tampered, name)
	if err != nil || len(tamperedItems) != 1 {
		t.Fatalf("Read(tampered) = %v", err)
	}
	tests := []struct {
		name    string
		item    *attest.Item
		kr      *attest.Keyring
		opts    attest.VerifyOptions
		wantErr error
	}{
		{"the signer's key", &items[0], kr, attest.VerifyOptions{}, nil},
		{"a product as subject", &items[0], kr, attest.VerifyOptions{Subject: sha("app\n"), PredicateTypes: []string{attest.PredicateLink}}, nil},
		{"another key", &items[0], otherKR, attest.VerifyOptions{}, attest.ErrSignature},
		{"a material is not a subject", &items[0], kr, attest.VerifyOptions{Subject: sha("main\n")}, attest.ErrSubjectMismatch},
		{"SLSA asked for", &items[0], kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}}, attest.ErrWrongType},
		{"threshold 2", &items[0], kr, attest.VerifyOptions{Threshold: 2}, attest.ErrSignature},
		{"a product digest changed", &tamperedItems[0], kr, attest.VerifyOptions{}, attest.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.VerifyItem(tt.item, tt.kr, tt.opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("VerifyItem = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (len(v.Signers) != 1 || v.Link == nil) {
				t.Errorf("VerifyItem = %+v, want the link and one signer", v)
			}
		})
	}
}

// TestLinkPayloadIsLinkStatement: the payload written straight from the
// artifacts is byte for byte the statement's JSON, names that JSON escapes
// included, with and without redactions and skipped paths.
func TestLinkPayloadIsLinkStatement(t *testing.T) {
	names := map[string]digest.Set{
		"a<b>&c": sha("1"), `dist\app.exe`: sha("2"), "quote\"d": sha("3"), "ü/ctl\x01": sha("4"), "bad\xffutf8": sha("5"), "z": sha("6"),
	}
	for _, rec := range []*step.Record{
		{Name: "build", Command: []string{"make", "x"}, Materials: artifacts(t, names), Products: artifacts(t, names), Stdout: sha("o"), Stderr: sha("e")},
		{Name: "b<u>ild", Products: artifacts(t, map[string]digest.Set{"one": sha("1")}), Redacted: []int{1}, Exclude: []string{"*.log"},
			Skipped: []digest.Skipped{{Path: "l", Reason: digest.ReasonLinkDangling}}},
	} {
		st, err := rec.LinkStatement()
		if err != nil {
			t.Fatal(err)
		}
		want, err := st.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := rec.LinkPayload()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("LinkPayload() = %s, %v\nwant %s", got, err, want)
		}
	}
	if _, err := (&step.Record{Name: "lint"}).LinkPayload(); !errors.Is(err, step.ErrNoProducts) {
		t.Errorf("LinkPayload(no products) = %v, want %v", err, step.ErrNoProducts)
	}
}
