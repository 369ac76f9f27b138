package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/consign-dev/consign/internal/limits"
)

// ErrLayerFiles is returned by [Client.PushFiles] for files that cannot make
// a layer: none, two with one base name, a directory, or more than
// limits.OCIBlob bytes in all.
var ErrLayerFiles = errors.New("files cannot make an image layer")

// PushFiles builds an OCI image of one layer holding files, each at its
// base name at the layer's root, in name order (executable or not, as it is here), pushes
// it to ref (HOST/REPOSITORY:TAG), and returns the image's reference by
// digest. The layer's entries carry no times or owners, so the same files
// make the same digest wherever and whenever they are pushed.
//
// It returns an error wrapping [ErrLayerFiles] for files it cannot pack, and
// the registry errors of the other calls ([ErrReference], [ErrNotFound]...).
func (c *Client) PushFiles(ctx context.Context, ref string, files []string) (name.Digest, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return name.Digest{}, err
	}
	tag, ok := r.(name.Tag)
	if !ok {
		return name.Digest{}, fmt.Errorf("%w %q: push to a tag; the digest is what the push prints", ErrReference, ref)
	}
	layerTar, err := tarFiles(files)
	if err != nil {
		return name.Digest{}, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return name.Digest{}, fmt.Errorf("building the layer: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return name.Digest{}, fmt.Errorf("building the image: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("building the image: %w", err)
	}
	opts, err := c.remoteOptions(ctx, tag.Context())
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return name.Digest{}, classify(err, "pushing "+tag.String())
	}
	return tag.Context().Digest(d.String()), nil
}

// tarFiles is the uncompressed layer holding files at their base names.
func tarFiles(files []string) ([]byte, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no files given", ErrLayerFiles)
	}
	// Entries in name order: the same files in any order make one layer.
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b string) int { return strings.Compare(filepath.Base(a), filepath.Base(b)) })
	names := map[string]bool{}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	total := int64(0)
	for _, f := range files {
		base := filepath.Base(f)
		if names[base] {
			return nil, fmt.Errorf("%w: two files are named %q", ErrLayerFiles, base)
		}
		names[base] = true
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %s is not a regular file", ErrLayerFiles, f)
		}
		b, err := limits.ReadFile(f, limits.OCIBlob)
		if err != nil {
			return nil, err
		}
		if total += int64(len(b)); total > limits.OCIBlob {
			return nil, fmt.Errorf("%w: more than %d MiB in all", ErrLayerFiles, limits.OCIBlob>>20)
		}
		mode := int64(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: base, Mode: mode, Size: int64(len(b))}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return slices.Clip(buf.Bytes()), nil
}
