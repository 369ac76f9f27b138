package verify

import (
	"context"
	"fmt"
	"math"
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
	materials, products *digest.Table // filed by fileTable
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
		e.checkExits(st, results[i])
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

// CheckExit is the kind of the check a stage gets when one of its links
// records that its command exited with a non-zero status, or records a
// status that is no integer.
const CheckExit = "exit"

// checkExits fails a stage whose counted links record that the step's
// command failed, unless the policy allows the status for the stage
// (policy.Stage.AllowExitCodes; an in-toto layout has no such field). A
// link that records no status claims nothing. The check is reported only
// when a link records a failure, so that a stage of clean steps reads as
// before.
func (e *engine) checkExits(st *policy.Stage, sr *StageResult) {
	var problems, allowed []string
	for _, c := range e.counted[st.Name] {
		it := c.it
		switch {
		case !it.isLink:
		case it.exitErr != nil:
			problems = append(problems, fmt.Sprintf("link %s of step %s: %s; record the step again with a tool that writes its exit status as an integer",
				it.res.Source, it.linkName, strings.TrimPrefix(it.exitErr.Error(), attest.ErrInvalid.Error()+": ")))
		case !it.hasExit || it.exit == 0:
		case it.exit >= math.MinInt32 && it.exit <= math.MaxInt32 && slices.Contains(st.AllowExitCodes, int(it.exit)):
			allowed = append(allowed, fmt.Sprintf("link %s of step %s records exit status %d, which the policy allows for the stage", it.res.Source, it.linkName, it.exit))
		default:
			problems = append(problems, fmt.Sprintf("step %s exited with status %d (link %s): its command failed; fix the step and record it again",
				it.linkName, it.exit, it.res.Source))
		}
	}
	switch {
	case len(problems) > 0:
		if len(problems) > 8 {
			problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
		}
		sr.Checks = append(sr.Checks, CheckResult{Kind: CheckExit, Status: StatusFail, Reason: strings.Join(problems, "; ")})
	case len(allowed) > 0:
		if len(allowed) > 8 {
			allowed = append(allowed[:8], fmt.Sprintf("and %d more", len(allowed)-8))
		}
		sr.Checks = append(sr.Checks, CheckResult{Kind: CheckExit, Status: StatusPass, Reason: strings.Join(allowed, "; ")})
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
	rec := &record{}
	var problems []string
	for _, side := range []struct {
		name string
		dst  **digest.Table
		get  func(*item) *digest.Table
	}{
		{"material", &rec.materials, func(it *item) *digest.Table { return it.materials }},
		{"product", &rec.products, func(it *item) *digest.Table { return it.products }},
	} {
		var p []string
		*side.dst, p = mergeTables(side.name, src, side.get, st.Threshold)
		problems = append(problems, p...)
	}
	if len(problems) > 8 {
		problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
	}
	return rec, problems
}

// mergeTables merges one side of the items' records: an artifact that
// several report with sets naming the same content gets the union of
// their sets; one reported with sets naming other content is a problem,
// as is, when one key is not enough, one vouched for by fewer than
// threshold distinct keys.
func mergeTables(side string, src []*countedItem, get func(*item) *digest.Table, threshold int) (*digest.Table, []string) {
	type entry struct {
		c *countedItem
		i int
	}
	n := 0
	for _, c := range src {
		n += get(c.it).Len()
	}
	all := make([]entry, 0, n)
	for _, c := range src {
		for i := range get(c.it).Len() {
			all = append(all, entry{c, i})
		}
	}
	name := func(e entry) string { return get(e.c.it).Name(e.i) }
	slices.SortStableFunc(all, func(a, b entry) int { return strings.Compare(name(a), name(b)) })
	out := digest.NewTable(0)
	var problems, short []string
	var keys []string
	for g := 0; g < len(all); {
		first := all[g]
		ft := get(first.c.it)
		// merged, once not nil, is the artifact's set so far: the union
		// of the sets of the first listing and those agreeing with it.
		var merged digest.Set
		keys = keys[:0]
		vote := func(c *countedItem) {
			for _, k := range c.keys {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		vote(first.c)
		end := g + 1
		for ; end < len(all) && name(all[end]) == name(first); end++ {
			e := all[end]
			t := get(e.c.it)
			if merged == nil {
				if !sameContentAt(ft, first.i, t, e.i) {
					problems = append(problems, fmt.Sprintf("%s %s is reported with different digests (%s in %s)", side, name(e), t.Set(e.i), e.c.it.res.Source))
					continue
				}
				if !ft.Equal(first.i, t, e.i) {
					merged = cloneSet(ft.Set(first.i))
				}
			} else if d := t.Set(e.i); !sameContent(merged, d) {
				problems = append(problems, fmt.Sprintf("%s %s is reported with different digests (%s in %s)", side, name(e), d, e.c.it.res.Source))
				continue
			}
			if merged != nil {
				for alg, v := range t.Set(e.i) {
					merged[alg] = v
				}
			}
			vote(e.c)
		}
		switch {
		case merged != nil:
			out.Add(name(first), merged)
		default:
			if v, ok := ft.SHA256(first.i); ok {
				out.AddSHA256(name(first), v)
			} else {
				out.Add(name(first), ft.Set(first.i))
			}
		}
		if threshold > 1 && len(keys) < threshold {
			short = append(short, fmt.Sprintf("%s %s is vouched for by %d of %d distinct signer(s)", side, name(first), len(keys), threshold))
		}
		g = end
	}
	return out, append(problems, short...)
}

// identicalRecord is in-toto's reduction: every link of a step must report
// the same materials and products (in-toto python reduce_chain_links).
func identicalRecord(src []*countedItem) (*record, []string) {
	ref := src[0].it
	for _, c := range src[1:] {
		if !sameTables(ref.materials, c.it.materials) || !sameTables(ref.products, c.it.products) {
			return nil, []string{fmt.Sprintf("links %s and %s report different artifacts", ref.res.Source, c.it.res.Source)}
		}
	}
	return &record{materials: ref.materials, products: ref.products}, nil
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
	//
	// The artifacts are indexed by their strong values, not the subjects
	// (a step can have a million): each subject costs a lookup.
	type digestKey struct{ alg, value string }
	strongAlgs := [...]string{digest.SHA256, digest.SHA512, digest.SHA384}
	want := make(map[digestKey][]int, len(artifacts))
	for ai, a := range artifacts {
		for _, alg := range strongAlgs {
			if v := a.Digest[alg]; v != "" {
				k := digestKey{alg, v}
				want[k] = append(want[k], ai)
			}
		}
	}
	// hits[ai][k]: the counted attestations with a subject whose value for
	// strongAlgs[k] is the artifact's and that matches it, in index order.
	hits := make([][len(strongAlgs)][]*countedItem, len(artifacts))
	hit := func(ai, k int, c *countedItem) {
		if l := hits[ai][k]; len(l) == 0 || l[len(l)-1] != c {
			hits[ai][k] = append(l, c)
		}
	}
	counted := e.counted[final.Name]
	for _, c := range counted {
		eachSubject(c.it, func(t *digest.Table, i int) {
			if v, ok := t.SHA256(i); ok {
				// A lone sha256 matches exactly the artifacts with that
				// sha256 (digest.Matches).
				for _, ai := range want[digestKey{digest.SHA256, v}] {
					hit(ai, 0, c)
				}
				return
			}
			d := t.Set(i)
			for k, alg := range strongAlgs {
				if v := d[alg]; v != "" {
					for _, ai := range want[digestKey{alg, v}] {
						if digest.MatchesValidated(d, artifacts[ai].Digest) {
							hit(ai, k, c)
						}
					}
				}
			}
		})
	}
	var cands []*countedItem
	var keys, sources []string
	// The reason of the artifact before, and the sources it names: a
	// release's artifacts are mostly subjects of the same attestations,
	// and share one reason rather than each formatting its own.
	var lastReason string
	var lastSources []string
	e.res.Artifacts = slices.Grow(e.res.Artifacts, len(artifacts))
	for ai, a := range artifacts {
		ar := ArtifactResult{Name: a.Name, Digest: a.Digest}
		// cands: the counted attestations with a subject matching a.Digest
		// by the rule of digest.Matches, each once, in index order.
		cands = cands[:0]
		for k := range strongAlgs {
			for _, c := range hits[ai][k] {
				if !slices.Contains(cands, c) {
					cands = append(cands, c)
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
		case lastReason != "" && slices.Equal(sources, lastSources):
			ar.Status, ar.Reason = StatusPass, lastReason
		default:
			lastSources = append(lastSources[:0], sources...)
			if len(sources) > 3 {
				sources = append(sources[:3], fmt.Sprintf("and %d more", len(sources)-3))
			}
			ar.Status, ar.Reason = StatusPass, fmt.Sprintf("a subject of stage %s (%s)", final.Name, strings.Join(sources, ", "))
			lastReason = ar.Reason
		}
		if ar.Status == StatusFail {
			e.res.fail(ErrNotSatisfied, "artifact %s: %s", a.Name, ar.Reason)
		}
		e.res.Artifacts = append(e.res.Artifacts, ar)
	}
}

// eachSubject calls f with each subject an item vouches for (its
// statement's subjects, or a link's products), as a table and a place in it.
func eachSubject(it *item, f func(t *digest.Table, i int)) {
	t := it.products
	if it.st != nil {
		t = it.subjects
	}
	for i := range t.Len() {
		f(t, i)
	}
}
