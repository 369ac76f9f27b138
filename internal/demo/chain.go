package demo

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// chainSteps takes the project through a whole release chain (source,
// build, sbom, test, package, release) under a signed policy, in release/,
// and shows three tampered variants failing.
func (d *demo) chainSteps(logURL string) error {
	d.section("A whole release chain under a signed policy (see release/policy.yaml)")
	fmt.Fprintf(d.w, "$ cd release\n")
	d.cwd = "release"
	defer func() { d.cwd = "" }()
	if err := d.run(chainRecord()...); err != nil {
		return err
	}
	if err := d.chainPublish(logURL); err != nil {
		return err
	}
	return d.chainTampered()
}

// chainRun is a step recording the stage name with key.
func chainRun(title, key, name string, extra ...string) step {
	return step{title: title, args: append([]string{"run", "--key", "keys/" + key + ".key", "--name", name}, extra...)}
}

// chainRecord makes the keys, records every stage, signs the policy and
// gates the release.
func chainRecord() []step {
	var steps []step
	for i, k := range []string{"owner", "ci", "qa", "alice", "bob", "carol", "mallory", "gate"} {
		title := ""
		if i == 0 {
			title = "Keys: the product owner (signs the policy), CI, the test lab, three release engineers, an outsider, the release gate"
		}
		steps = append(steps, step{title: title, args: []string{"keygen", "--out", "keys/" + k}})
	}
	return append(steps,
		chainRun("Record every stage: source, build (+ SLSA), SBOM, test, package, and the two-person release", "ci", "source", "--products", "src", "--out", "att/source.intoto.jsonl"),
		chainRun("", "ci", "build", "--materials", "src", "--products", "dist", "--slsa", "--out", "att/build.intoto.jsonl", "--", "sh", "build.sh"),
		step{args: []string{"attest", "--key", "keys/ci.key", "--type", "cyclonedx", "--predicate", "sbom.cdx.json", "--subject", "dist/acme-app", "--out", "att/sbom.intoto.jsonl"}},
		step{args: []string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json", "--subject", "dist/acme-app", "--out", "att/test.intoto.jsonl"}},
		chainRun("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "att/package.intoto.jsonl", "--", "sh", "package.sh"),
		chainRun("", "alice", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-alice.intoto.jsonl"),
		chainRun("", "bob", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-bob.intoto.jsonl"),
		step{title: "Lint the policy, and sign it with the owner's root key", args: []string{"policy", "check", "policy.yaml"}},
		step{args: []string{"policy", "sign", "--key", "keys/owner.key", "--out", "policy.signed.json", "policy.yaml"}},
		step{title: "Gate the release: the whole chain against the signed policy, and sign a verification summary (VSA)",
			args: []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
				"--vsa-key", "keys/gate.key", "--vsa-out", "release.vsa.intoto.jsonl", "pkg/acme-app-1.0.tar"}},
		step{title: "Anyone checks the VSA with the gate's key",
			args: []string{"verify-attestation", "--key", "keys/gate.pub", "--type", "vsa", "--subject", "pkg/acme-app-1.0.tar", "release.vsa.intoto.jsonl"}},
	)
}

// chainPublish publishes the chain to the log, verifies it again counting
// only logged signatures, and packs the release for customers.
func (d *demo) chainPublish(logURL string) error {
	var token bytes.Buffer
	if err := d.run(step{title: "Publish the chain to the log, then verify again, counting only signatures the log has receipts for",
		args: []string{"admin", "token", "create", "--db", "sqlite:../log.db", "--product", "acme-app",
			"--key", "keys/ci.pub", "--key", "keys/qa.pub", "--key", "keys/alice.pub", "--key", "keys/bob.pub"}, stdout: &token}); err != nil {
		return err
	}
	tok := strings.TrimSpace(token.String())
	publish := []string{"publish", "--server", logURL, "--token", tok, "--log-key", "../keys/log.vkey"}
	for _, f := range []string{"source", "build", "sbom", "test", "package", "release-alice", "release-bob"} {
		publish = append(publish, "att/"+f+".intoto.jsonl")
	}
	if err := d.run(
		step{args: publish, secret: tok},
		step{args: []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
			"--receipts", "--log-key", "../keys/log.vkey", "--output", "json", "pkg/acme-app-1.0.tar"}, stdout: &bytes.Buffer{}},
		step{title: "Pack the release for customers: the policy, the attestations it counts, their receipts, the log's checkpoint, the SBOM and the artifact, in one file",
			args: []string{"pack", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
				"--server", logURL, "--include-artifacts", "-o", "../release.pack", "pkg/acme-app-1.0.tar"}},
	); err != nil {
		return err
	}
	if err := copyFile(d.path("keys/owner.pub"), d.path("../owner.pub")); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "$ cp keys/owner.pub ../owner.pub    # what the vendor publishes, out of band\n")
	return nil
}

// chainVerify is 'consign verify' of the package with the upstream
// attestations and extra ones.
func chainVerify(extra ...string) []string {
	args := []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub"}
	for _, f := range append([]string{"att/source.intoto.jsonl", "att/build.intoto.jsonl", "att/sbom.intoto.jsonl", "att/test.intoto.jsonl"}, extra...) {
		args = append(args, "--attestations", f)
	}
	return append(args, "pkg/acme-app-1.0.tar")
}

// chainTampered shows three tampered chains refused.
func (d *demo) chainTampered() error {
	if err := d.run(
		chainRun("Tampered 1: the package step signed by a key the policy does not name", "mallory", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package-mallory.intoto.jsonl"),
		step{args: chainVerify("tampered/package-mallory.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl"), want: exitVerifyNo},
		chainRun("Tampered 2: the two-person rule not met (carol's key was revoked before she signed)", "carol", "release", "--materials", "pkg", "--products", "pkg", "--out", "tampered/release-carol.intoto.jsonl"),
		step{args: chainVerify("att/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "tampered/release-carol.intoto.jsonl"), want: exitVerifyNo},
	); err != nil {
		return err
	}
	d.section("Tampered 3: the build's product is swapped before packaging")
	fmt.Fprintf(d.w, "$ echo 'int main(void) { return 1; }' > dist/acme-app\n")
	if err := os.WriteFile(d.path("dist/acme-app"), []byte("int main(void) { return 1; }\n"), 0o644); err != nil {
		return err
	}
	return d.run(
		chainRun("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package.intoto.jsonl", "--", "sh", "package.sh"),
		step{args: chainVerify("tampered/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl"), want: exitVerifyNo},
	)
}
