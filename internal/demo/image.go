package demo

import (
	"bytes"
	"fmt"
	"strings"
)

// registryArgs start the walkthrough's registry: in memory, on a free
// loopback port, writing its HOST:PORT to registry.addr once it accepts
// connections.
var registryArgs = []string{"registry", "serve", "--addr", "127.0.0.1:0", "--ready-file", "registry.addr"}

// registryScript is how steps.sh starts the registry and learns its address;
// the trap stops the log server too, which is still running there.
const registryScript = `consign %s >registry.log 2>&1 &
registry=$!
trap 'kill $server $registry 2>/dev/null' EXIT
i=0; until [ -s registry.addr ]; do i=$((i+1)); [ $i -le 600 ] || fail; sleep 0.1; done
REGISTRY=$(cat registry.addr)`

// imageSteps ships the release as a container image: pushed to a local
// registry, attested at each stage by its digest, and verified by
// reference; then an image pushed over the tag is refused, and the release,
// pinned by digest, still verifies.
func (d *demo) imageSteps() error {
	d.section("Ship it as a container image. Start a local OCI registry (the kind of server images are pushed to " +
		"and pulled from; this one in memory, in the background, on a free loopback port)")
	reg, err := d.background(registryArgs, registryScript, "registry.addr")
	if err != nil {
		return err
	}
	defer reg.stop()
	fmt.Fprintf(d.w, "listening on %s\n", reg.url)
	d.vars[reg.url] = "REGISTRY"
	tag := reg.url + "/acme-app:1.0"
	d.cd("release")
	var pushed bytes.Buffer
	if err := d.run(step{title: "Push the built artifact as an image of one layer; the push prints the image's digest, " +
		"by which every step after names it (a tag can be moved, a digest cannot)",
		args: []string{"registry", "push", "--insecure-registry", tag, "dist/acme-app"}, stdout: &pushed, capture: "IMAGE"}); err != nil {
		return err
	}
	image := strings.TrimSpace(pushed.String())
	fmt.Fprintf(d.w, "(IMAGE is %s)\n", image)
	d.vars[image] = "IMAGE"
	verify := func(ref string) []string {
		return []string{"verify", "--policy", "image-policy.signed.json", "--trust-root", "keys/owner.pub", "--image", ref, "--insecure-registry"}
	}
	if err := d.run(
		consign("Attest the image at each stage, by its digest: each attestation is attached to the image in the registry "+
			"(an OCI 1.1 referrer)",
			"attest", "--key", "keys/ci.key", "--type", "slsa", "--predicate", "image-provenance.json", "--image", image, "--insecure-registry"),
		consign("", "attest", "--key", "keys/ci.key", "--type", "cyclonedx", "--predicate", "sbom.cdx.json", "--image", image, "--insecure-registry"),
		consign("", "attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json", "--image", image, "--insecure-registry"),
		consign("Anyone lists what is attached to the image, and which of it the keys given verify",
			"discover", "--key", "keys/ci.pub", "--key", "keys/qa.pub", image, "--insecure-registry"),
		consign("Gate the release by image reference, under the image's own signed policy: the tag is resolved once, "+
			"and the chain is verified with the digest as the artifact and the attestations attached to it as the evidence",
			"policy", "sign", "--key", "keys/owner.key", "--out", "image-policy.signed.json", "image-policy.yaml"),
		consign("", verify(tag)...),
		step{title: "Tampered 4: another image (the swapped build of release-swapped/) is pushed over the tag; " +
			"by the tag, the release is refused, as nothing attests the new digest (exit 3)",
			args: []string{"registry", "push", "--insecure-registry", tag, "../release-swapped/dist/acme-app"}, stdout: &bytes.Buffer{}},
		refused("", verify(tag)...),
		consign("Pinned by its digest, the release still verifies", verify(image)...),
	); err != nil {
		return err
	}
	d.cd("..")
	return nil
}
