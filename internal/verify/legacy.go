package verify

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
)

// MaxSublayoutDepth bounds how deep sublayouts may nest.
const MaxSublayoutDepth = 8

// LayoutConfig is everything the verification of an in-toto v0.9 layout
// and its links needs.
type LayoutConfig struct {
	// Layout is the root layout file: a signed Metablock or a DSSE envelope.
	Layout     []byte
	LayoutName string
	// LayoutKeys must all have signed the layout (as in-toto requires).
	LayoutKeys []crypto.PublicKey
	// Links holds the link files: STEP.KEYID.link at its top, and a
	// sublayout's links in STEP.KEYID8/.
	Links fs.FS
	// LinksName names the links directory in reports.
	LinksName string
	// Artifacts must all be products of the layout's last step. With none,
	// the chain of steps is verified alone, as in-toto-verify does, and the
	// result says that no shipped artifact was bound to it
	// ([Result.NoArtifactBound]).
	Artifacts []Artifact
	Now       func() time.Time
	// Inspector runs the layout's inspection commands. Without one a
	// layout with inspections fails: an inspection is a command the
	// layout's author chose, and running it is the verifier's decision.
	Inspector Inspector
	VSA       *VSAOptions
}

// Validate reports settings that cannot give a meaningful answer.
func (c *LayoutConfig) Validate() error {
	switch {
	case len(c.Layout) == 0:
		return fmt.Errorf("%w: no layout", ErrConfig)
	case len(c.LayoutKeys) == 0:
		return fmt.Errorf("%w: no layout key to verify the layout with", ErrConfig)
	case c.Links == nil:
		return fmt.Errorf("%w: no links directory", ErrConfig)
	case len(c.Artifacts) == 0 && c.VSA != nil:
		return fmt.Errorf("%w: a VSA is about artifacts; name at least one", ErrConfig)
	}
	if c.VSA != nil && c.VSA.Signer == nil {
		return fmt.Errorf("%w: a VSA needs a signing key", ErrConfig)
	}
	return nil
}

// VerifyLayout verifies an in-toto v0.9 layout and its links the way the
// in-toto specification (section 5.2) and its Python reference do, reporting
// in the same form as [Verify]:
//
//  1. every layout key signed the layout (legacy signature over canonical
//     JSON, or DSSE over PAE); the layout has not expired at cfg.Now;
//  2. links STEP.*.link (legacy or DSSE-wrapped) count when an authorised
//     key of the step signed them, they name the step, and threshold
//     distinct keys did; a step's links must report identical artifacts;
//  3. a sublayout (a layout in place of a link, signed by a functionary) is
//     verified recursively with its links in STEP.KEYID8/ and stands for a
//     summary link: the first step's materials, the last step's products;
//  4. artifact rules of every step, then inspections (only with an
//     [Inspector]) and their rules;
//  5. every artifact is a product of the last step (with no artifact, this
//     step is skipped and the result says so).
//
// Once ctx has ended (a Ctrl-C) it stops, reading links too, and returns
// the context's cause and no result.
func VerifyLayout(ctx context.Context, cfg LayoutConfig) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if cfg.Now != nil {
		now = cfg.Now().UTC()
	}
	res, _, e := verifyLayout(ctx, cfg, now, 0)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if e != nil && len(cfg.Artifacts) > 0 {
		e.checkArtifacts(cfg.Artifacts)
	}
	res.NoArtifactBound = len(cfg.Artifacts) == 0
	return finish(res, cfg.Artifacts, cfg.VSA)
}

// verifyLayout verifies one layout and its links; the engine is nil when the
// layout itself did not verify.
func verifyLayout(ctx context.Context, cfg LayoutConfig, now time.Time, depth int) (*Result, *policy.Layout, *engine) {
	sum := sha256.Sum256(cfg.Layout)
	res := &Result{VerifiedAt: now, Stages: []*StageResult{}, Artifacts: []ArtifactResult{}, Attestations: []*AttestationResult{}, Policy: PolicyResult{
		Source: cfg.LayoutName, Kind: "in-toto layout",
		Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])},
	}}
	layout, signedBy, err := openLayout(cfg.Layout, cfg.LayoutKeys, now)
	if err != nil {
		res.Policy.Status, res.Policy.Reason = StatusFail, err.Error()
		res.fail(err, "layout %s: %v", cfg.LayoutName, err)
		return res, nil, nil
	}
	exp := layout.Expires
	res.Policy.Status, res.Policy.Product, res.Policy.SignedBy, res.Policy.Expires = StatusPass, layout.Product, strings.Join(signedBy, ", "), &exp
	items := readLinks(ctx, cfg.Links, cfg.LinksName, layout)
	if ctx.Err() != nil {
		return res, nil, nil // the caller returns the context's cause
	}
	hints := map[string]*sign.Verifier{}
	var keys []*policy.Key
	for kid, k := range layout.KeyIDs {
		hints[kid] = k.Verifier
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b *policy.Key) int { return strings.Compare(a.ID, b.ID) })
	refused := admitCertificates(layout, items, now, &keys, hints)
	checkAll(items, newKeyIndex(keys, hints, false), nil, stagePreference(layout.Policy, layout.Policy.Keys()))
	for _, it := range items {
		if err := refused[it]; err != nil && it.err == nil && len(it.signers) == 0 {
			it.res.Reason += fmt.Sprintf("; its certificate is refused: %v", err)
		}
	}
	for _, it := range items {
		if it.err == nil && it.layout != nil && len(it.signers) > 0 {
			resolveSublayout(ctx, cfg, layout, it, now, depth)
		}
	}
	e := newEngine(layout.Policy, items, cfg.Artifacts, res, now)
	e.identical = true
	e.run(ctx)
	e.commandNotes(layout)
	e.inspections(ctx, cfg, layout)
	collect(res, items)
	return res, layout, e
}

// admitCertificates makes each certificate that signed a link a
// functionary of the step the link names, where the layout admits it
// ([policy.Layout.AdmitCertificate]): its key joins keys, and hints under
// the key id the signature names. The signature itself is checked later,
// with every other, over the link's canonical JSON; a link counts only for
// the step it names. It returns why each refused certificate was refused.
func admitCertificates(layout *policy.Layout, items []*item, now time.Time, keys *[]*policy.Key, hints map[string]*sign.Verifier) map[*item]error {
	refused := map[*item]error{}
	if len(layout.CertConstraints) == 0 {
		return refused
	}
	for _, it := range items {
		if it.err != nil || it.link == nil || it.link.Type != "link" {
			continue
		}
		for _, s := range it.link.Signatures {
			if s.Cert == "" {
				continue
			}
			k, err := layout.AdmitCertificate(it.link.Name, []byte(s.Cert), now)
			if err != nil {
				refused[it] = err
				continue
			}
			*keys = append(*keys, k)
			if s.KeyID != "" {
				hints[s.KeyID] = k.Verifier
			}
		}
	}
	return refused
}

// openLayout verifies the layout's signatures (every given key must have
// signed, as in in-toto) and expiry, and parses it.
func openLayout(data []byte, roots []crypto.PublicKey, now time.Time) (*policy.Layout, []string, error) {
	if len(data) > limits.LayoutFile {
		return nil, nil, fmt.Errorf("%w: the layout is %d bytes", limits.ErrTooLarge, len(data))
	}
	var body, msg []byte
	var sigs [][]byte
	items, err := attest.Read(data, "layout")
	if err != nil {
		return nil, nil, err
	}
	if len(items) != 1 {
		return nil, nil, fmt.Errorf("%w: the file holds %d documents", ErrLayout, len(items))
	}
	it := items[0]
	switch {
	case it.Err != nil:
		return nil, nil, it.Err
	case it.Link != nil && it.Link.Type == "layout":
		body = it.Link.Signed
		if msg, err = attest.Canonical(it.Link.Signed); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrLayout, err)
		}
		for _, s := range it.Link.Signatures {
			sigs = append(sigs, s.Sig)
		}
	case it.Envelope != nil && it.Envelope.PayloadType == attest.PayloadType:
		body = it.Envelope.Payload
		msg = attest.PAE(it.Envelope.PayloadType, it.Envelope.Payload)
		for _, s := range it.Envelope.Signatures {
			sigs = append(sigs, s.Sig)
		}
	default:
		return nil, nil, fmt.Errorf("%w: not an in-toto layout (a signed Metablock or DSSE envelope)", ErrLayout)
	}
	kr, err := attest.NewKeyring(roots...)
	if err != nil {
		return nil, nil, err
	}
	signed := kr.SignedBy(msg, sigs)
	if len(signed) < kr.Len() {
		return nil, nil, fmt.Errorf("%w: %d of the %d layout key(s) signed the layout; every one must", attest.ErrSignature, len(signed), kr.Len())
	}
	layout, err := policy.ParseLayout(body)
	if err != nil {
		return nil, nil, err
	}
	if now.After(layout.Expires) {
		return nil, nil, fmt.Errorf("%w: the layout expired at %s", policy.ErrExpired, layout.Expires.Format(time.RFC3339))
	}
	var ids []string
	for _, v := range signed {
		ids = append(ids, v.KeyID())
	}
	return layout, ids, nil
}

// readLinks reads the top-level files STEP.*.link of links, for every step,
// until ctx ends.
func readLinks(ctx context.Context, links fs.FS, name string, layout *policy.Layout) []*item {
	entries, err := fs.ReadDir(links, ".")
	if err != nil {
		return []*item{invalidItem(name, nil, fmt.Errorf("reading links: %w", err))}
	}
	var inputs []Input
	for _, ent := range entries {
		fname := ent.Name()
		if !ent.Type().IsRegular() || !strings.HasSuffix(fname, ".link") {
			continue
		}
		for _, st := range layout.Stages {
			if strings.HasPrefix(fname, st.Name+".") {
				docs, err := readFS(ctx, links, fname, path.Join(name, fname))
				if err != nil {
					return []*item{invalidItem(path.Join(name, fname), nil, err)}
				}
				inputs = append(inputs, Input{Name: path.Join(name, fname), Docs: docs, owned: true})
				break
			}
		}
	}
	return readItems(inputs)
}

// readFS reads the documents of the file name of fsys as a stream
// ([jsonl.Documents]), until ctx ends; source names it in errors.
func readFS(ctx context.Context, fsys fs.FS, name, source string) ([]jsonl.Line, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	docs, err := jsonl.Documents(ctx, io.LimitReader(f, limits.AttestationFile+1), source, jsonl.Limits{})
	if docs == nil && err == nil {
		docs = []jsonl.Line{} // read, and empty
	}
	return docs, err
}

// resolveSublayout verifies a sublayout found in place of a link and turns
// the item into the summary link of its chain, or marks it invalid.
func resolveSublayout(ctx context.Context, cfg LayoutConfig, parent *policy.Layout, it *item, now time.Time, depth int) {
	stepName := ""
	for _, st := range parent.Stages {
		if strings.HasPrefix(path.Base(it.res.Source), st.Name+".") {
			stepName = st.Name
		}
	}
	if depth+1 > MaxSublayoutDepth {
		it.err = fmt.Errorf("%w: sublayouts nest deeper than %d", ErrLayout, MaxSublayoutDepth)
		return
	}
	signer := it.signers[0].keyID
	var key crypto.PublicKey
	var dirs []string
	for kid, k := range parent.KeyIDs {
		if k.ID == signer {
			key = k.Verifier.Public()
			dirs = append(dirs, fmt.Sprintf("%s.%.8s", stepName, kid))
		}
	}
	slices.Sort(dirs)
	var sub fs.FS
	var subName string
	for _, d := range dirs {
		if fi, err := fs.Stat(cfg.Links, d); err == nil && fi.IsDir() {
			if s, err := fs.Sub(cfg.Links, d); err == nil {
				sub, subName = s, path.Join(cfg.LinksName, d)
				break
			}
		}
	}
	if sub == nil {
		it.err = fmt.Errorf("%w: the sublayout for step %q has no links directory (%s)", ErrLayout, stepName, strings.Join(dirs, " or "))
		return
	}
	subCfg := LayoutConfig{Layout: it.bytes(), LayoutName: it.res.Source, LayoutKeys: []crypto.PublicKey{key}, Links: sub, LinksName: subName}
	sres, sl, se := verifyLayout(ctx, subCfg, now, depth+1)
	if !(len(sres.Failures) == 0 && se != nil) {
		msg := "the sublayout did not verify"
		if len(sres.Failures) > 0 {
			msg += ": " + sres.Failures[0]
		}
		it.err = fmt.Errorf("%w: %s", ErrLayout, msg)
		return
	}
	first, last := se.records[sl.Stages[0].Name], se.records[sl.Stages[len(sl.Stages)-1].Name]
	it.layout = nil
	it.isLink, it.linkName = true, stepName
	it.predicateType = attest.LegacyLinkType
	it.materials, it.products = first.materials, last.products
	it.res.PredicateType, it.res.Name, it.res.Format = attest.LegacyLinkType, stepName, "in-toto sublayout"
}

// commandNotes notes links whose command differs from the step's expected
// command: in-toto warns and does not fail.
func (e *engine) commandNotes(layout *policy.Layout) {
	for _, sr := range e.res.Stages {
		want, ok := layout.ExpectedCommands[sr.Name]
		if !ok || len(want) == 0 {
			continue
		}
		for _, ci := range e.counted[sr.Name] {
			if cmd := linkCommand(ci.it); cmd != nil && !slices.Equal(cmd, want) {
				sr.Notes = append(sr.Notes, fmt.Sprintf("%s ran %q, the layout expects %q (a warning, as in in-toto)", ci.it.res.Source, strings.Join(cmd, " "), strings.Join(want, " ")))
			}
		}
	}
}

func linkCommand(it *item) []string {
	if it.link != nil {
		return it.link.Command
	}
	return nil
}
