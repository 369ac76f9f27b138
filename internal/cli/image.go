package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/oci"
)

// registryFlags are the flags every image command shares.
type registryFlags struct {
	username, password string
	insecure           bool
	mode               string
}

func (f *registryFlags) add(cmd *cobra.Command, write bool) {
	cmd.Flags().StringVar(&f.username, "registry-username", "", "registry user name (default: $CONSIGN_REGISTRY_USERNAME, else the Docker configuration)")
	cmd.Flags().StringVar(&f.password, "registry-password", "", "registry password or token (default: $CONSIGN_REGISTRY_PASSWORD; prefer the variable)")
	cmd.Flags().BoolVar(&f.insecure, "insecure-registry", false, "talk to the registry over plain HTTP (for a local test registry only)")
	if write {
		cmd.Flags().StringVar(&f.mode, "attach-mode", "referrers", "where to attach: referrers (OCI 1.1, with the tag schema where the registry lacks the API), tag (cosign's sha256-HEX.sig/.att tags, which cosign v2 reads) or both")
	}
}

// client builds the registry client from the flags and the environment.
func (f *registryFlags) client(deps *Deps) (*oci.Client, error) {
	if f.username == "" {
		f.username = deps.getenv("CONSIGN_REGISTRY_USERNAME")
	}
	if f.password == "" {
		f.password = deps.getenv("CONSIGN_REGISTRY_PASSWORD")
	}
	if _, err := oci.ParseMode(f.mode); err != nil {
		return nil, usageErr(err)
	}
	if (f.username == "") != (f.password == "") {
		return nil, usagef("--registry-username and --registry-password go together")
	}
	if f.insecure {
		fmt.Fprintln(deps.Stderr, "consign: warning: --insecure-registry: the registry is reached over plain HTTP, open to anyone on the path")
	}
	return oci.New(oci.Options{Username: f.username, Password: f.password, Insecure: f.insecure, Mode: oci.Mode(f.mode)})
}

// resolve builds the client and resolves ref once.
func (f *registryFlags) resolve(ctx context.Context, deps *Deps, ref string) (*oci.Client, *oci.Image, error) {
	c, err := f.client(deps)
	if err != nil {
		return nil, nil, err
	}
	img, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	return c, img, nil
}

// withPlatforms is img, and with recursive, the platform manifests of an index.
func withPlatforms(ctx context.Context, c *oci.Client, img *oci.Image, recursive bool) ([]*oci.Image, error) {
	if !recursive {
		return []*oci.Image{img}, nil
	}
	children, err := c.Platforms(ctx, img)
	if err != nil {
		return nil, err
	}
	return append([]*oci.Image{img}, children...), nil
}

// describeWritten says where an attachment went, for the log line.
// writtenReport is what -o json prints of one signature or attestation
// attached to an image: the manifest it is about, and where it went.
type writtenReport struct {
	Image         string `json:"image"`
	PredicateType string `json:"predicateType,omitempty"`
	Referrer      string `json:"referrer,omitempty"` // the referrer manifest's digest
	Tag           string `json:"tag,omitempty"`      // the cosign tag, as REPO:TAG
}

func newWrittenReport(img *oci.Image, w *oci.Written) writtenReport {
	r := writtenReport{Image: img.Ref.String(), Tag: w.Tag}
	if w.Referrer != nil {
		r.Referrer = w.Referrer.String()
	}
	return r
}

func describeWritten(w *oci.Written) string {
	s := ""
	if w.Referrer != nil {
		s += ", attached as referrer " + w.Referrer.String()
	}
	if w.Tag != "" {
		s += ", attached to " + w.Tag
	}
	return s
}
