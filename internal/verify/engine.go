package verify

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// engine evaluates one policy over verified items.
type engine struct {
	pol       *policy.Policy
	now       time.Time
	items     []*item
	artifacts []Artifact
	res       *Result
	// holders maps a key id to the functionaries that list it.
	holders map[string][]*policy.Functionary
	// identical makes the links of a stage agree exactly, as in-toto
	// layouts require (ReduceStepsMetadata); policies take the union of
	// their links' artifacts, each vouched for by threshold keys.
	identical bool
	// receiptsRequired is set when the policy's log asks for receipts.
	receiptsRequired bool

	records map[string]*record
	counted map[string][]*countedItem
}

// record is a stage's materials and products, once its attestations agree.
type record struct {
	materials, products map[string]digest.Set
}

// countedItem is an item that counts for a stage, with the keys that
// made it count.
type countedItem struct {
	it   *item
	keys []string
}

func newEngine(pol *policy.Policy, items []*item, artifacts []Artifact, res *Result, now time.Time) *engine {
	e := &engine{pol: pol, now: now, items: items, artifacts: artifacts, res: res, holders: map[string][]*policy.Functionary{},
		records: map[string]*record{}, counted: map[string][]*countedItem{}}
	for _, f := range pol.Functionaries {
		for _, k := range f.Keys {
			e.holders[k.ID] = append(e.holders[k.ID], f)
		}
	}
	e.receiptsRequired = pol.Log != nil && pol.Log.Receipts == policy.ReceiptsRequired
	return e
}

// typeKey folds the two link formats into one requirement: "link" is
// satisfied by an in-toto link v0.3 statement or an in-toto v0.9 link.
func typeKey(t string) string {
	if t == attest.LegacyLinkType {
		return attest.PredicateLink
	}
	return t
}

func (e *engine) requires(st *policy.Stage, t string) bool {
	return slices.Contains(st.Require, typeKey(t))
}

// run evaluates every stage: counting, records, rules, checks.
func (e *engine) run(ctx context.Context) {
	// Stages are counted, and then their rules applied, in parallel: a
	// stage's counting reads only the items, and its rules only the
	// records every stage has when the counting is done.
	results := make([]*StageResult, len(e.pol.Stages))
	counted := make([][]*countedItem, len(e.pol.Stages))
	records := make([]*record, len(e.pol.Stages))
	parallel(len(e.pol.Stages), func(i int) {
		results[i], counted[i], records[i] = e.countStage(e.pol.Stages[i])
	})
	for i, st := range e.pol.Stages {
		e.counted[st.Name] = counted[i]
		if records[i] != nil {
			e.records[st.Name] = records[i]
		}
		for _, c := range counted[i] {
			c.it.res.Stages = append(c.it.res.Stages, st.Name)
		}
	}
	parallel(len(e.pol.Stages), func(i int) {
		e.applyStageRules(e.pol.Stages[i], results[i])
	})
	for i, st := range e.pol.Stages {
		e.runChecks(ctx, st, results[i])
	}
	for i, st := range e.pol.Stages {
		sr := results[i]
		sr.Status = StatusPass
		for _, r := range sr.Rules {
			if r.Status == StatusFail {
				sr.Status = StatusFail
			}
		}
		for _, c := range sr.Checks {
			if c.Status == StatusFail {
				sr.Status = StatusFail
			}
		}
		if sr.Reason != "" {
			sr.Status = StatusFail
		}
		if sr.Status == StatusFail {
			e.res.fail(ErrNotSatisfied, "stage %s: %s", st.Name, stageFailure(sr))
		}
		e.res.Stages = append(e.res.Stages, sr)
	}
}

// stageFailure names the first thing that failed in a stage.
func stageFailure(sr *StageResult) string {
	if sr.Reason != "" {
		return firstLine(sr.Reason)
	}
	for _, r := range sr.Rules {
		if r.Status == StatusFail {
			return fmt.Sprintf("%s rule %s failed: %s", r.Side, r.Rule, r.Reason)
		}
	}
	for _, c := range sr.Checks {
		if c.Status == StatusFail {
			return fmt.Sprintf("%s check failed: %s", c.Kind, c.Reason)
		}
	}
	return "failed"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// countStage decides which attestations count for st and whether enough
// distinct signers (keys, keyless identities) signed each required type,
// then builds the stage's record.
func (e *engine) countStage(st *policy.Stage) (*StageResult, []*countedItem, *record) {
	sr := &StageResult{Name: st.Name, Threshold: st.Threshold, Require: st.Require,
		Signers: []SignerResult{}, Attestations: []*AttestationResult{}, Rules: []RuleResult{}, Checks: []CheckResult{}}
	stageKeys := map[string]bool{}
	for _, id := range e.pol.StageKeys(st) {
		stageKeys[id] = true
	}
	keysByType := map[string]map[string]bool{}
	signerOf := map[string]SignerResult{}
	var all []string
	inAll := map[string]bool{}
	var counted []*countedItem
	for _, it := range e.items {
		if it.err != nil || len(it.signers) == 0 || !e.requires(st, it.predicateType) {
			continue
		}
		newResult := func() *AttestationResult {
			return &AttestationResult{Source: it.res.Source, Format: it.res.Format, Digest: it.res.Digest, PredicateType: it.predicateType, Name: it.linkName}
		}
		if it.isLink && it.linkName != st.Name {
			// A link counts only for the stage it names; "build-evil" is
			// not "build" (security case 22c in docs/security.md).
			if e.pol.Stage(it.linkName) == nil && e.anyStageKey(it, stageKeys, st) {
				ar := newResult()
				ar.Status, ar.Reason = StatusNotCounted, fmt.Sprintf("a link for %q, which is no stage of the policy", it.linkName)
				sr.Attestations = append(sr.Attestations, ar)
			}
			continue
		}
		ar := newResult()
		var good []string
		for _, sig := range it.signers {
			s := e.judge(sig, stageKeys, st)
			ar.Signers = append(ar.Signers, s)
			if s.Status == "valid" {
				good = append(good, sig.keyID)
				if _, ok := signerOf[sig.keyID]; !ok {
					signerOf[sig.keyID] = SignerResult{KeyID: s.KeyID, Identity: s.Identity, Functionary: s.Functionary, Status: "valid"}
				}
			}
		}
		if len(good) == 0 {
			ar.Status, ar.Reason = StatusNotCounted, fmt.Sprintf("no valid signature by a functionary of stage %s (%s)", st.Name, strings.Join(st.By, ", "))
		} else {
			ar.Status = StatusCounted
			counted = append(counted, &countedItem{it: it, keys: good})
			t := typeKey(it.predicateType)
			if keysByType[t] == nil {
				keysByType[t] = map[string]bool{}
			}
			for _, k := range good {
				keysByType[t][k] = true
				if !inAll[k] {
					inAll[k] = true
					all = append(all, k)
				}
			}
		}
		sr.Attestations = append(sr.Attestations, ar)
	}
	for _, k := range all {
		sr.Signers = append(sr.Signers, signerOf[k])
	}
	var problems []string
	for _, t := range st.Require {
		n := len(keysByType[t])
		switch {
		case n == 0:
			// An empty match set is a failure (security case 7 in docs/security.md).
			problems = append(problems, fmt.Sprintf("no %s attestation signed by its functionaries (%s)", attest.ShortName(t), strings.Join(st.By, ", ")))
		case n < st.Threshold:
			problems = append(problems, fmt.Sprintf("%s: %d of %d distinct signer(s) signed (threshold not met)", attest.ShortName(t), n, st.Threshold))
		}
	}
	var rec *record
	if len(problems) == 0 {
		r, recProblems := e.buildRecord(st, counted)
		problems = append(problems, recProblems...)
		if len(recProblems) == 0 {
			rec = r
		}
	}
	sr.Reason = strings.Join(problems, "; ")
	return sr, counted, rec
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines and waits.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func (e *engine) anyStageKey(it *item, stageKeys map[string]bool, st *policy.Stage) bool {
	for _, s := range it.signers {
		if e.signsFor(s, stageKeys, st) {
			return true
		}
	}
	return false
}

// signsFor reports whether a signature is by a functionary of st: its key
// is one of the stage's keys, or its keyless identity matched the identity
// of a functionary the stage names.
func (e *engine) signsFor(sig signature, stageKeys map[string]bool, st *policy.Stage) bool {
	if sig.identity == nil {
		return stageKeys[sig.keyID]
	}
	for _, f := range sig.holders {
		if slices.Contains(st.By, f.Name) {
			return true
		}
	}
	return false
}

// holdersOf returns the functionaries a signature speaks for.
func (e *engine) holdersOf(sig signature) []*policy.Functionary {
	if sig.identity != nil {
		return sig.holders
	}
	return e.holders[sig.keyID]
}

func names(fs []*policy.Functionary) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return strings.Join(out, ", ")
}

// judge says whether one valid signature counts for a stage: its key must
// belong to a functionary of the stage and be valid, at the time the log
// recorded the attestation or, without a receipt, now (docs/design.md "Receipt":
// a time an attestation claims for itself is never used). A key listed by
// several functionaries must be valid for every one of them.
func (e *engine) judge(sig signature, stageKeys map[string]bool, st *policy.Stage) SignerResult {
	holders := e.holdersOf(sig)
	s := SignerResult{KeyID: sig.keyID, Identity: sig.identity, Functionary: names(holders)}
	if sig.identity != nil {
		s.KeyID = ""
	}
	if !e.signsFor(sig, stageKeys, st) {
		s.Status, s.Reason = "unauthorized", "does not sign for this stage"
		return s
	}
	t := e.now
	if !sig.loggedAt.IsZero() {
		if sig.loggedAt.After(e.now) {
			// A log time in the future is not a time (security case 25 in docs/security.md).
			s.Status, s.Reason = "invalid", fmt.Sprintf("the receipt's time %s is in the future", sig.loggedAt.Format(time.RFC3339))
			return s
		}
		t = sig.loggedAt
		lt := sig.loggedAt
		s.LoggedAt = &lt
	} else if e.receiptsRequired {
		s.Status, s.Reason = "no receipt", "the policy requires a log receipt"
		if sig.receipt != nil {
			s.Reason += ": " + sig.receipt.Error()
		}
		return s
	}
	for _, f := range holders {
		if ok, why := f.ValidAt(t); !ok {
			s.Status, s.Reason = "expired", why
			if !f.RevokedAt.IsZero() && !t.Before(f.RevokedAt) {
				s.Status = "revoked"
			}
			if sig.loggedAt.IsZero() {
				s.Reason += " (judged at verification time: no log receipt)"
			}
			return s
		}
	}
	s.Status = "valid"
	return s
}

// buildRecord gathers the stage's materials and products from its counted
// links (or, when it has none, its attestations' subjects as products).
func (e *engine) buildRecord(st *policy.Stage, counted []*countedItem) (*record, []string) {
	var links []*countedItem
	for _, c := range counted {
		if c.it.isLink {
			links = append(links, c)
		}
	}
	src := links
	if len(src) == 0 {
		src = counted
	}
	if e.identical {
		return identicalRecord(src)
	}
	if len(src) == 1 && st.Threshold <= 1 {
		// One attestation, one key enough: the record is its artifacts,
		// shared as identicalRecord shares them (nothing writes to a
		// record), not copied one by one.
		return &record{materials: src[0].it.materials, products: src[0].it.products}, nil
	}
	nm, np := 0, 0
	for _, c := range src {
		nm, np = nm+len(c.it.materials), np+len(c.it.products)
	}
	rec := &record{materials: make(map[string]digest.Set, nm), products: make(map[string]digest.Set, np)}
	var problems []string
	for _, side := range []struct {
		name string
		dst  map[string]digest.Set
		get  func(*item) map[string]digest.Set
	}{
		{"material", rec.materials, func(it *item) map[string]digest.Set { return it.materials }},
		{"product", rec.products, func(it *item) map[string]digest.Set { return it.products }},
	} {
		// The keys that vouch for each artifact, counted only when one
		// key is not enough.
		var votes map[string][]string
		if st.Threshold > 1 {
			votes = map[string][]string{}
		}
		for _, c := range src {
			for name, d := range side.get(c.it) {
				if have, ok := side.dst[name]; ok {
					if !sameContent(have, d) {
						problems = append(problems, fmt.Sprintf("%s %s is reported with different digests (%s in %s)", side.name, name, d, c.it.res.Source))
						continue
					}
					if !sameSet(have, d) {
						// Copy before merging: the set may be an item's.
						merged := cloneSet(have)
						for alg, v := range d {
							merged[alg] = v
						}
						side.dst[name] = merged
					}
				} else {
					side.dst[name] = d
				}
				if votes == nil {
					continue
				}
				for _, k := range c.keys {
					if !slices.Contains(votes[name], k) {
						votes[name] = append(votes[name], k)
					}
				}
			}
		}
		if st.Threshold > 1 {
			for _, name := range sortedKeys(votes) {
				if n := len(votes[name]); n < st.Threshold {
					problems = append(problems, fmt.Sprintf("%s %s is vouched for by %d of %d distinct signer(s)", side.name, name, n, st.Threshold))
				}
			}
		}
	}
	if len(problems) > 8 {
		problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
	}
	return rec, problems
}

// identicalRecord is in-toto's reduction: every link of a step must report
// the same materials and products (in-toto python reduce_chain_links).
func identicalRecord(src []*countedItem) (*record, []string) {
	ref := src[0].it
	for _, c := range src[1:] {
		if !sameArtifacts(ref.materials, c.it.materials) || !sameArtifacts(ref.products, c.it.products) {
			return nil, []string{fmt.Sprintf("links %s and %s report different artifacts", ref.res.Source, c.it.res.Source)}
		}
	}
	return &record{materials: ref.materials, products: ref.products}, nil
}

// sameSet reports whether two digest sets are equal, algorithm for algorithm.
func sameSet(a, b digest.Set) bool {
	if len(a) != len(b) {
		return false
	}
	if v, ok := onlySHA256(a); ok {
		w, ok := b[digest.SHA256]
		return ok && w == v
	}
	for alg, v := range a {
		if b[alg] != v {
			return false
		}
	}
	return true
}

func sameArtifacts(a, b map[string]digest.Set) bool {
	if len(a) != len(b) {
		return false
	}
	for name, d := range a {
		o, ok := b[name]
		if !ok || len(o) != len(d) {
			return false
		}
		for alg, v := range d {
			if o[alg] != v {
				return false
			}
		}
	}
	return true
}

func cloneSet(d digest.Set) digest.Set {
	out := make(digest.Set, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

// checkArtifacts requires every artifact to be a subject of the final
// stage's counted attestations, vouched for by threshold distinct keys
// (security cases 65 and 67 in docs/security.md); subject names are not compared (66).
func (e *engine) checkArtifacts(artifacts []Artifact) {
	final := e.pol.Stages[len(e.pol.Stages)-1]
	// Index the final stage's subjects by digest value, so that each
	// artifact costs a lookup, not a pass over every attestation or over
	// every subject of one. A subject matches an artifact only if they agree
	// on a strong algorithm (digest.Matches), so the subjects filed under
	// the artifact's strong values are all the subjects that can match.
	type digestKey struct{ alg, value string }
	type indexed struct {
		c  *countedItem
		sd digest.Set
	}
	counted := e.counted[final.Name]
	byDigest := make(map[digestKey][]indexed, len(counted))
	strongAlgs := [...]string{digest.SHA256, digest.SHA512, digest.SHA384}
	for _, c := range counted {
		eachSubjectDigest(c.it, func(d digest.Set) bool {
			for _, alg := range strongAlgs {
				if v := d[alg]; v != "" {
					k := digestKey{alg, v}
					byDigest[k] = append(byDigest[k], indexed{c, d})
				}
			}
			return true
		})
	}
	var cands []*countedItem
	var keys, sources []string
	e.res.Artifacts = slices.Grow(e.res.Artifacts, len(artifacts))
	for _, a := range artifacts {
		ar := ArtifactResult{Name: a.Name, Digest: a.Digest}
		// cands: the counted attestations with a subject matching a.Digest
		// by the rule of digest.Matches, each once, in index order.
		cands = cands[:0]
		for _, alg := range strongAlgs {
			if v := a.Digest[alg]; v != "" {
				for _, x := range byDigest[digestKey{alg, v}] {
					if !slices.Contains(cands, x.c) && digest.MatchesValidated(x.sd, a.Digest) {
						cands = append(cands, x.c)
					}
				}
			}
		}
		keys, sources = keys[:0], sources[:0]
		for _, c := range cands {
			sources = append(sources, c.it.res.Source)
			for _, k := range c.keys {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		switch {
		case len(keys) == 0:
			ar.Status, ar.Reason = StatusFail, fmt.Sprintf("no subject of stage %s matches the artifact's digest", final.Name)
		case len(keys) < final.Threshold:
			ar.Status, ar.Reason = StatusFail, fmt.Sprintf("a subject of stage %s, vouched for by %d of %d distinct signer(s)", final.Name, len(keys), final.Threshold)
		default:
			if len(sources) > 3 {
				sources = append(sources[:3], fmt.Sprintf("and %d more", len(sources)-3))
			}
			ar.Status, ar.Reason = StatusPass, fmt.Sprintf("a subject of stage %s (%s)", final.Name, strings.Join(sources, ", "))
		}
		if ar.Status == StatusFail {
			e.res.fail(ErrNotSatisfied, "artifact %s: %s", a.Name, ar.Reason)
		}
		e.res.Artifacts = append(e.res.Artifacts, ar)
	}
}

// eachSubjectDigest calls f with each digest set an item vouches for (its
// statement's subjects, or a link's products) until f returns false.
func eachSubjectDigest(it *item, f func(digest.Set) bool) {
	if it.st != nil {
		for _, s := range it.st.Subject {
			if !f(s.Digest) {
				return
			}
		}
		return
	}
	for _, d := range it.products {
		if !f(d) {
			return
		}
	}
}
