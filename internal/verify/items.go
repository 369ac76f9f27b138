package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sign"
)

// item is one attestation read from the inputs, and what verification
// learnt of it.
type item struct {
	res *AttestationResult
	raw []byte
	// line is set, and raw nil, for an envelope line read as it streamed.
	line *attest.EnvelopeLine

	env  *attest.Envelope
	link *attest.LegacyLink
	// bundle is set when env came in a Sigstore bundle (it.raw).
	bundle bool
	err    error // the item could not be read or is not a valid attestation

	// Filled in once at least one signature verified.
	st            *attest.Statement
	predicateType string
	isLink        bool
	linkName      string
	// exit is the exit status a link records for its step's command
	// (attest.ReturnValue), when hasExit; exitErr is set when what it
	// records is no exit status.
	exit    int64
	hasExit bool
	exitErr error
	// subjects are the statement's subjects, in its order (its Subject
	// is nil: see predicate.ParseStatementTableUnsafe).
	subjects *digest.Table
	// materials and products of a link (filed by fileTable); products
	// are the subjects for a statement.
	materials, products *digest.Table
	// layout is set for a signed in-toto layout (a sublayout).
	layout []byte

	// pending is set for an envelope line not parsed yet: readItems parses
	// it, in parallel with the other items.
	pending bool
	// doc is set for a file of one document not read yet: readItems reads
	// it, in parallel with the other items.
	doc []jsonl.Line
	// owned is set when doc was read into buffers nothing else holds (see
	// Input.owned).
	owned bool
	// group is the item's input; its last signer is tried first.
	group *group

	signers []signature
}

// group is one input file: its items are usually signed by one key, so the
// key that verified the last of them is tried first on the next.
type group struct {
	last atomic.Pointer[sign.Verifier]
}

// signature is one key, or one keyless identity, with a valid signature
// over an item.
type signature struct {
	keyID    string
	loggedAt time.Time // zero without a receipt; a keyless bundle's verified time
	receipt  error     // why there is no receipt, when a checker was asked

	// For a keyless signature: the certificate's identity and the
	// functionaries whose identities it matches (who holds a key is the
	// policy's to say; who holds a certificate, its identities').
	identity *SignerIdentity
	holders  []*policy.Functionary
}

// readResult is what reading the attestations gave.
type readResult struct {
	items    []*item
	panicked any
}

// readItems splits the inputs into items, one per envelope, bundle or link,
// keeping the exact bytes of each.
func readItems(inputs []Input) []*item {
	var out []*item
	for _, in := range inputs {
		g := &group{}
		first := len(out)
		docs, err := in.Documents()
		if err != nil {
			out = append(out, invalidItem(in.Name, nil, err))
			continue
		}
		if len(docs) == 0 {
			out = append(out, invalidItem(in.Name, nil, fmt.Errorf("%s: %w", in.Name, attest.ErrEmpty)))
			continue
		}
		if el, ok := docs[0].Streamed.(*attest.EnvelopeLine); ok && len(docs) == 1 {
			out = append(out, streamedItem(el, in.Name))
			continue
		}
		if len(docs) == 1 {
			// One document (an envelope, a bundle, a pretty-printed link),
			// or something attest.Read recognises or refuses: read below,
			// in parallel with the others (an in-toto link can hold
			// thousands of artifacts).
			out = append(out, &item{raw: docs[0].Data, doc: docs, owned: in.owned, res: &AttestationResult{Source: in.Name}})
			continue
		}
		for _, d := range docs {
			line := d.Data
			src := in.Name + ":" + strconv.Itoa(d.N)
			if el, ok := d.Streamed.(*attest.EnvelopeLine); ok {
				out = append(out, streamedItem(el, src))
				continue
			}
			if bytes.HasPrefix(line, []byte(`{"payloadType":`)) {
				// The common case, as consign writes it: one strict parse,
				// done by checkItem in parallel.
				out = append(out, &item{raw: line, pending: true, res: &AttestationResult{Source: src, Format: attest.FormatDSSE}})
				continue
			}
			items, err := attest.Read(line, src)
			if err != nil {
				out = append(out, invalidItem(src, line, err))
				continue
			}
			for j := range items {
				out = append(out, fromAttestItem(&items[j], line))
			}
		}
		for _, it := range out[first:] {
			it.group = g
		}
	}
	// Read the single documents, hash every item, and parse the envelope
	// lines, on every core.
	parallel(len(out), func(i int) {
		it := out[i]
		if it.doc != nil {
			readDocument(it)
		}
		if it.raw != nil {
			sum := sha256.Sum256(it.raw)
			it.res.Digest = digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
		}
		if it.pending {
			parsePending(it)
		}
	})
	return out
}

// readDocument reads the one document of a file (it.doc) into it, as
// attest.ReadDocuments does. A panic on hostile input makes the item
// invalid, never a crash or a pass (security case 11 in docs/security.md).
func readDocument(it *item) {
	src, data, docs := it.res.Source, it.raw, it.doc
	defer func() {
		if r := recover(); r != nil {
			*it = *invalidItem(src, data, fmt.Errorf("%w: internal error reading the attestation: %v", attest.ErrInvalid, r))
		}
	}()
	read := attest.ReadDocuments
	if it.owned {
		read = attest.ReadDocumentsUnsafe
	}
	items, err := read(docs, src)
	switch {
	case err != nil:
		*it = *invalidItem(src, data, err)
	case len(items) != 1:
		*it = *invalidItem(src, data, fmt.Errorf("%w: %d items in one document", attest.ErrInvalid, len(items)))
	default:
		*it = *fromAttestItem(&items[0], data)
	}
}

// parsePending parses an envelope line strictly. A panic on hostile input
// makes the item invalid, never a crash or a pass (security case 11 in docs/security.md).
func parsePending(it *item) {
	defer func() {
		if r := recover(); r != nil {
			it.env, it.err = nil, fmt.Errorf("%w: internal error reading the attestation: %v", attest.ErrInvalid, r)
		}
	}()
	it.pending = false
	it.env, _, it.err = attest.ParseEnvelope(it.raw)
}

// streamedItem is an envelope line read as it streamed: parsed already,
// as parsePending would have parsed it.
func streamedItem(el *attest.EnvelopeLine, src string) *item {
	it := &item{line: el, env: el.Envelope, res: &AttestationResult{Source: src, Format: attest.FormatDSSE}}
	it.res.Digest = digest.Set{digest.SHA256: hex.EncodeToString(el.Digest[:])}
	return it
}

func invalidItem(src string, raw []byte, err error) *item {
	return &item{raw: raw, err: err, res: &AttestationResult{Source: src}}
}

func fromAttestItem(ai *attest.Item, raw []byte) *item {
	it := &item{raw: raw, env: ai.Envelope, link: ai.Link, err: ai.Err, bundle: ai.Format == attest.FormatSigstoreBundle, res: &AttestationResult{Source: ai.Source, Format: ai.Format}}
	if ai.Err == nil && ai.Blob != nil {
		it.err = fmt.Errorf("%w: a signature over a blob carries no statement; a policy needs attestations", attest.ErrInvalid)
	}
	return it
}

// checkAll verifies every item's signatures and content, in parallel.
func checkAll(items []*item, ix *keyIndex, receipts ReceiptChecker, prefer preferFunc) {
	workers := min(runtime.GOMAXPROCS(0), len(items))
	var wg sync.WaitGroup
	next := make(chan *item)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range next {
				checkItem(it, ix, receipts, prefer)
			}
		}()
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
}

// checkItem verifies one item: payload type first, then signatures over the
// exact signed bytes, and only then the content, strictly. A panic on hostile
// input becomes an invalid item, never a crash or a pass (security case 11 in docs/security.md).
// canonBufs keeps the buffers checkItem writes legacy links' canonical
// forms in: an in-toto link of thousands of artifacts is a canonical form
// as large, dropped once its signatures are checked.
var canonBufs = sync.Pool{New: func() any { return new([]byte) }}

func checkItem(it *item, ix *keyIndex, receipts ReceiptChecker, prefer preferFunc) {
	defer func() {
		if r := recover(); r != nil {
			it.err = fmt.Errorf("%w: internal error reading the attestation: %v", attest.ErrInvalid, r)
			it.signers = nil
		}
	}()
	if it.pending {
		parsePending(it)
	}
	if it.err != nil {
		return
	}
	var msg *sign.Message
	var hints []string
	var sigs [][]byte
	switch {
	case it.env != nil:
		if err := attest.CheckPayloadType(it.env.PayloadType); err != nil {
			it.err = err
			return
		}
		// The payload is hashed where it lies, after PAE's head: no copy.
		if it.line != nil && it.line.Envelope == it.env {
			msg = it.line.PAEMessage()
		} else {
			msg = attest.PAEMessage(it.env.PayloadType, it.env.Payload)
		}
		for _, s := range it.env.Signatures {
			hints, sigs = append(hints, s.KeyID), append(sigs, s.Sig)
		}
		if !it.bundle {
			it.res.Format = attest.FormatDSSE
		}
	case it.link != nil:
		// The canonical form is the signed message and nothing more: its
		// buffer goes back for the next link once the signatures are
		// checked (signedBy keeps no part of msg).
		buf := canonBufs.Get().(*[]byte)
		canon, err := attest.AppendCanonical((*buf)[:0], it.link.Signed)
		defer func() {
			*buf = canon[:0]
			canonBufs.Put(buf)
		}()
		if err != nil {
			it.err = err
			return
		}
		msg = sign.NewMessage(canon)
		for _, s := range it.link.Signatures {
			hints, sigs = append(hints, s.KeyID), append(sigs, s.Sig)
		}
		it.res.Format = attest.FormatLegacyLink
	default:
		it.err = fmt.Errorf("%w: empty item", attest.ErrMalformed)
		return
	}
	var first *sign.Verifier
	if it.group != nil {
		first = it.group.last.Load()
	}
	ids := ix.signedBy(msg, hints, sigs, first, func() []*sign.Verifier {
		if prefer == nil {
			return nil
		}
		return prefer(it)
	})
	if len(ids) > 0 && it.group != nil {
		if v := ix.byID(ids[0]); v != nil {
			it.group.last.Store(v)
		}
	}
	if len(ids) == 0 {
		it.res.Status = StatusUnused
		it.res.Reason = "no signature by a key the policy names" + describeHints(hints)
		return
	}
	if err := it.readContent(); err != nil {
		it.err = err
		return
	}
	var loggedAt time.Time
	var rerr error
	if receipts != nil {
		if ec, ok := receipts.(envelopeChecker); ok && it.raw == nil {
			// A line read as it streamed is not rebuilt for a checker
			// that reads the envelope alone.
			loggedAt, rerr = ec.CheckEnvelope(it.env)
		} else {
			loggedAt, rerr = receipts.Check(it.env, it.bytes())
		}
		if rerr == nil && loggedAt.IsZero() {
			rerr = fmt.Errorf("the receipt has no time")
		}
		if rerr != nil {
			loggedAt = time.Time{}
		}
	}
	for _, id := range ids {
		it.signers = append(it.signers, signature{keyID: id, loggedAt: loggedAt, receipt: rerr})
	}
}

// envelopeChecker is a [ReceiptChecker] that needs the envelope alone,
// not its bytes (receipt.Set).
type envelopeChecker interface {
	CheckEnvelope(env *attest.Envelope) (time.Time, error)
}

// bytes returns the exact bytes the item was read from, rebuilt for an
// envelope line read as it streamed.
func (it *item) bytes() []byte {
	if it.raw == nil && it.line != nil {
		return it.line.AppendLine(nil)
	}
	return it.raw
}

func describeHints(hints []string) string {
	var named []string
	for _, h := range hints {
		if h != "" {
			named = append(named, shortID(h))
		}
	}
	if len(named) == 0 {
		return ""
	}
	return fmt.Sprintf(" (its signatures name key id %s)", strings.Join(named, ", "))
}

// readContent reads what a verified item says: a statement (and, for a
// link, its materials), or an in-toto v0.9 link or layout.
func (it *item) readContent() error {
	if it.link != nil {
		if it.link.Type == "layout" {
			it.layout = it.link.Signed
			it.predicateType = layoutType
			return nil
		}
		// attest validated the digest sets of a Metablock link.
		it.setExit(it.link.Byproducts)
		return it.setLink(it.link.Name, it.link.Materials, it.link.Products, true)
	}
	// The payload was decoded for this envelope alone and nothing writes
	// to it: the statement's strings are read from it, not from a copy.
	p, err := predicate.ParseStatementTableUnsafe(it.env.Payload)
	if p == nil {
		// Not a statement: an in-toto v0.9 link or layout in a DSSE
		// envelope (in-toto-golang's DSSE mode) is read as such.
		var probe struct {
			Type string `json:"_type"`
		}
		_ = json.Unmarshal(it.env.Payload, &probe)
		switch probe.Type {
		case "link":
			name, materials, products, byproducts, lerr := attest.ParseLinkBody(it.env.Payload)
			if lerr != nil {
				return lerr
			}
			it.setExit(byproducts)
			return it.setLink(name, tableOf(materials), tableOf(products), false)
		case "layout":
			if cerr := attest.CheckJSON(it.env.Payload); cerr != nil {
				return cerr
			}
			it.layout = it.env.Payload
			it.predicateType = layoutType
			return nil
		}
		return err
	}
	st := p.Statement
	// What the result keeps of the statement is cloned: a substring of
	// the payload would keep all of it alive with the result.
	it.st, it.subjects, it.predicateType = st, p.Subjects, strings.Clone(st.PredicateType)
	it.res.PredicateType = it.predicateType
	if err != nil {
		return err // a link predicate that does not parse
	}
	if p.Link != nil {
		it.setExit(p.Byproducts)
		return it.readLinkPredicate(p.Link, p.Materials)
	}
	it.products, err = fileTable(it.subjects, "subject", true, true)
	return err
}

// setExit records the exit status a link's byproducts record. What is
// not an exit status is kept as exitErr, for the link's stage to fail on:
// the link is still read, so that the failure names its stage.
func (it *item) setExit(byproducts []byte) {
	it.exit, it.hasExit, it.exitErr = attest.ReturnValue(byproducts)
}

// layoutType is the predicate type reported for an in-toto layout.
const layoutType = "https://in-toto.io/Layout/v0.9"

// setLink records an in-toto v0.9 link: its name, and its materials and
// products, each name listed once, in any order.
func (it *item) setLink(name string, materials, products *digest.Table, validated bool) error {
	name = strings.Clone(name) // kept by the result: see readContent
	it.isLink, it.linkName = true, name
	it.predicateType = attest.LegacyLinkType
	it.res.PredicateType, it.res.Name = attest.LegacyLinkType, name
	var err error
	if it.materials, err = fileByName(materials, "material", validated); err != nil {
		return err
	}
	it.products, err = fileByName(products, "product", validated)
	return err
}

// sameContent reports whether two digest sets name the same content: they
// are the same set, or they agree on a strong algorithm and disagree on none
// (the rule of [digest.Matches], for sets that were validated when they were
// read, so that it is not validated again for every comparison).
func sameContent(a, b digest.Set) bool {
	if v, ok := onlySHA256(a); ok {
		// The common case, without iterating over a map: both rules
		// reduce to comparing sha256.
		w, ok := b[digest.SHA256]
		return ok && v == w
	}
	if len(a) == len(b) {
		equal := true
		for k, v := range a {
			if b[k] != v {
				equal = false
				break
			}
		}
		if equal {
			return true
		}
	}
	return digest.MatchesValidated(a, b)
}

// onlySHA256 returns the value of a set that holds a sha256 digest and
// nothing else.
func onlySHA256(d digest.Set) (string, bool) {
	if len(d) != 1 {
		return "", false
	}
	v, ok := d[digest.SHA256]
	return v, ok
}

// readLinkPredicate records an in-toto link predicate v0.3: its name and
// materials, the products being the subjects.
func (it *item) readLinkPredicate(l *predicate.Link, materials *digest.Table) error {
	name := strings.Clone(l.Name) // kept by the result: see readContent
	it.isLink, it.linkName, it.res.Name = true, name, name
	var err error
	if it.materials, err = fileTable(materials, "material", false, false); err != nil {
		return err
	}
	it.products, err = fileTable(it.subjects, "product", true, false)
	return err
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
