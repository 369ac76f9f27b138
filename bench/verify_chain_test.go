package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/bench/fixture"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
	"github.com/consign-dev/consign/internal/verify"
)

// The release verified by BenchmarkVerifyChain: chainStages stages in a
// row; at size 1x each stage has chainLinks1x signed links, each link the
// record of one shard of the stage's work: chainShard products, made from
// the chainShard products of the same shard of the stage before (its
// materials). At 1x that is 8 stages, 1,000 attestations and 10,000
// artifacts in the rules; 4x and 16x multiply links and artifacts alike.
//
// Every stage's rules are in-toto's usual pair:
//
//	materials: MATCH "sN-1/*" WITH PRODUCTS FROM sN-1, DISALLOW "*"
//	products:  CREATE "sN/*", DISALLOW "*"
//
// The same release is written twice:
//
//   - for consign: a signed policy (one functionary per stage) and one
//     .intoto.jsonl per stage of in-toto link v0.3 attestations, as
//     'consign run' writes them;
//   - for in-toto-golang: a signed v0.9 layout with the same steps and
//     rules, and one .link file per link.
//
// in-toto keeps one link per step and signing key, so every link of the
// in-toto release has its own key (1,000 keys at 1x). consign is measured
// on two variants: "keys" with exactly the in-toto release's keys and each
// envelope's keyid hint set (as in-toto links carry theirs), and "ci" with
// one key per stage and no hints, as consign writes envelopes (its verifier
// then tries the stage's keys first).
const (
	chainStages   = 8
	chainLinks1x  = 125
	chainShard    = 10
	chainFixtureV = 1 // bump to rebuild cached fixtures after a format change
)

var chainSizes = []int{1, 4, 16}

// chainFixture is one size of the release, on disk.
type chainFixture struct {
	dir        string
	links      int // per stage
	ownerPub   crypto.PublicKey
	ownerIT    in_toto.Key // public, for in-toto-golang
	artifacts  []verify.Artifact
	consignAtt map[string]string // variant -> attestation directory
	policies   map[string]string // variant -> signed policy file
}

func chainDir() string {
	if d := os.Getenv("CONSIGN_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "consign-bench")
}

func chainArtifact(stage, shard, i int) (string, digest.Set) {
	name := fmt.Sprintf("s%d/shard%05d/file%02d.o", stage, shard, i)
	sum := sha256.Sum256([]byte("content of " + name))
	return name, digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}

func stageName(s int) string { return fmt.Sprintf("s%d", s) }

// shardArtifacts returns the materials and products of one link.
func shardArtifacts(stage, shard int) (map[string]digest.Set, map[string]digest.Set) {
	mats, prods := map[string]digest.Set{}, map[string]digest.Set{}
	for i := range chainShard {
		n, d := chainArtifact(stage, shard, i)
		prods[n] = d
		if stage > 1 {
			n, d := chainArtifact(stage-1, shard, i)
			mats[n] = d
		}
	}
	return mats, prods
}

func toInToto(m map[string]digest.Set) map[string]any {
	out := make(map[string]any, len(m))
	for n, d := range m {
		out[n] = map[string]any{digest.SHA256: d[digest.SHA256]}
	}
	return out
}

func loadChainFixture(b *testing.B, size int) *chainFixture {
	b.Helper()
	name := fmt.Sprintf("chain-v%d-%dx%dx%d", chainFixtureV, chainStages, chainLinks1x*size, chainShard)
	dst := filepath.Join(chainDir(), name)
	if _, err := os.Stat(filepath.Join(dst, "done")); err != nil {
		os.RemoveAll(dst)
		b.Logf("building fixture %s (once)", dst)
		if err := buildChainFixture(dst, chainLinks1x*size); err != nil {
			b.Fatalf("building %s: %v", dst, err)
		}
	}
	f := &chainFixture{dir: dst, links: chainLinks1x * size,
		consignAtt: map[string]string{"keys": filepath.Join(dst, "consign-keys", "att"), "ci": filepath.Join(dst, "consign-ci", "att")},
		policies:   map[string]string{"keys": filepath.Join(dst, "consign-keys", "policy.json"), "ci": filepath.Join(dst, "consign-ci", "policy.json")}}
	pemOwner, err := os.ReadFile(filepath.Join(dst, "owner.pub"))
	if err != nil {
		b.Fatal(err)
	}
	if f.ownerPub, err = sign.ParsePublicKey(pemOwner); err != nil {
		b.Fatal(err)
	}
	if err := f.ownerIT.LoadKeyReaderDefaults(bytes.NewReader(pemOwner)); err != nil {
		b.Fatal(err)
	}
	// The artifacts shipped: every product of the final stage.
	for shard := range f.links {
		for i := range chainShard {
			n, d := chainArtifact(chainStages, shard, i)
			f.artifacts = append(f.artifacts, verify.Artifact{Name: n, Digest: d})
		}
	}
	return f
}

func buildChainFixture(dst string, links int) error {
	tmp := dst + ".partial"
	os.RemoveAll(tmp)
	for _, d := range []string{"intoto/links", "consign-keys/att", "consign-ci/att"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	owner, err := fixture.NewKey()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "owner.pub"), owner.PEM, 0o644); err != nil {
		return err
	}
	layout := in_toto.Layout{Type: "layout", Expires: "2099-01-01T00:00:00Z", Keys: map[string]in_toto.Key{}, Inspect: []in_toto.Inspection{}}
	var policyKeys, policyCI, policyStages strings.Builder
	for s := 1; s <= chainStages; s++ {
		var mrules, prules [][]string
		if s > 1 {
			mrules = [][]string{{"MATCH", stageName(s-1) + "/*", "WITH", "PRODUCTS", "FROM", stageName(s - 1)}, {"DISALLOW", "*"}}
		}
		prules = [][]string{{"CREATE", stageName(s) + "/*"}, {"DISALLOW", "*"}}
		st := in_toto.Step{Type: "step", Threshold: 1, ExpectedCommand: []string{"make"},
			SupplyChainItem: in_toto.SupplyChainItem{Name: stageName(s), ExpectedMaterials: mrules, ExpectedProducts: prules}}
		ci, err := fixture.NewKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(&policyCI, "  ci%d: {keys: [%q]}\n", s, ci.PEM)
		fmt.Fprintf(&policyKeys, "  f%d:\n    keys:\n", s)
		var keysLines, ciLines []string
		prefixes := map[string]bool{}
		for shard := range links {
			var k *fixture.Key
			for k == nil || prefixes[k.InToto.KeyID[:8]] {
				// in-toto names a link STEP.KEYID8.link: keep the 8-digit prefixes distinct.
				if k, err = fixture.NewKey(); err != nil {
					return err
				}
			}
			prefixes[k.InToto.KeyID[:8]] = true
			layout.Keys[k.InTotoPub.KeyID] = k.InTotoPub
			st.PubKeys = append(st.PubKeys, k.InTotoPub.KeyID)
			fmt.Fprintf(&policyKeys, "      - %q\n", k.PEM)
			mats, prods := shardArtifacts(s, shard)

			// in-toto-golang: a v0.9 link per shard, signed with its key.
			mb := &in_toto.Metablock{Signed: in_toto.Link{Type: "link", Name: stageName(s), Materials: toInToto(mats), Products: toInToto(prods),
				ByProducts: map[string]any{"return-value": 0}, Command: []string{"make"}, Environment: map[string]any{}}}
			if err := mb.Sign(k.InToto); err != nil {
				return err
			}
			if err := mb.Dump(filepath.Join(tmp, "intoto", "links", fmt.Sprintf(in_toto.LinkNameFormat, stageName(s), k.InToto.KeyID))); err != nil {
				return err
			}

			// consign: the same link as an in-toto link v0.3 statement.
			rec := &step.Record{Name: stageName(s), Command: []string{"make"}, Materials: mustArtifacts(mats), Products: mustArtifacts(prods)}
			stmt, err := rec.LinkStatement()
			if err != nil {
				return err
			}
			env, err := attest.SignStatement(stmt, k.Signer)
			if err != nil {
				return err
			}
			env.Signatures[0].KeyID = k.Signer.KeyID()
			line, err := json.Marshal(env)
			if err != nil {
				return err
			}
			keysLines = append(keysLines, string(line))
			env, err = attest.SignStatement(stmt, ci.Signer)
			if err != nil {
				return err
			}
			line, err = json.Marshal(env)
			if err != nil {
				return err
			}
			ciLines = append(ciLines, string(line))
		}
		layout.Steps = append(layout.Steps, st)
		for variant, lines := range map[string][]string{"consign-keys": keysLines, "consign-ci": ciLines} {
			p := filepath.Join(tmp, variant, "att", stageName(s)+".intoto.jsonl")
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
				return err
			}
		}
		materials := ""
		if s > 1 {
			materials = fmt.Sprintf("    materials: [MATCH \"%s/*\" WITH PRODUCTS FROM %s, DISALLOW \"*\"]\n", stageName(s-1), stageName(s-1))
		}
		fmt.Fprintf(&policyStages, "  - name: %s\n    by: [%%s%d]\n    require: [link]\n%s    products: [CREATE \"%s/*\", DISALLOW \"*\"]\n", stageName(s), s, materials, stageName(s))
	}
	mb := &in_toto.Metablock{Signed: layout}
	if err := mb.Sign(owner.InToto); err != nil {
		return err
	}
	if err := mb.Dump(filepath.Join(tmp, "intoto", "root.layout")); err != nil {
		return err
	}
	for variant, fs := range map[string]struct{ funcs, prefix string }{"consign-keys": {policyKeys.String(), "f"}, "consign-ci": {policyCI.String(), "ci"}} {
		src := fmt.Sprintf("product: bench\nexpires: 2099-01-01T00:00:00Z\nowner: {key: %q}\nfunctionaries:\n%sstages:\n%s", owner.PEM, fs.funcs, strings.ReplaceAll(policyStages.String(), "[%s", "["+fs.prefix))
		env, _, err := policy.Sign([]byte(src), policy.ParseOptions{}, owner.Signer)
		if err != nil {
			return fmt.Errorf("signing the %s policy: %w", variant, err)
		}
		b, err := json.Marshal(env)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, variant, "policy.json"), b, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "done"), nil, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// consignVerify is what 'consign verify' does for the release: read the
// signed policy and every attestation file from disk, and verify.
func (f *chainFixture) consignVerify(variant string, tamper bool) (*verify.Result, error) {
	pol, err := os.ReadFile(f.policies[variant])
	if err != nil {
		return nil, err
	}
	inputs, err := evidence.ReadAttestations(context.Background(), []string{f.consignAtt[variant]})
	if err != nil {
		return nil, err
	}
	artifacts := f.artifacts
	if tamper {
		n, d := chainArtifact(chainStages-1, 0, 0)
		artifacts = append(append([]verify.Artifact(nil), artifacts...), verify.Artifact{Name: n, Digest: d})
	}
	return verify.Verify(context.Background(), verify.Config{
		Policy: pol, PolicyName: "policy.json", TrustRoots: []crypto.PublicKey{f.ownerPub},
		Attestations: inputs, Artifacts: artifacts, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	})
}

// intotoVerify is in-toto-golang's InTotoVerify on the equivalent layout,
// step for step, with one exception: InTotoVerify requires the links of a
// step to report identical artifacts (ReduceStepsMetadata), and the links of
// this release are shards, so the union of a step's verified links stands
// for the step, as consign defines it. Everything else is in-toto-golang's
// own code: layout signature and expiry, loading links, signature
// thresholds, artifact rules.
func (f *chainFixture) intotoVerify(tamper bool) error {
	layoutEnv, err := in_toto.LoadMetadata(filepath.Join(f.dir, "intoto", "root.layout"))
	if err != nil {
		return err
	}
	if err := in_toto.VerifyLayoutSignatures(layoutEnv, map[string]in_toto.Key{f.ownerIT.KeyID: f.ownerIT}); err != nil {
		return err
	}
	layout, ok := layoutEnv.GetPayload().(in_toto.Layout)
	if !ok {
		return in_toto.ErrNotLayout
	}
	if err := in_toto.VerifyLayoutExpiration(layout); err != nil {
		return err
	}
	stepsMetadata, err := in_toto.LoadLinksForLayout(layout, filepath.Join(f.dir, "intoto", "links"))
	if err != nil {
		return err
	}
	verified, err := in_toto.VerifyLinkSignatureThesholds(layout, stepsMetadata, x509.NewCertPool(), x509.NewCertPool())
	if err != nil {
		return err
	}
	reduced := map[string]in_toto.Metadata{}
	for name, links := range verified {
		union := in_toto.Link{Type: "link", Name: name, Materials: map[string]any{}, Products: map[string]any{}}
		for _, l := range links {
			link := l.GetPayload().(in_toto.Link)
			for n, d := range link.Materials {
				union.Materials[n] = d
			}
			for n, d := range link.Products {
				union.Products[n] = d
			}
		}
		if tamper && name == stageName(chainStages) {
			n, _ := chainArtifact(chainStages-1, 0, 0)
			union.Materials[n] = map[string]any{digest.SHA256: strings.Repeat("0", 64)}
		}
		reduced[name] = &in_toto.Metablock{Signed: union}
	}
	items := make([]any, len(layout.Steps))
	for i, s := range layout.Steps {
		items[i] = s
	}
	return in_toto.VerifyArtifacts(items, reduced)
}

// check makes sure, before anything is timed, that both tools accept the
// release and refuse a tampered one, so that the benchmark times
// equivalent, meaningful work: consign is given one artifact that is no
// subject of the final stage; in-toto-golang's artifact rules see one
// material of the final step whose digest differs from the step before.
func (f *chainFixture) check(b *testing.B) {
	b.Helper()
	for _, v := range []string{"keys", "ci"} {
		res, err := f.consignVerify(v, false)
		if err != nil || !res.Passed {
			b.Fatalf("consign (%s) rejects the release: %v %v", v, err, res.Failures)
		}
		if res, err := f.consignVerify(v, true); err != nil || res.Passed {
			b.Fatalf("consign (%s) accepts a tampered release: %v", v, err)
		}
	}
	if err := f.intotoVerify(false); err != nil {
		b.Fatalf("in-toto-golang rejects the release: %v", err)
	}
	if err := f.intotoVerify(true); err == nil {
		b.Fatalf("in-toto-golang accepts a tampered release")
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerifyChain times one whole verification of the release per
// iteration, for consign (both variants) and in-toto-golang, at 1x, 4x and
// 16x; besides wall time (ns/op) it reports the CPU time per verification
// (cpu-ms/op), which another load on the machine disturbs less. bench/chain.sh
// runs it and prints medians and ratios (bench/CHAIN.md).
func BenchmarkVerifyChain(b *testing.B) {
	for _, size := range chainSizes {
		// One sub-benchmark per size, so that -bench 'VerifyChain/size=1x'
		// neither builds nor checks the fixtures of the other sizes.
		b.Run(fmt.Sprintf("size=%dx", size), func(b *testing.B) { benchChainSize(b, size) })
	}
}

func benchChainSize(b *testing.B, size int) {
	f := loadChainFixture(b, size)
	f.check(b)
	run := func(name string, verifyOnce func() error) {
		b.Run("tool="+name, func(b *testing.B) {
			c0, n := cpuTime(), 0
			for b.Loop() {
				if err := verifyOnce(); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(n)/1e6, "cpu-ms/op")
			b.ReportMetric(float64(chainStages*f.links), "attestations")
			b.ReportMetric(float64(chainStages*f.links*chainShard), "artifacts")
		})
	}
	for _, v := range []string{"keys", "ci"} {
		run("consign-"+v, func() error {
			res, err := f.consignVerify(v, false)
			if err == nil && !res.Passed {
				err = fmt.Errorf("failed: %v", res.Failures)
			}
			return err
		})
	}
	run("in-toto-golang", func() error { return f.intotoVerify(false) })
}

// mustArtifacts is digest.ArtifactsOf of sets made by the fixtures, which
// always hold a valid SHA-256 digest.
func mustArtifacts(m map[string]digest.Set) []digest.Artifact {
	list, err := digest.ArtifactsOf(m)
	if err != nil {
		panic(err)
	}
	return list
}
