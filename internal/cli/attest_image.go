package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
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

// verifyKeyless is 'consign verify-attestation --image' with a keyless
// signer: the bundles attached to the image, each checked against the
// trusted root and identity with the image's digest as the subject.
func (v *imageVerify) verifyKeyless(cmd *cobra.Command, deps *Deps, kl *oci.Keyless, typ, output string, files []string, subject string, threshold int) error {
	switch {
	case v.ref == "" || len(files) > 0:
		return withHint(usagef("the --certificate-* identity flags check bundles attached to an image: give --image and no files"),
			"for a bundle file, use 'consign verify-bundle'")
	case subject != "":
		return usagef("--subject and --image exclude each other: with --image the image's digest is the subject")
	case threshold != 1:
		return usagef("--threshold counts keys; a keyless signer is one identity")
	}
	opts, err := verifyOptions(typ, "", 1)
	if err != nil {
		return err
	}
	c, err := v.reg.client(deps)
	if err != nil {
		return err
	}
	img, atts, err := c.Attachments(cmd.Context(), v.ref)
	if err != nil {
		return err
	}
	checked := oci.VerifyAttestationsKeyless(img, atts, kl, opts.PredicateTypes)
	fmt.Fprintf(deps.Stderr, "%s: %d attestation(s) attached\n", img.Ref, len(checked))
	results := make([]itemResult, len(checked))
	for i, k := range checked {
		results[i] = keylessResult(k)
	}
	return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
}

// keylessResult is one line of the report for a keyless check.
func keylessResult(k oci.KeylessResult) itemResult {
	r := itemResult{Source: k.Attachment.Name(), Format: string(k.Attachment.Kind)}
	switch {
	case k.Err == nil:
		r.Status, r.PredicateType = "passed", k.Result.PredicateType
		r.Identity = k.Result.Subject + " (issuer " + k.Result.Issuer + ")"
		if st, err := attest.ParseStatement(k.Result.Payload); err == nil {
			r.Subjects = len(st.Subject)
		}
	case errors.Is(k.Err, attest.ErrWrongType):
		r.Status, r.Reason = "skipped", "not the predicate type asked for"
	case errors.Is(k.Err, attest.ErrUnverified), errors.Is(k.Err, sigstore.ErrUnverified):
		r.Status, r.Reason, r.err = "failed", k.Err.Error(), k.Err
	default:
		r.Status, r.Reason = "invalid", k.Err.Error()
	}
	return r
}
