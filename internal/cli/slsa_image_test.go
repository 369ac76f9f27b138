package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/testutil/registrytest"
)

const containerDir = "../../testdata/slsa-verifier/gha_generic_container/v2.1.0/container_workflow_dispatch"

// rawManifest pushes manifest bytes as they are.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// TestSLSAVerifyImageRegistry pushes slsa-verifier's container generator
// image (v2.1.0: its index, platform manifests and cosign's .att image, as
// 'cosign save' kept them) to a registry on 127.0.0.1 and verifies it by
// tag: the tag is resolved once, the attestation read from cosign's tag.
func TestSLSAVerifyImageRegistry(t *testing.T) {
	const (
		index = "234e2c830c2fb31ac5671789d22adfe44d30c3ee831d01beae5e237841a13122"
		atts  = "21454caf3a160dfbe6359f0501aa8401c6c0f2c7a8b71380ea21f8c4b48b64fe"
	)
	blobs := containerDir + "/blobs/sha256/"
	read := func(h string) []byte {
		b, err := os.ReadFile(filepath.Join(blobs, h))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	host := registrytest.Ggcr(t)
	repo, err := name.NewRepository(host+"/slsa/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ h, mt string }{
		{"e163b472f2e5d66e5a2a45e26e020c51a0d2da7dc8b567b31fc2ebfd33dbc33a", "application/vnd.dsse.envelope.v1+json"},
		{"994025264a85542118ab73a59d30e51516ea596238c1fb4adeb674294519de57", "application/vnd.oci.image.config.v1+json"},
	} {
		if err := remote.WriteLayer(repo, static.NewLayer(read(l.h), types.MediaType(l.mt))); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		ref string
		h   string
		mt  types.MediaType
	}{
		{"@sha256:d1fc0de9c6a33e502c488221644de1736c53d8ddb59b0e41b4946fb26af50e69", "d1fc0de9c6a33e502c488221644de1736c53d8ddb59b0e41b4946fb26af50e69", types.OCIManifestSchema1},
		{"@sha256:a79645dc6fd76a0db9c9c04f5ba722ecb7d1fa8cdfc1d848d931d884cbab02ea", "a79645dc6fd76a0db9c9c04f5ba722ecb7d1fa8cdfc1d848d931d884cbab02ea", types.OCIManifestSchema1},
		{":v1", index, types.OCIImageIndex},
		{":sha256-" + index + ".att", atts, types.OCIManifestSchema1},
	} {
		ref, err := name.ParseReference(repo.String()+m.ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Put(ref, rawManifest{read(m.h), m.mt}); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
	}
	root := publicGoodRoot
	code, _, stderr := runConsign("slsa", "verify-image", "--insecure-registry", "--source-uri", "github.com/slsa-framework/example-package",
		"--source-branch", "main", "--trusted-root", root, repo.String()+":v1")
	if code != 0 || !strings.Contains(stderr, "is sha256:"+index) || !strings.Contains(stderr, "PASSED: SLSA verification passed") {
		t.Fatalf("by tag: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runConsign("slsa", "verify-image", "--insecure-registry", "--source-uri", "github.com/slsa-framework/example-package",
		"--source-tag", "v2.1.0", "--trusted-root", root, repo.String()+"@sha256:"+index)
	if code != 3 || !strings.Contains(stderr, "invalid ref") {
		t.Fatalf("a tag asked of a branch build: exit %d\n%s", code, stderr)
	}
	// The same image under another repository, without its attestation.
	bare, _ := name.ParseReference(host+"/slsa/bare:v1", name.Insecure)
	for _, m := range []string{"d1fc0de9c6a33e502c488221644de1736c53d8ddb59b0e41b4946fb26af50e69", "a79645dc6fd76a0db9c9c04f5ba722ecb7d1fa8cdfc1d848d931d884cbab02ea"} {
		r, _ := name.ParseReference(host+"/slsa/bare@sha256:"+m, name.Insecure)
		if err := remote.Put(r, rawManifest{read(m), types.OCIManifestSchema1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := remote.Put(bare, rawManifest{read(index), types.OCIImageIndex}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runConsign("slsa", "verify-image", "--insecure-registry", "--source-uri", "github.com/slsa-framework/example-package",
		"--trusted-root", root, bare.String())
	if code != 3 || !strings.Contains(stderr, "no valid signature") {
		t.Fatalf("no attestation: exit %d\n%s", code, stderr)
	}

	// The same attestation as a Sigstore bundle, attached to the bare image
	// as an OCI referrer: found through the referrers API.
	bundle := layoutBundle(t)
	empty := static.NewLayer([]byte("{}"), types.MediaType("application/vnd.oci.empty.v1+json"))
	bl := static.NewLayer(bundle, types.MediaType("application/vnd.dev.sigstore.bundle+json;version=0.1"))
	bareRepo := bare.Context()
	for _, l := range []v1.Layer{empty, bl} {
		if err := remote.WriteLayer(bareRepo, l); err != nil {
			t.Fatal(err)
		}
	}
	desc := func(l v1.Layer) v1.Descriptor {
		d, _ := l.Digest()
		n, _ := l.Size()
		mt, _ := l.MediaType()
		return v1.Descriptor{MediaType: mt, Digest: d, Size: n}
	}
	subject := v1.Descriptor{MediaType: types.OCIImageIndex, Digest: v1.Hash{Algorithm: "sha256", Hex: index}, Size: int64(len(read(index)))}
	m, err := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
		Config: desc(empty), Layers: []v1.Descriptor{desc(bl)}, Subject: &subject})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(bytes.NewReader(m))
	if err := remote.Put(bareRepo.Digest(h.String()), rawManifest{m, types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runConsign("slsa", "verify-image", "--insecure-registry", "--source-uri", "github.com/slsa-framework/example-package",
		"--trusted-root", root, bare.String())
	if code != 0 {
		t.Fatalf("a bundle referrer: exit %d\n%s", code, stderr)
	}
}

// layoutBundle is the v2.1.0 layout's attestation as a Sigstore bundle.
func layoutBundle(t *testing.T) []byte {
	t.Helper()
	_, atts, err := oci.ReadLayout(containerDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := atts[0].CosignBundle()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSLSAVerifyImageProvenancePath: the container generator's provenance
// given as a bundle file, the image as a layout pinned by digest.
func TestSLSAVerifyImageProvenancePath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "provenance.sigstore.json")
	if err := os.WriteFile(p, layoutBundle(t), 0o600); err != nil {
		t.Fatal(err)
	}
	const digest = "@sha256:234e2c830c2fb31ac5671789d22adfe44d30c3ee831d01beae5e237841a13122"
	code, _, stderr := runConsign("slsa", "verify-image", "--provenance-path", p, "--source-uri", "github.com/slsa-framework/example-package",
		"--trusted-root", publicGoodRoot, containerDir+digest)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// Another image's layout with this provenance: not its subject.
	other := strings.Replace(containerDir, "v2.1.0", "v2.0.0", 1)
	code, _, stderr = runConsign("slsa", "verify-image", "--provenance-path", p, "--source-uri", "github.com/slsa-framework/example-package",
		"--trusted-root", publicGoodRoot, other)
	if code != 3 || !strings.Contains(stderr, "not among the provenance's subjects") {
		t.Fatalf("another image: exit %d\n%s", code, stderr)
	}
}
