package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/verify"
)

// imageAttest is 'consign attest --image': the image's digest as a
// subject, and the envelope attached to it.
type imageAttest struct {
	ref       string
	recursive bool
	reg       registryFlags
	c         *oci.Client
	imgs      []*oci.Image
}

func (a *imageAttest) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.ref, "image", "", "container image to attest (its manifest digest becomes a subject) and attach the attestation to")
	cmd.Flags().BoolVar(&a.recursive, "recursive", false, "with --image and a multi-platform index: each platform's manifest is a subject too, and gets the attestation attached")
	a.reg.add(cmd, true)
}

// subject resolves the image once and adds its digest to subs.
func (a *imageAttest) subject(ctx context.Context, deps *Deps, subs []attest.Subject) ([]attest.Subject, error) {
	if a.ref == "" {
		return subs, nil
	}
	c, img, err := a.reg.resolve(ctx, deps, a.ref)
	if err != nil {
		return nil, err
	}
	if a.imgs, err = withPlatforms(ctx, c, img, a.recursive); err != nil {
		return nil, err
	}
	a.c = c
	for _, img := range a.imgs {
		subs = append(subs, attest.Subject{Name: img.Ref.Context().Name(), Digest: oci.ImageDigestSet(img)})
	}
	return subs, nil
}

// attach attaches env to the image (and its platforms), if there is one.
func (a *imageAttest) attach(ctx context.Context, deps *Deps, env *attest.Envelope) error {
	for _, img := range a.imgs {
		w, err := a.c.Attach(ctx, img, env)
		if err != nil {
			return err
		}
		fmt.Fprintf(deps.Stderr, "Attached the attestation to %s%s\n", img.Ref, describeWritten(w))
	}
	return nil
}

// imageVerify is 'consign verify-attestation --image': the attestations
// attached to the image, checked with its digest as the subject.
type imageVerify struct {
	ref string
	reg registryFlags
}

func (v *imageVerify) add(cmd *cobra.Command, usage string) {
	cmd.Flags().StringVar(&v.ref, "image", "", usage)
	v.reg.add(cmd, false)
}

// items resolves the image once, makes its digest the subject of opts, and
// returns the attestations attached to it.
func (v *imageVerify) items(ctx context.Context, deps *Deps, opts *attest.VerifyOptions, subject string) ([]attest.Item, error) {
	if subject != "" {
		return nil, usagef("--subject and --image exclude each other: with --image the image's digest is the subject")
	}
	c, err := v.reg.client(deps)
	if err != nil {
		return nil, err
	}
	img, items, err := c.Attestations(ctx, v.ref)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(deps.Stderr, "%s: %d attestation(s) attached\n", img.Ref, len(items))
	opts.Subject = oci.ImageDigestSet(img)
	return items, nil
}

// release resolves the image once for 'consign verify --image': the image
// is an artifact (its manifest digest), and its attached attestations are
// inputs beside any --attestations.
func (v *imageVerify) release(ctx context.Context, deps *Deps) ([]verify.Artifact, []verify.Input, error) {
	if v.ref == "" {
		return nil, nil, nil
	}
	c, err := v.reg.client(deps)
	if err != nil {
		return nil, nil, err
	}
	img, ev, err := c.Evidence(ctx, v.ref)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(deps.Stderr, "%s: %d attestation(s) attached\n", img.Ref, len(ev))
	inputs := make([]verify.Input, len(ev))
	for i, e := range ev {
		inputs[i] = verify.Input{Name: e.Name, Data: e.Data}
	}
	return []verify.Artifact{{Name: img.Ref.Context().Name(), Digest: oci.ImageDigestSet(img)}}, inputs, nil
}
