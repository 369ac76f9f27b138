package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/limits"
)

// SourceLayout is an attachment read from an OCI image layout on disk.
const SourceLayout Source = "layout"

// cosign save's kind annotation on the entries of a layout's index.json.
const (
	layoutKindAnnotation = "kind"
	layoutKindImage      = "dev.cosignproject.cosign/image"
	layoutKindIndex      = "dev.cosignproject.cosign/imageIndex"
	layoutKindAtts       = "dev.cosignproject.cosign/atts"
	layoutKindSigs       = "dev.cosignproject.cosign/sigs"
)

// ErrLayout is a directory that is not an OCI image layout consign can read.
var ErrLayout = errors.New("not a readable OCI image layout")

var hexDigest = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// maxLayoutBytes bounds the layers one layout's attachments may hold in
// all (each is also bounded by limits.OCIBlob): a layout is read whole
// into memory, and a few provenance attestations are a few megabytes.
const maxLayoutBytes = 4 * limits.OCIBlob

// IsLayout reports whether path is a directory holding an oci-layout file.
func IsLayout(path string) bool {
	fi, err := os.Stat(filepath.Join(path, "oci-layout"))
	return err == nil && fi.Mode().IsRegular()
}

// ReadLayout reads an OCI image layout as 'cosign save' writes it: the
// image (the index.json entry of kind dev.cosignproject.cosign/image or
// imageIndex, or the only entry) and the signatures and attestations saved
// with it (entries of kind .../sigs and .../atts), as attachments with
// their layers read. Every manifest and layer read is checked against its
// digest and read through [limits]; nothing is verified yet.
func ReadLayout(dir string) (*Image, []Attachment, error) {
	idx, err := limits.ReadFile(filepath.Join(dir, "index.json"), limits.OCIManifest)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrLayout, dir, err)
	}
	var index v1.IndexManifest
	if err := json.Unmarshal(idx, &index); err != nil {
		return nil, nil, fmt.Errorf("%w: %s/index.json: %v", ErrLayout, dir, err)
	}
	if len(index.Manifests) > limits.OCIReferrers {
		return nil, nil, fmt.Errorf("%w: %s/index.json: more than %d entries", ErrTooLarge, dir, limits.OCIReferrers)
	}
	var img *Image
	var atts []Attachment
	total := int64(0)
	for _, m := range index.Manifests {
		kind := m.Annotations[layoutKindAnnotation]
		switch {
		case kind == layoutKindImage || kind == layoutKindIndex || (kind == "" && len(index.Manifests) == 1):
			if img != nil {
				return nil, nil, fmt.Errorf("%w: %s holds more than one image", ErrLayout, dir)
			}
			body, err := layoutBlob(dir, m.Digest, limits.OCIManifest)
			if err != nil {
				return nil, nil, err
			}
			img = &Image{Digest: m.Digest, MediaType: m.MediaType, Size: int64(len(body)), Manifest: body, Given: dir}
		case kind == layoutKindAtts || kind == layoutKindSigs:
			a, err := layoutAttachments(dir, m.Digest, len(atts))
			if err != nil {
				return nil, nil, err
			}
			for i := range a {
				if total += int64(len(a[i].Payload)); total > maxLayoutBytes {
					return nil, nil, fmt.Errorf("%w: the attachments in %s are over %d bytes", ErrTooLarge, dir, maxLayoutBytes)
				}
			}
			atts = append(atts, a...)
		}
	}
	if img == nil {
		return nil, nil, fmt.Errorf("%w: %s names no image in index.json", ErrLayout, dir)
	}
	if !img.MediaType.IsImage() && !img.MediaType.IsIndex() {
		return nil, nil, fmt.Errorf("%w: %s: media type %q is not an image or an index", ErrLayout, dir, img.MediaType)
	}
	return img, atts, nil
}

// layoutAttachments reads the layers of one signature or attestation
// manifest; have is how many were read before, for the cap.
func layoutAttachments(dir string, d v1.Hash, have int) ([]Attachment, error) {
	body, err := layoutBlob(dir, d, limits.OCIManifest)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrMalformed, d, err)
	}
	if have+len(m.Layers) > limits.OCILayers {
		return nil, fmt.Errorf("%w: more than %d layers in %s", ErrTooLarge, limits.OCILayers, dir)
	}
	out := make([]Attachment, 0, len(m.Layers))
	for _, l := range m.Layers {
		a := Attachment{Kind: kindOf(string(l.MediaType), ""), Source: SourceLayout, Manifest: d,
			MediaType: string(l.MediaType), Digest: l.Digest, Annotations: l.Annotations}
		if a.Kind != KindOther {
			if a.Payload, err = layoutBlob(dir, l.Digest, limits.OCIBlob); err != nil {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// layoutBlob reads blobs/sha256/HEX, at most max bytes, and checks that it
// hashes to d. Only sha256 digests of 64 hex digits name a file, so a
// digest cannot lead outside the layout.
func layoutBlob(dir string, d v1.Hash, max int64) ([]byte, error) {
	if d.Algorithm != "sha256" || !hexDigest().MatchString(d.Hex) {
		return nil, fmt.Errorf("%w: %s: digest %q is not sha256", ErrLayout, dir, d)
	}
	b, err := limits.ReadFile(filepath.Join(dir, "blobs", "sha256", d.Hex), max)
	if err != nil {
		if errors.Is(err, limits.ErrTooLarge) {
			return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		return nil, fmt.Errorf("%w: %s: blob %s: %v", ErrLayout, dir, d, err)
	}
	if err := checkDigest(b, d, "blob "+d.String()+" of "+dir); err != nil {
		return nil, err
	}
	return b, nil
}
