package demo

// projectFiles is the sample project the walkthrough starts from.
var projectFiles = map[string]string{
	"src/main.c":    "#include \"util.h\"\nint main(void) { return greet(); }\n",
	"src/util.c":    "#include <stdio.h>\nint greet(void) { puts(\"hello from acme\"); return 0; }\n",
	"src/util.h":    "int greet(void);\n",
	"build.sh":      "#!/bin/sh\n# A stand-in for a real build: bundle the sources into one artifact.\nset -e\nmkdir -p dist\ncat src/util.h src/util.c src/main.c > dist/acme-app\necho \"built dist/acme-app\"\n",
	"conanfile.txt": "[requires]\nzlib/1.3.1\nopenssl/3.2.1\n",
	"README.txt":    "A sample project made by 'consign demo'. Every file here was made by the commands it printed.\n",
	"test-result.json": `{
  "result": "PASSED",
  "configuration": [{"name": "tests.cfg", "digest": {"sha256": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}}],
  "passedTests": ["greets", "exits-zero"],
  "warnedTests": [],
  "failedTests": []
}
`,
}

// chainFiles is the release-chain sample (its policy's dates are set when
// the project is written, by policyDates): the same project under a signed
// release policy (it mirrors cmd/consign/testdata/script/chain.txtar).
var chainFiles = map[string]string{
	"release/src/main.c": `#include "util.h"
int main(void) { return greet(); }
`,
	"release/src/util.c": `#include <stdio.h>
int greet(void) { puts("hello from acme"); return 0; }
`,
	"release/src/util.h": `int greet(void);
`,
	"release/build.sh": `#!/bin/sh
# A stand-in for a real build: bundle the sources into one artifact.
set -e
mkdir -p dist
cat src/util.h src/util.c src/main.c vendor/a.txt > dist/acme-app
echo "built dist/acme-app"
`,
	"release/package.sh": `#!/bin/sh
# Package the build's artifact for release.
set -e
mkdir -p pkg
tar -cf pkg/acme-app-1.0.tar dist/acme-app
echo "packaged pkg/acme-app-1.0.tar"
`,
	"release/sbom.cdx.json": `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "version": 1,
  "metadata": {
    "timestamp": "2026-11-01T00:00:00Z",
    "authors": [{"name": "ACME build system"}],
    "component": {"bom-ref": "acme-app", "type": "application", "name": "acme-app", "version": "1.0"}
  },
  "components": [
    {
      "bom-ref": "pkg:generic/libgreet@1.2.0",
      "type": "library",
      "name": "libgreet",
      "version": "1.2.0",
      "supplier": {"name": "ACME"},
      "purl": "pkg:generic/libgreet@1.2.0",
      "licenses": [{"license": {"id": "MIT"}}],
      "hashes": [{"alg": "SHA-256", "content": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}]
    }
  ],
  "dependencies": [
    {"ref": "acme-app", "dependsOn": ["pkg:generic/libgreet@1.2.0"]},
    {"ref": "pkg:generic/libgreet@1.2.0", "dependsOn": []}
  ]
}
`,
	"release/test-result.json": `{
  "result": "PASSED",
  "configuration": [{"name": "tests.cfg", "digest": {"sha256": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}}],
  "passedTests": ["greets", "exits-zero"],
  "warnedTests": [],
  "failedTests": []
}
`,
	"release/policy.yaml": `# The release policy of acme-app: what it must show before it ships.
apiVersion: consign.dev/policy/v1
product: acme-app
version: 1
expires: {{expires}}
owner: {key: keys/owner.pub}          # the root key that signs this file
log: {key: ../keys/log.pub, receipts: optional}   # the vendor's transparency log
trusted_roots:                        # Sigstore's public good instance, for keyless signatures
  public-good: {root: sigstore/public-good.trusted_root.json}
functionaries:
  upstream:                           # a third party's build, signing keyless in GitHub Actions
    role: supplier of vendor/a.txt
    identities:
      - issuer: https://token.actions.githubusercontent.com
        subject: https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
        github_workflow_repository: sigstore-conformance/extremely-dangerous-public-oidc-beacon
        github_workflow_ref: refs/heads/main
  ci:    {role: build system, keys: [keys/ci.pub]}
  qa:    {role: test lab, keys: [keys/qa.pub]}
  alice: {role: release engineer, keys: [keys/alice.pub], valid_until: {{alice_until}}}
  bob:   {role: release engineer, keys: [keys/bob.pub]}
  carol: {role: release engineer, keys: [keys/carol.pub], revoked_at: 2026-10-01T00:00:00Z}
stages:
  - name: source
    by: [ci]
    require: [link]
    products: [CREATE "src/*", DISALLOW "*"]
  - name: intake                      # the third party's component, with its keyless SLSA provenance
    by: [upstream]
    require: [slsa]
  - name: build
    by: [ci]
    require: [link, slsa]
    materials: [MATCH "src/*" WITH PRODUCTS FROM source, MATCH a.txt IN vendor WITH PRODUCTS FROM intake, DISALLOW "*"]
    products:  [CREATE "dist/*", DISALLOW "*"]
    checks:
      - slsa:
          builder_ids: [https://consign.dev/builders/local/v1]
          build_types: [https://consign.dev/buildtypes/run/v1]
          external_parameters: {step: build, command: [sh, build.sh], excludePatterns: []}
  - name: sbom
    by: [ci]
    require: [cyclonedx]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks:
      - sbom:
          min_coverage: {name: 100, version: 100, identifiers: 95, supplier: 80}
          deny_licenses: [AGPL-3.0-only]
  - name: test
    by: [qa]
    require: [test]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks: [{tests: all_passed}]
  - name: package
    by: [ci]
    require: [link]
    materials: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    products:  [CREATE "pkg/*", DISALLOW "*"]
  - name: release
    by: [alice, bob, carol]
    threshold: 2          # two-person rule; carol's signatures count for nothing since her revocation
    require: [link]
    materials: [MATCH "pkg/*" WITH PRODUCTS FROM package, DISALLOW "*"]
    products:  [MATCH "pkg/*" WITH PRODUCTS FROM package, DISALLOW "*"]
    checks: [{rego: release.rego}]
`,
	"release/image-policy.yaml": `# The release policy of acme-app's container image: every stage's
# attestation is about the image, by its manifest digest, and is attached to
# it in the registry.
apiVersion: consign.dev/policy/v1
product: acme-app-image
version: 1
expires: {{expires}}
owner: {key: keys/owner.pub}
functionaries:
  ci: {role: build system, keys: [keys/ci.pub]}
  qa: {role: test lab, keys: [keys/qa.pub]}
stages:
  - name: build
    by: [ci]
    require: [slsa]
    products: [CREATE "*/acme-app", DISALLOW "*"]   # the image, named HOST/acme-app
    checks:
      - slsa:
          builder_ids: [https://consign.dev/builders/local/v1]
          build_types: [https://consign.dev/buildtypes/run/v1]
          external_parameters: {step: image}
  - name: sbom
    by: [ci]
    require: [cyclonedx]
    products: [MATCH "*/acme-app" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks:
      - sbom:
          min_coverage: {name: 100, version: 100}
  - name: test
    by: [qa]
    require: [test]
    products: [MATCH "*/acme-app" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks: [{tests: all_passed}]
`,
	"release/image-provenance.json": `{
  "buildDefinition": {
    "buildType": "https://consign.dev/buildtypes/run/v1",
    "externalParameters": {"step": "image"}
  },
  "runDetails": {"builder": {"id": "https://consign.dev/builders/local/v1"}}
}
`,
	"release/release.rego": `# A custom check for consign policies (see docs/policy.md, "Rego checks").
#
# consign evaluates data.<package>.deny: a set of messages. An empty set
# passes; a message, an undefined deny or an evaluation error fails.
# input.statements are the attestations that counted for the stage the check
# is on, input.chain maps every stage to its counted attestations, and
# input.artifacts are the artifacts being verified.
package consign.release

import rego.v1

# Separation of duties: nobody who signed for the build signs the release.
deny contains msg if {
	some release in input.statements
	some signer in release.signers
	some build in input.chain.build
	some builder in build.signers
	signer.keyId == builder.keyId
	msg := sprintf("%s signed both the build and the release", [signer.functionary])
}

# The release ships exactly the artifacts being verified, no more.
deny contains msg if {
	some release in input.statements
	some name, digest in release.products
	not shipped(digest.sha256)
	msg := sprintf("the release link of %s lists %s, which is not being shipped", [release.source, name])
}

shipped(sha) if {
	some a in input.artifacts
	a.digest.sha256 == sha
}

# The tests ran: at least one passed test is listed.
deny contains msg if {
	some t in input.chain.test
	count(object.get(t.predicate, "passedTests", [])) == 0
	msg := sprintf("%s lists no passed test", [t.source])
}
`,
}
