package ui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// maxProductEntries bounds the entries of one product a page reads.
const maxProductEntries = 20000

// errNotFound is answered 404, the same for a missing and a forbidden thing.
var errNotFound = errors.New("not found")

// attestation is a logged entry as the pages show it.
type attestation struct {
	Index    int64
	Product  string
	Type     string
	Name     string // a link's step name, when there is one
	Subjects []subject
	Signers  []string // key ids the log verified
	Logged   time.Time
	Digest   string // "sha256:" and the hex SHA-256 of the envelope as logged
	// Receipt says whether the entry's receipt verified, and against what.
	Receipt   string
	ReceiptOK bool
	Statement string // the decoded statement, indented
	Envelope  string // the envelope as logged, indented

	entry *store.Entry
	pae   []byte
	pred  json.RawMessage
}

type subject struct{ Name, Digest string }

// kinds name the predicate types that have no step name of their own.
var kinds = map[string]string{
	attest.PredicateCycloneDX:      "SBOM (CycloneDX)",
	attest.PredicateSPDX:           "SBOM (SPDX)",
	attest.PredicateSLSAProvenance: "SLSA provenance",
	attest.PredicateTestResult:     "test result",
	attest.PredicateVSA:            "verification summary",
	attest.PredicateIntake:         "intake",
	attest.PredicateDelivery:       "delivery",
	attest.PredicatePatch:          "patch",
}

// decode reads a logged entry. The server checked it when it logged it;
// an entry that does not decode is shown as such, never trusted.
func decode(e *store.Entry) (*attestation, error) {
	env, _, err := attest.ParseEnvelope(e.Envelope)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Index, err)
	}
	st, err := attest.ParseStatement(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Index, err)
	}
	leaf, err := tlog.ParseLeaf(e.Leaf)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", e.Index, err)
	}
	sum := sha256.Sum256(e.Envelope)
	a := &attestation{Index: e.Index, Product: e.Product, Type: st.PredicateType, Logged: leaf.Time, Digest: "sha256:" + hex.EncodeToString(sum[:]),
		entry: e, pae: attest.PAE(env.PayloadType, env.Payload), pred: st.Predicate}
	for _, s := range st.Subject {
		a.Subjects = append(a.Subjects, subject{Name: s.Name, Digest: digestString(s.Digest)})
	}
	for _, s := range leaf.Signatures {
		a.Signers = append(a.Signers, s.KeyID)
	}
	var named struct {
		Name string `json:"name"`
	}
	if st.PredicateType == attest.PredicateLink && json.Unmarshal(st.Predicate, &named) == nil {
		a.Name = named.Name
	}
	if a.Name == "" {
		a.Name = kinds[st.PredicateType]
	}
	a.Statement = indent(env.Payload)
	a.Envelope = indent(e.Envelope)
	return a, nil
}

// digestString is a digest set's SHA-256 as "sha256:HEX", or its first algorithm's.
func digestString(d digest.Set) string {
	if v, ok := d[digest.SHA256]; ok {
		return digest.SHA256 + ":" + v
	}
	algs := make([]string, 0, len(d))
	for k := range d {
		algs = append(algs, k)
	}
	sort.Strings(algs)
	if len(algs) == 0 {
		return ""
	}
	return algs[0] + ":" + d[algs[0]]
}

func indent(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// release is a VSA logged for a product, and what it read.
type release struct {
	*attestation
	Result       string
	Verified     string
	PolicyURI    string
	PolicyDigest string
	Resource     string
	Inputs       []input
}

// input is one attestation a VSA names, and the logged entry that is it.
type input struct {
	URI, Digest string
	Entry       *attestation // nil when no entry of the product has that digest
}

// asRelease reads a as a release, or returns nil if it is not a VSA.
func asRelease(a *attestation) *release {
	if a.Type != attest.PredicateVSA {
		return nil
	}
	p, err := predicate.ParseVSA(a.pred)
	if err != nil {
		return &release{attestation: a, Result: "unreadable summary"}
	}
	r := &release{attestation: a, Result: p.VerificationResult, Verified: p.TimeVerified, PolicyURI: p.Policy.URI, PolicyDigest: digestString(p.Policy.Digest), Resource: p.ResourceURI}
	for _, in := range p.InputAttestations {
		r.Inputs = append(r.Inputs, input{URI: in.URI, Digest: digestString(in.Digest)})
	}
	return r
}

// productEntries reads and decodes the entries of product, oldest first;
// entries that do not decode are skipped and counted.
func (p *Portal) productEntries(ctx context.Context, product string) (out []*attestation, bad int, err error) {
	after := int64(-1)
	for len(out)+bad < maxProductEntries {
		es, err := p.cfg.Store.ProductEntries(ctx, store.ProductQuery{Product: product, After: after, Limit: 1000})
		if err != nil {
			return nil, 0, err
		}
		for _, e := range es {
			a, err := decode(e)
			if err != nil {
				bad++
				continue
			}
			out = append(out, a)
		}
		if len(es) < 1000 {
			break
		}
		after = es[len(es)-1].Index
	}
	return out, bad, nil
}

// receipt fills a's receipt status: the server's receipt for it, verified
// against the log's key and bound to the entry's statement.
func (p *Portal) receipt(ctx context.Context, a *attestation) {
	r, err := p.cfg.Log.Receipt(ctx, a.entry)
	if err != nil {
		a.Receipt = "no receipt: " + err.Error()
		return
	}
	v, err := tlog.VerifyReceiptFor(r, p.cfg.Log.LogVerifier(), tlog.CheckpointOptions{}, a.pae)
	if err != nil {
		a.Receipt = "receipt does not verify: " + err.Error()
		return
	}
	a.ReceiptOK = true
	a.Receipt = fmt.Sprintf("verified: entry %d of the checkpoint of size %d", v.Index, v.Checkpoint.Size)
}
