package demo

import (
	"bytes"
)

// chainSteps takes the project through a whole release chain (source,
// build, sbom, test, package, release) under a signed policy, in release/,
// and shows three tampered variants failing.
func (d *demo) chainSteps(logURL string) error {
	d.section("A whole release chain under a signed policy (release/policy.yaml): the rules a release must " +
		"meet, which stages must be signed by which functionaries (the people and systems trusted for a stage)")
	d.cd("release")
	if err := d.run(chainRecord()...); err != nil {
		return err
	}
	if err := d.chainPublish(logURL); err != nil {
		return err
	}
	if err := d.chainTampered(); err != nil {
		return err
	}
	d.cd("..")
	return d.chainSwapped()
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
		consign("Intake: a third party's component (vendor/a.txt) arrives with keyless SLSA provenance, a Sigstore bundle "+
			"signed in GitHub Actions with a short-lived certificate; check who signed it against Sigstore's trusted root",
			"verify-bundle", "--bundle", "intake/a.txt.sigstore.json", "--trusted-root", "sigstore/public-good.trusted_root.json",
			"--certificate-identity", upstreamWorkflow, "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "vendor/a.txt"),
		shell("", "cp intake/a.txt.sigstore.json att/intake.sigstore.json"),
		chainRun("Record every stage: source, build (+ SLSA), SBOM, test, package, and the two-person release", "ci", "source", "--products", "src", "--out", "att/source.intoto.jsonl"),
		chainRun("", "ci", "build", "--materials", "src", "--materials", "vendor", "--products", "dist", "--slsa", "--out", "att/build.intoto.jsonl", "--", "sh", "build.sh"),
		step{args: []string{"attest", "--key", "keys/ci.key", "--type", "cyclonedx", "--predicate", "sbom.cdx.json", "--subject", "dist/acme-app", "--out", "att/sbom.intoto.jsonl"}},
		step{args: []string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json", "--subject", "dist/acme-app", "--out", "att/test.intoto.jsonl"}},
		chainRun("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "att/package.intoto.jsonl", "--", "sh", "package.sh"),
		chainRun("", "alice", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-alice.intoto.jsonl"),
		chainRun("", "bob", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-bob.intoto.jsonl"),
		step{title: "Lint the policy, and sign it with the owner's root key", args: []string{"policy", "check", "policy.yaml"}},
		step{args: []string{"policy", "sign", "--key", "keys/owner.key", "--out", "policy.signed.json", "policy.yaml"}},
		consign("Gate the release: the whole chain against the signed policy, and sign a verification summary "+
			"(a VSA: an attestation that this artifact passed this policy, so others need not verify it all again)",
			"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
			"--vsa-key", "keys/gate.key", "--vsa-out", "release.vsa.intoto.jsonl", "pkg/acme-app-1.0.tar"),
		consign("Anyone checks the VSA with the gate's key",
			"verify-attestation", "--key", "keys/gate.pub", "--type", "vsa", "--subject", "pkg/acme-app-1.0.tar", "release.vsa.intoto.jsonl"),
	)
}

// chainPublish publishes the chain to the log, verifies it again counting
// only logged signatures, and packs the release for customers.
func (d *demo) chainPublish(logURL string) error {
	if err := d.token("Publish the chain to the log, then verify again, counting only signatures the log has receipts for",
		"--db", "sqlite:../log.db", "--key", "keys/ci.pub", "--key", "keys/qa.pub", "--key", "keys/alice.pub", "--key", "keys/bob.pub"); err != nil {
		return err
	}
	publish := []string{"publish", "--server", logURL, "--token", d.tok, "--log-key", "../keys/log.vkey"}
	for _, f := range []string{"source", "build", "sbom", "test", "package", "release-alice", "release-bob"} {
		publish = append(publish, "att/"+f+".intoto.jsonl")
	}
	return d.run(
		consign("", publish...),
		step{args: []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
			"--receipts", "--log-key", "../keys/log.vkey", "--output", "json", "pkg/acme-app-1.0.tar"}, stdout: &bytes.Buffer{}},
		consign("Pack the release for customers: the policy, the attestations it counts, their receipts, the log's checkpoint "+
			"(the log's signed statement of its size and contents, which every receipt is checked against), the SBOM and the artifact, in one file",
			"pack", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
			"--server", logURL, "--include-artifacts", "--out", "../release.pack", "pkg/acme-app-1.0.tar"),
		shell("What the vendor publishes, out of band: the owner's public key", "cp keys/owner.pub ../owner.pub"),
	)
}

// chainVerify is 'consign verify' of the package with the upstream
// attestations and extra ones.
func chainVerify(extra ...string) []string {
	args := []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub"}
	for _, f := range append([]string{"att/intake.sigstore.json", "att/source.intoto.jsonl", "att/build.intoto.jsonl", "att/sbom.intoto.jsonl", "att/test.intoto.jsonl"}, extra...) {
		args = append(args, "--attestations", f)
	}
	return append(args, "pkg/acme-app-1.0.tar")
}

// chainTampered shows two tampered chains refused: signatures by the
// wrong keys, recorded beside the release's own attestations.
func (d *demo) chainTampered() error {
	return d.run(
		chainRun("Tampered 1: the package step signed by a key the policy does not name", "mallory", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package-mallory.intoto.jsonl"),
		refused("", chainVerify("tampered/package-mallory.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl")...),
		chainRun("Tampered 2: the two-person rule not met (carol's key was revoked before she signed)", "carol", "release", "--materials", "pkg", "--products", "pkg", "--out", "tampered/release-carol.intoto.jsonl"),
		refused("", chainVerify("att/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "tampered/release-carol.intoto.jsonl")...),
	)
}

// chainSwapped shows, in a copy of the release directory, a build product
// swapped before packaging refused.
func (d *demo) chainSwapped() error {
	if err := d.run(shell("Tampered 3, in a copy of release/: the build's product is swapped before packaging",
		"cp -R release release-swapped")); err != nil {
		return err
	}
	d.cd("release-swapped")
	if err := d.run(
		shell("", "echo 'int main(void) { return 1; }' > dist/acme-app"),
		chainRun("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package.intoto.jsonl", "--", "sh", "package.sh"),
		refused("", chainVerify("tampered/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl")...),
	); err != nil {
		return err
	}
	d.cd("..")
	return nil
}
