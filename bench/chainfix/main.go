// Command chainfix writes the release that bench/e2e.sh (rows chain-*) verifies one
// process per command, with consign's CLI and with in-toto-golang's: the
// release of BenchmarkVerifyChain (8 stages in a row, the same artifact
// rules, 10,000 artifacts at size 1) but with one signed link per stage,
// carrying all of the stage's products, because in-toto-golang's CLI
// refuses a step whose links report different artifacts.
//
// Usage: chainfix -out DIR -size N
//
// DIR gets owner.pub; intoto/root.layout and intoto/links/*.link (v0.9,
// in-toto-golang's own encoding); policy.json (a consign policy signed by
// the same owner key, one functionary per stage with the stage's key) and
// att/sN.intoto.jsonl (the same links as in-toto link v0.3 attestations);
// and artifacts/, the final stage's products as files, with their names
// one per line in artifacts.txt.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/bench/fixture"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/step"
)

const (
	stages    = 8
	products1 = 1250 // products per stage at size 1: 10,000 artifacts in all
)

func main() {
	out := flag.String("out", "", "directory to write the release to (must not exist)")
	size := flag.Int("size", 1, "multiple of the 1x release (10,000 artifacts)")
	flag.Parse()
	if *out == "" || *size < 1 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: chainfix -out DIR -size N")
		os.Exit(2)
	}
	if err := build(*out, *size*products1); err != nil {
		fmt.Fprintln(os.Stderr, "chainfix:", err)
		os.Exit(1)
	}
}

func artifact(stage, i int) (string, []byte, digest.Set) {
	name := fmt.Sprintf("s%d/file%06d.o", stage, i)
	content := []byte("content of " + name)
	sum := sha256.Sum256(content)
	return name, content, digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}

func write(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func build(dst string, perStage int) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	owner, err := fixture.NewKey()
	if err != nil {
		return err
	}
	if err := write(filepath.Join(dst, "owner.pub"), owner.PEM); err != nil {
		return err
	}
	layout := in_toto.Layout{Type: "layout", Expires: "2099-01-01T00:00:00Z", Keys: map[string]in_toto.Key{}, Inspect: []in_toto.Inspection{}}
	var funcs, stagesYAML strings.Builder
	for s := 1; s <= stages; s++ {
		name := fmt.Sprintf("s%d", s)
		k, err := fixture.NewKey()
		if err != nil {
			return err
		}
		var mrules [][]string
		materials := ""
		if s > 1 {
			prev := fmt.Sprintf("s%d", s-1)
			mrules = [][]string{{"MATCH", prev + "/*", "WITH", "PRODUCTS", "FROM", prev}, {"DISALLOW", "*"}}
			materials = fmt.Sprintf("    materials: [MATCH \"%s/*\" WITH PRODUCTS FROM %s, DISALLOW \"*\"]\n", prev, prev)
		}
		layout.Keys[k.InTotoPub.KeyID] = k.InTotoPub
		layout.Steps = append(layout.Steps, in_toto.Step{Type: "step", Threshold: 1, ExpectedCommand: []string{"make"}, PubKeys: []string{k.InTotoPub.KeyID},
			SupplyChainItem: in_toto.SupplyChainItem{Name: name, ExpectedMaterials: mrules, ExpectedProducts: [][]string{{"CREATE", name + "/*"}, {"DISALLOW", "*"}}}})
		fmt.Fprintf(&funcs, "  f%d: {keys: [%q]}\n", s, k.PEM)
		fmt.Fprintf(&stagesYAML, "  - name: %s\n    by: [f%d]\n    require: [link]\n%s    products: [CREATE \"%s/*\", DISALLOW \"*\"]\n", name, s, materials, name)

		mats, prods := map[string]digest.Set{}, map[string]digest.Set{}
		itMats, itProds := map[string]any{}, map[string]any{}
		for i := range perStage {
			n, content, d := artifact(s, i)
			prods[n] = d
			itProds[n] = map[string]any{digest.SHA256: d[digest.SHA256]}
			if s == stages {
				if err := write(filepath.Join(dst, "artifacts", n), content); err != nil {
					return err
				}
			}
			if s > 1 {
				n, _, d := artifact(s-1, i)
				mats[n] = d
				itMats[n] = map[string]any{digest.SHA256: d[digest.SHA256]}
			}
		}
		mb := &in_toto.Metablock{Signed: in_toto.Link{Type: "link", Name: name, Materials: itMats, Products: itProds,
			ByProducts: map[string]any{"return-value": 0}, Command: []string{"make"}, Environment: map[string]any{}}}
		if err := mb.Sign(k.InToto); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dst, "intoto", "links"), 0o755); err != nil {
			return err
		}
		if err := mb.Dump(filepath.Join(dst, "intoto", "links", fmt.Sprintf(in_toto.LinkNameFormat, name, k.InToto.KeyID))); err != nil {
			return err
		}
		matList, err := digest.ArtifactsOf(mats)
		if err != nil {
			return err
		}
		prodList, err := digest.ArtifactsOf(prods)
		if err != nil {
			return err
		}
		rec := &step.Record{Name: name, Command: []string{"make"}, Materials: matList, Products: prodList}
		stmt, err := rec.LinkStatement()
		if err != nil {
			return err
		}
		env, err := attest.SignStatement(stmt, k.Signer)
		if err != nil {
			return err
		}
		line, err := json.Marshal(env)
		if err != nil {
			return err
		}
		if err := write(filepath.Join(dst, "att", name+".intoto.jsonl"), append(line, '\n')); err != nil {
			return err
		}
	}
	mb := &in_toto.Metablock{Signed: layout}
	if err := mb.Sign(owner.InToto); err != nil {
		return err
	}
	if err := mb.Dump(filepath.Join(dst, "intoto", "root.layout")); err != nil {
		return err
	}
	src := fmt.Sprintf("product: bench\nexpires: 2099-01-01T00:00:00Z\nowner: {key: %q}\nfunctionaries:\n%sstages:\n%s", owner.PEM, funcs.String(), stagesYAML.String())
	env, _, err := policy.Sign([]byte(src), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		return fmt.Errorf("signing the policy: %w", err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(dst, "policy.json"), b); err != nil {
		return err
	}
	var names strings.Builder
	for i := range perStage {
		n, _, _ := artifact(stages, i)
		names.WriteString(n + "\n")
	}
	return write(filepath.Join(dst, "artifacts.txt"), []byte(names.String()))
}
