package pack

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// LogSource is a transparency log to ask for its latest checkpoint and the
// proofs that older checkpoints are prefixes of it (client.Client is one).
// Nothing it answers is trusted: checkpoints are verified with the log key
// the signed policy names, and proofs before they are packed.
type LogSource interface {
	Checkpoint(ctx context.Context) ([]byte, error)
	Consistency(ctx context.Context, from, to uint64) ([]tlog.Hash, error)
}

// BuildConfig is what [Build] packs.
type BuildConfig struct {
	// Policy is the signed policy; PolicyName its file name.
	Policy     []byte
	PolicyName string
	// TrustRoots verify the policy, as a customer will.
	TrustRoots []crypto.PublicKey
	// Attestations are read and verified; only those the policy counts
	// for some stage are packed.
	Attestations []verify.Input
	// Receipts are receipt files (JSON Lines); only verified receipts of
	// packed attestations are packed. They need a log key in the policy.
	Receipts []verify.Input
	// Log, when set, gives the latest checkpoint and consistency proofs.
	Log LogSource
	// Artifacts are what ships; each must be a subject of the final stage.
	Artifacts []verify.Artifact
	// Include maps an artifact's index in Artifacts to a file to pack.
	Include map[int]string
	// Release names the release (default: the first artifact's base name).
	Release string
	// VSA, when set, signs a verification summary into the pack.
	VSA *verify.VSAOptions
	Now func() time.Time
	// Bundles verifies keyless Sigstore bundles for the policy's
	// identities, and TrustedRoots are the trusted roots the policy names
	// by digest only (see [verify.Config]); those the policy names are
	// packed, so that verify-pack needs nothing else.
	Bundles      verify.BundleVerifier
	TrustedRoots [][]byte
}

// ErrNotPassed is returned by [Build] when the release does not verify: a
// pack is only ever made of a release that passed.
var ErrNotPassed = errors.New("the release does not pass its policy; no pack was written")

// Plan is a pack ready to [Write], and the verification it rests on.
type Plan struct {
	Manifest *Manifest
	Files    []Content
	Result   *verify.Result
	// Receipts and Checkpoint say what of a log went in.
	Receipts   int
	Checkpoint *tlog.SignedCheckpoint
	// Notes are things the packer should know.
	Notes []string
}

// Build verifies the release as [verify.Verify] does and plans its pack:
// the signed policy, every attestation a stage counted (exact bytes, and
// nothing else), their receipts, the latest checkpoint and consistency
// proofs when a log is involved, the SBOMs of counted SBOM attestations, a
// signed VSA when asked, and the included artifacts. When the release does
// not pass, it returns the result and an error wrapping [ErrNotPassed].
func Build(ctx context.Context, cfg BuildConfig) (*Plan, error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	sp, err := policy.Open(cfg.Policy, cfg.TrustRoots, now())
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", cfg.PolicyName, err)
	}
	var logKey *tlog.Verifier
	var set *receipt.Set
	if sp.Log != nil && sp.Log.Key != nil {
		if logKey, err = LogKey(sp.Policy); err != nil {
			return nil, err
		}
		set = receipt.NewSet(logKey, tlog.CheckpointOptions{})
		for _, in := range cfg.Receipts {
			docs, err := in.Documents()
			if err == nil {
				_, err = set.AddLines(docs, in.Name)
			}
			if err != nil {
				return nil, fmt.Errorf("receipts in %s: %w", in.Name, err)
			}
		}
	} else if cfg.Log != nil {
		return nil, fmt.Errorf("the policy names no transparency log, so its checkpoints mean nothing to verify-pack; sign a policy with a 'log:' key, or pack without --server")
	}
	if cfg.VSA != nil && !knownKey(sp, cfg.VSA.Signer.KeyID()) {
		return nil, fmt.Errorf("%w: the VSA key %s is neither the owner's nor one the policy names, so a customer could not check it", ErrVSAKey, shortID(cfg.VSA.Signer.KeyID()))
	}
	vc := verify.Config{
		Policy: cfg.Policy, PolicyName: cfg.PolicyName, TrustRoots: cfg.TrustRoots,
		Attestations: cfg.Attestations, Artifacts: cfg.Artifacts, Now: cfg.Now, VSA: cfg.VSA,
		Bundles: cfg.Bundles, TrustedRoots: cfg.TrustedRoots,
	}
	if set != nil {
		vc.Receipts = set
	}
	res, err := verify.Verify(ctx, vc)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Result: res}
	if logKey == nil && len(cfg.Receipts) > 0 {
		plan.Notes = append(plan.Notes, "receipts were found, but the policy names no log key ('log:'), so they were left out")
	}
	if !res.Passed {
		return plan, fmt.Errorf("%w: %w", ErrNotPassed, res.Err())
	}
	b := &builder{plan: plan, stageIndex: map[string]int{}}
	for i, st := range res.Stages {
		b.stageIndex[st.Name] = i + 1
	}
	polName := safeBase(cfg.PolicyName, "policy.signed.json")
	release := cfg.Release
	if release == "" {
		release = path.Base(cfg.Artifacts[0].Name)
	}
	m := &Manifest{Product: sp.Product, Release: release, Policy: "policy/" + polName}
	b.add(Content{File: File{Path: m.Policy, Role: RolePolicy}, Data: cfg.Policy})
	if err := b.attestations(res, logKey, cfg.Receipts); err != nil {
		return nil, err
	}
	b.trustedRoots(sp.Policy, cfg.TrustedRoots)
	if logKey != nil {
		if err := b.log(ctx, cfg.Log, logKey); err != nil {
			return nil, err
		}
	}
	if res.VSA != nil {
		env, err := json.Marshal(res.VSA)
		if err != nil {
			return nil, err
		}
		b.add(Content{File: File{Path: "vsa/" + safeBase(release, "release") + ".vsa.intoto.jsonl", Role: RoleVSA}, Data: append(env, '\n')})
	}
	for i, a := range cfg.Artifacts {
		ma := Artifact{Name: a.Name, Digest: a.Digest}
		if file, ok := cfg.Include[i]; ok {
			fi, err := os.Stat(file)
			if err != nil {
				return nil, err
			}
			mode := os.FileMode(0o644)
			if fi.Mode()&0o111 != 0 {
				mode = 0o755
			}
			ma.Path = "artifacts/" + safeBase(a.Name, fmt.Sprintf("artifact-%d", i+1))
			b.add(Content{File: File{Path: ma.Path, Role: RoleArtifact, Mode: ModeString(mode), SHA256: a.Digest[digest.SHA256], Size: fi.Size()}, Disk: file})
		}
		m.Artifacts = append(m.Artifacts, ma)
	}
	plan.Manifest = m
	return plan, nil
}

// ErrVSAKey is returned by [Build] for a VSA key a customer could not check.
var ErrVSAKey = errors.New("the VSA cannot be verified from the pack")

func knownKey(sp *policy.Signed, id string) bool {
	if id == sp.SignedBy {
		return true
	}
	for _, kh := range sp.Keys() {
		if kh.Key.ID == id {
			return true
		}
	}
	return false
}

// LogKey is the transparency log key a policy names, as a tlog verifier,
// pinned to the log origin the policy names, if it names one.
func LogKey(p *policy.Policy) (*tlog.Verifier, error) {
	if p.Log == nil || p.Log.Key == nil {
		return nil, errors.New("the policy names no log key")
	}
	ed, ok := p.Log.Key.Verifier.Public().(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the policy's log key %s is not Ed25519", p.Log.Key.ID)
	}
	v := tlog.NewKeyVerifier(ed)
	if p.Log.Origin == "" {
		return v, nil
	}
	return tlog.LoadVerifier(v.String(), p.Log.Origin)
}

func safeBase(name, fallback string) string {
	b := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if CheckName(b) != nil || strings.HasPrefix(b, ".") {
		return fallback
	}
	return b
}

type builder struct {
	plan       *Plan
	stageIndex map[string]int
	// checkpoints seen in packed receipts, by size.
	checkpoints map[uint64]*tlog.SignedCheckpoint
}

func (b *builder) add(c Content) { b.plan.Files = append(b.plan.Files, c) }

// trustedRoots packs each trusted root the policy names by digest only
// (one it carries is in the signed policy already), as given: the signed
// policy's digest is what makes it trusted, in the pack as anywhere.
func (b *builder) trustedRoots(p *policy.Policy, given [][]byte) {
	for _, r := range p.TrustedRoots {
		if r.JSON != nil {
			continue
		}
		for _, data := range given {
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) == r.SHA256 {
				b.add(Content{File: File{Path: "sigstore/" + r.Name + ".trusted_root.json", Role: RoleTrustedRoot}, Data: data})
				break
			}
		}
	}
}

type stageFile struct {
	prefix string // attestations/NN-STAGE
	lines  []jsonl.Line
	docs   int // whole documents packed, for their names
	sboms  int // SBOM predicates packed, for their names
	paes   map[[sha256.Size]byte]bool
}

// attestations packs the exact bytes of every counted attestation, grouped
// by the first stage that counted it, with their receipts and the
// predicates of the SBOM statements among them (for reading without
// unwrapping envelopes; verify-pack checks each is exactly such a
// predicate).
func (b *builder) attestations(res *verify.Result, logKey *tlog.Verifier, receipts []verify.Input) error {
	files := map[string]*stageFile{}
	var order []string
	seen := map[[sha256.Size]byte]bool{}
	for _, a := range res.Attestations {
		if a.Status != verify.StatusCounted || len(a.Stages) == 0 {
			continue
		}
		// Several attestations read from one document share its bytes:
		// the document is packed once. An envelope line read as it
		// streamed is packed as it was, never rebuilt whole.
		var raw []byte
		var sum [sha256.Size]byte
		line := a.Line()
		if line != nil {
			sum = line.Digest
		} else if raw = bytes.TrimSpace(a.Raw()); len(raw) == 0 {
			continue
		} else {
			sum = sha256.Sum256(raw)
		}
		if seen[sum] {
			continue
		}
		seen[sum] = true
		st := a.Stages[0]
		sf := files[st]
		if sf == nil {
			sf = &stageFile{prefix: fmt.Sprintf("attestations/%02d-%s", b.stageIndex[st], safeBase(st, "stage")), paes: map[[sha256.Size]byte]bool{}}
			files[st] = sf
			order = append(order, st)
		}
		items, err := itemsOf(a)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.Envelope != nil {
				sf.paes[attest.PAESum(it.Envelope.PayloadType, it.Envelope.Payload)] = true
			}
		}
		preds, err := sbomPredicatesOf(items)
		if err != nil {
			return err
		}
		for _, p := range preds {
			sf.sboms++
			name := strings.Replace(sf.prefix, "attestations/", "sboms/", 1) + fmt.Sprintf(".%d%s", sf.sboms, p.ext)
			b.add(Content{File: File{Path: name, Role: RoleSBOM}, Data: p.data})
		}
		if line != nil {
			sf.lines = append(sf.lines, jsonl.Line{Streamed: line})
			continue
		}
		if !bytes.Contains(raw, []byte("\n")) {
			sf.lines = append(sf.lines, jsonl.Line{Data: raw})
			continue
		}
		sf.docs++
		ext := ".json"
		if a.Format == attest.FormatLegacyLink {
			ext = ".link"
		}
		b.add(Content{File: File{Path: fmt.Sprintf("%s.%d%s", sf.prefix, sf.docs, ext), Role: RoleAttestations}, Data: append(slices.Clone(raw), '\n')})
	}
	var verified []verifiedLine
	if logKey != nil {
		var err error
		if verified, err = verifyReceipts(logKey, receipts); err != nil {
			return err
		}
	}
	b.checkpoints = map[uint64]*tlog.SignedCheckpoint{}
	for _, st := range order {
		sf := files[st]
		if len(sf.lines) > 0 {
			b.add(Content{File: File{Path: sf.prefix + ".intoto.jsonl", Role: RoleAttestations}, Lines: sf.lines})
		}
		var rl [][]byte
		have := map[string]bool{}
		for _, v := range verified {
			if !sf.paes[v.receipt.Leaf.Statement] || have[string(v.line)] {
				continue
			}
			have[string(v.line)] = true
			rl = append(rl, v.line)
			b.plan.Receipts++
			b.checkpoints[v.receipt.Checkpoint.Size] = v.receipt.Checkpoint
		}
		if len(rl) > 0 {
			b.add(Content{File: File{Path: sf.prefix + ".receipts.jsonl", Role: RoleReceipts}, Data: joinLines(rl)})
		}
	}
	return nil
}

// verifiedLine is one receipt, as its file has it and as it verified.
type verifiedLine struct {
	line    []byte
	receipt *tlog.VerifiedReceipt
}

// verifyReceipts verifies every receipt of the files once, in order; one
// that does not verify is an error.
func verifyReceipts(key *tlog.Verifier, files []verify.Input) ([]verifiedLine, error) {
	var out []verifiedLine
	for _, in := range files {
		docs, err := in.Documents()
		if err != nil {
			return nil, fmt.Errorf("receipts in %s: %w", in.Name, err)
		}
		for _, d := range docs {
			line := d.Data
			r, err := tlog.ParseReceipt(line)
			if err != nil {
				return nil, fmt.Errorf("receipts in %s: %w", in.Name, err)
			}
			v, err := tlog.VerifyReceipt(r, key, tlog.CheckpointOptions{})
			if err != nil {
				return nil, fmt.Errorf("receipts in %s: %w", in.Name, err)
			}
			out = append(out, verifiedLine{line: line, receipt: v})
		}
	}
	return out, nil
}

type sbomPredicate struct {
	data []byte
	ext  string
}

// sbomPredicates returns the SBOM predicates of the statements in raw, the
// exact bytes of an attestation that was counted.
// itemsOf is what a counted attestation holds: read again from its bytes,
// or the envelope of a line read as it streamed (not rebuilt).
func itemsOf(a *verify.AttestationResult) ([]attest.Item, error) {
	if l := a.Line(); l != nil {
		return []attest.Item{{Source: a.Source, Format: attest.FormatDSSE, Envelope: l.Envelope, Malformed: l.Malformed}}, nil
	}
	items, err := reread(bytes.TrimSpace(a.Raw()), a.Source)
	if err != nil {
		return nil, fmt.Errorf("re-reading %s: %w", a.Source, err)
	}
	return items, nil
}

func sbomPredicates(raw []byte) ([]sbomPredicate, error) {
	items, err := reread(bytes.TrimSpace(raw), "attestation")
	if err != nil {
		return nil, err
	}
	return sbomPredicatesOf(items)
}

// sbomPredicatesOf returns the SBOM predicates of the statements in items,
// which were counted: a statement whose predicateType its top-level
// members show is no SBOM's is not parsed again (a step's link can list
// a million artifacts); any other is, as it was when it was verified.
func sbomPredicatesOf(items []attest.Item) ([]sbomPredicate, error) {
	var out []sbomPredicate
	for _, it := range items {
		if it.Envelope == nil || it.Envelope.PayloadType != attest.PayloadType {
			continue
		}
		if pt, ok := attest.PredicateTypeOf(it.Envelope.Payload); ok && sbomExt(pt) == "" {
			continue
		}
		st, err := attest.ParseStatement(it.Envelope.Payload)
		if err != nil {
			return nil, err
		}
		ext := sbomExt(st.PredicateType)
		if ext == "" {
			continue
		}
		out = append(out, sbomPredicate{data: []byte(st.Predicate), ext: ext})
	}
	return out, nil
}

// sbomExt is the file name extension of an SBOM of predicate type pt, or
// "" if pt is no SBOM's.
func sbomExt(pt string) string {
	switch {
	case pt == attest.PredicateCycloneDX || strings.HasPrefix(pt, attest.PredicateCycloneDX+"/"):
		return ".cdx.json"
	case pt == attest.PredicateSPDX || strings.HasPrefix(pt, attest.PredicateSPDX+"/"):
		return ".spdx.json"
	}
	return ""
}

func joinLines(lines [][]byte) []byte {
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// consistencyFile is log/consistency.json.
type consistencyFile struct {
	Size   uint64             `json:"size"`
	Root   tlog.Hash          `json:"root"`
	Proofs []consistencyProof `json:"proofs"`
}

type consistencyProof struct {
	From     uint64      `json:"from"`
	FromRoot tlog.Hash   `json:"fromRoot"`
	Proof    []tlog.Hash `json:"proof"`
}

// log packs the latest checkpoint: the log's, when asked (verified, and
// proven to extend every packed receipt's checkpoint), or else the largest
// of the receipts'.
func (b *builder) log(ctx context.Context, src LogSource, key *tlog.Verifier) error {
	var latest *tlog.SignedCheckpoint
	for _, cp := range b.checkpoints {
		if latest == nil || cp.Size > latest.Size {
			latest = cp
		}
	}
	if src == nil {
		if latest != nil {
			b.plan.Checkpoint = latest
			b.add(Content{File: File{Path: "log/checkpoint", Role: RoleCheckpoint}, Data: latest.Note})
		}
		return nil
	}
	note, err := src.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("fetching the log's checkpoint: %w", err)
	}
	cp, err := tlog.OpenCheckpoint(note, key, tlog.CheckpointOptions{})
	if err != nil {
		return fmt.Errorf("the log's checkpoint: %w", err)
	}
	cf := consistencyFile{Size: cp.Size, Root: cp.Root, Proofs: []consistencyProof{}}
	sizes := make([]uint64, 0, len(b.checkpoints))
	for s := range b.checkpoints {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	for _, s := range sizes {
		old := b.checkpoints[s]
		if s == cp.Size {
			if old.Root != cp.Root {
				return fmt.Errorf("%w: the log's checkpoint and a receipt's have %d entries and different roots", tlog.ErrFork, s)
			}
			continue
		}
		proof, err := src.Consistency(ctx, s, cp.Size)
		if err != nil {
			return fmt.Errorf("fetching a consistency proof from %d to %d entries: %w", s, cp.Size, err)
		}
		if err := tlog.VerifyConsistency(proof, s, old.Root, cp.Size, cp.Root); err != nil {
			return fmt.Errorf("the log's checkpoint: %w", err)
		}
		cf.Proofs = append(cf.Proofs, consistencyProof{From: s, FromRoot: old.Root, Proof: proof})
	}
	data, err := json.MarshalIndent(cf, "", "  ")
	if err != nil {
		return err
	}
	b.plan.Checkpoint = cp
	b.add(Content{File: File{Path: "log/checkpoint", Role: RoleCheckpoint}, Data: note})
	b.add(Content{File: File{Path: "log/consistency.json", Role: RoleConsistency}, Data: append(data, '\n')})
	return nil
}

// reread is [attest.Read] of raw, the exact bytes of a document verified
// once already: a document of one line is read where it lies rather than
// copied line by line (a million-subject link is a line of some 400 MB).
func reread(raw []byte, source string) ([]attest.Item, error) {
	if len(raw) > 0 && len(raw) <= limits.Envelope && bytes.IndexByte(raw, '\n') < 0 {
		return attest.ReadDocuments([]jsonl.Line{{N: 1, Data: raw}}, source)
	}
	return attest.Read(raw, source)
}
