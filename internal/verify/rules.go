package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// applyStageRules applies a stage's material and product rules to its record.
func (e *engine) applyStageRules(st *policy.Stage, sr *StageResult) {
	rec := e.records[st.Name]
	if rec == nil {
		if len(st.Materials)+len(st.Products) > 0 {
			sr.Notes = append(sr.Notes, "artifact rules not applied: the stage has no verified attestations to apply them to")
		}
		return
	}
	sr.Rules = append(sr.Rules, applyRules("materials", st.Materials, rec, e.records)...)
	sr.Rules = append(sr.Rules, applyRules("products", st.Products, rec, e.records)...)
}

// applyRules applies rules to one side of rec as in-toto does (in-toto
// python verifylib.verify_item_rules, the in-toto specification 4.3.3): all
// the side's artifacts start in a queue; MATCH, CREATE, DELETE, MODIFY and
// ALLOW consume the queued artifacts they apply to; DISALLOW fails if its
// pattern matches any artifact still queued; REQUIRE fails if its name is not
// queued. Names and patterns are compared cleaned and byte for byte.
func applyRules(side string, rules []policy.Rule, rec *record, records map[string]*record) []RuleResult {
	artifacts := rec.materials
	if side == "products" {
		artifacts = rec.products
	}
	q := newQueue(artifacts)
	// notes say why a MATCH rule left an artifact queued, so that a later
	// DISALLOW can explain itself.
	notes := map[string]string{}
	var out []RuleResult
	for _, r := range rules {
		rr := RuleResult{Side: side, Rule: r.Text, Line: r.Line, Status: StatusPass}
		consumed := 0 // artifacts the rule consumed (taken off the queue as they are found)
		switch r.Type {
		case policy.RuleMatch:
			consumed = matchRule(r, q, records, notes)
			rr.Reason = fmt.Sprintf("%d artifact(s) matched %s of %s", consumed, r.DstType, r.DstStage)
			if records[r.DstStage] == nil {
				rr.Reason += fmt.Sprintf(" (stage %s has no verified record)", r.DstStage)
			}
		case policy.RuleCreate:
			mc, pc := cursor{t: rec.materials}, cursor{t: rec.products}
			consumed = q.consume(r.Pattern, func(n string) bool { _, m := mc.index(n); _, p := pc.index(n); return p && !m })
		case policy.RuleDelete:
			mc, pc := cursor{t: rec.materials}, cursor{t: rec.products}
			consumed = q.consume(r.Pattern, func(n string) bool { _, m := mc.index(n); _, p := pc.index(n); return m && !p })
		case policy.RuleModify:
			mc, pc := cursor{t: rec.materials}, cursor{t: rec.products}
			consumed = q.consume(r.Pattern, func(n string) bool {
				m, okm := mc.index(n)
				p, okp := pc.index(n)
				return okm && okp && !sameContentAt(rec.materials, m, rec.products, p)
			})
		case policy.RuleAllow:
			consumed = q.consume(r.Pattern, nil)
		case policy.RuleDisallow:
			if bad := filter(q, r.Pattern); len(bad) > 0 {
				names := make([]string, len(bad))
				for i, j := range bad {
					names[i] = q.name(j)
				}
				sort.Strings(names) // for a stable message
				rr.Status = StatusFail
				rr.Reason = "disallowed: " + listNames(names, notes)
			}
		case policy.RuleRequire:
			if !q.has(r.Name) {
				rr.Status = StatusFail
				if _, ok := artifacts.Index(r.Name); ok {
					rr.Reason = fmt.Sprintf("%s was consumed by an earlier rule", r.Name)
				} else {
					rr.Reason = fmt.Sprintf("%s is not among the %s", r.Name, side)
				}
			}
		}
		if r.Type != policy.RuleMatch && r.Type != policy.RuleDisallow && r.Type != policy.RuleRequire {
			rr.Reason = fmt.Sprintf("%d artifact(s) consumed", consumed)
		}
		out = append(out, rr)
	}
	return out
}

// queue is one side's artifacts (a filed table), each queued until a
// rule consumes it.
type queue struct {
	t      *digest.Table
	queued []bool
}

func newQueue(artifacts *digest.Table) *queue {
	q := &queue{t: artifacts, queued: make([]bool, artifacts.Len())}
	for i := range q.queued {
		q.queued[i] = true
	}
	return q
}

// name is the name of the queue's i-th artifact.
func (q *queue) name(i int) string { return q.t.Name(i) }

// has reports whether name is still queued.
func (q *queue) has(name string) bool {
	i, ok := q.t.Index(name)
	return ok && q.queued[i]
}

// consume takes off the queue the queued names the pattern matches (and
// keep accepts), and returns how many it took: a rule over a million
// artifacts keeps no list of them.
func (q *queue) consume(p policy.Pattern, keep func(string) bool) int {
	n := 0
	for i := range q.queued {
		if q.queued[i] {
			if name := q.t.Name(i); p.MatchClean(name) && (keep == nil || keep(name)) {
				q.queued[i] = false
				n++
			}
		}
	}
	return n
}

// cursor looks names up in a filed table (each name once) in increasing
// order, as a rule meets a queue's names: the entry after the last one
// found is tried first, and the table searched only when it is not the
// one, so that a side whose names the other side lists too costs a
// comparison per name rather than a search.
type cursor struct {
	t    *digest.Table
	next int
}

// index is [digest.Table.Index] of c's table.
func (c *cursor) index(name string) (int, bool) {
	if c.next < c.t.Len() && c.t.Name(c.next) == name {
		return c.found(c.next, true)
	}
	return c.found(c.t.Index(name))
}

// indexBytes is [digest.Table.IndexBytes] of c's table.
func (c *cursor) indexBytes(name []byte) (int, bool) {
	if c.next < c.t.Len() && c.t.Name(c.next) == string(name) {
		return c.found(c.next, true)
	}
	return c.found(c.t.IndexBytes(name))
}

// found moves c past entry i, if it is the name looked up, and returns
// what the lookup returns.
func (c *cursor) found(i int, ok bool) (int, bool) {
	if ok {
		c.next = i + 1
	}
	return i, ok
}

// filter returns the indexes of the queued names the pattern matches, in
// increasing order, leaving them queued.
func filter(q *queue, p policy.Pattern) []int {
	var out []int
	for i := range q.queued {
		if q.queued[i] && p.MatchClean(q.t.Name(i)) {
			out = append(out, i)
		}
	}
	return out
}

// matchRule is in-toto's MATCH as the specification and in-toto python
// define it (verifylib.verify_match_rule): a queued artifact is a candidate
// only if it starts with the source prefix (in-toto-golang 0.9 also takes
// artifacts without it: see TestSpecDifferenceMatchSourcePrefix); the
// pattern is matched against the name without the prefix; the destination
// name is the destination prefix plus that rest; the artifact is consumed
// when the destination stage lists it with a digest that agrees in a strong
// algorithm ([digest.Matches]; a shared sha1 alone never matches,
// security case 30 (docs/security.md)). It takes the names it consumes off
// the queue and returns how many.
func matchRule(r policy.Rule, q *queue, records map[string]*record, notes map[string]string) int {
	dst := records[r.DstStage]
	var dstArtifacts *digest.Table
	if dst != nil {
		dstArtifacts = dst.materials
		if r.DstType == "products" {
			dstArtifacts = dst.products
		}
	}
	dc := cursor{t: dstArtifacts}
	consumed := 0
	// The destination name is looked up from buf, without a string of
	// its own for each artifact (it is made only for a note).
	buf := []byte(r.DstPrefix)
	for i := range q.queued {
		if !q.queued[i] {
			continue
		}
		name := q.name(i)
		rest := name
		if r.SrcPrefix != "" {
			var ok bool
			if rest, ok = strings.CutPrefix(name, r.SrcPrefix); !ok {
				continue
			}
		}
		if !r.Pattern.MatchClean(rest) {
			continue
		}
		if dst == nil {
			notes[name] = fmt.Sprintf("stage %s, which MATCH names, has no verified record", r.DstStage)
			continue
		}
		buf = append(buf[:len(r.DstPrefix)], rest...)
		j, ok := dc.indexBytes(buf)
		if !ok {
			notes[name] = fmt.Sprintf("%s is not among the %s of %s", buf, r.DstType, r.DstStage)
			continue
		}
		if !q.t.MatchesValidated(i, dstArtifacts, j) {
			notes[name] = fmt.Sprintf("its digest %s differs from %s's %s %s", q.t.Set(i), r.DstStage, r.DstType[:len(r.DstType)-1], dstArtifacts.Set(j))
			continue
		}
		q.queued[i] = false
		consumed++
	}
	return consumed
}

// listNames lists up to 5 names, each with the note a MATCH left on it.
func listNames(names []string, notes map[string]string) string {
	var parts []string
	for i, n := range names {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(names)-5))
			break
		}
		if note := notes[n]; note != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", n, note))
		} else {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ", ")
}
