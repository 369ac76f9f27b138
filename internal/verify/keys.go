package verify

import (
	"bytes"
	"sort"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
)

// keyIndex holds every key that can count, with the hints that pick them.
// Key ids in signatures are hints only: a hint that names no known key
// (or no hint) makes every key a candidate, and a key counts only when its
// signature verifies (security case 55 in docs/security.md). A hint that names a known key
// limits the candidates to the keys of that id, so that a hostile envelope
// costs at most one check per signature and known key id.
type keyIndex struct {
	keys   []*sign.Verifier
	byHint map[string][]*sign.Verifier
	pos    map[string]int // key id -> position in keys
}

// newKeyIndex indexes keys by their consign key ids and the extra hints
// given. With legacyHints it also computes the key id in-toto-golang gives
// each key (which costs a canonical JSON encoding per key, so it is done
// only when there are in-toto v0.9 links to read).
func newKeyIndex(keys []*policy.Key, extraHints map[string]*sign.Verifier, legacyHints bool) *keyIndex {
	ix := &keyIndex{byHint: make(map[string][]*sign.Verifier, len(keys)+len(extraHints)), pos: make(map[string]int, len(keys))}
	add := func(hint string, v *sign.Verifier) {
		for _, have := range ix.byHint[hint] {
			if have.KeyID() == v.KeyID() {
				return
			}
		}
		ix.byHint[hint] = append(ix.byHint[hint], v)
	}
	ix.keys = make([]*sign.Verifier, 0, len(keys))
	for _, k := range keys {
		if _, seen := ix.pos[k.ID]; seen {
			continue
		}
		ix.pos[k.ID] = len(ix.keys)
		ix.keys = append(ix.keys, k.Verifier)
		add(k.ID, k.Verifier)
		if legacyHints {
			var ik in_toto.Key
			if err := ik.LoadKeyReaderDefaults(bytes.NewReader(k.PEM)); err == nil {
				add(ik.KeyID, k.Verifier)
			}
		}
	}
	for hint, v := range extraHints {
		add(hint, v)
	}
	return ix
}

// hasLegacyLinks reports whether any item is an in-toto v0.9 Metablock.
func hasLegacyLinks(items []*item) bool {
	for _, it := range items {
		if it.link != nil {
			return true
		}
	}
	return false
}

// signedBy returns the distinct keys with a valid signature over m, each
// once however many signatures it made (security case 15 in docs/security.md), in key order.
// Without a usable hint, the keys of first (the group's last signer) and of
// prefer are tried before the others; that changes how soon a key is
// found, never whether.
func (ix *keyIndex) signedBy(m *sign.Message, hints []string, sigs [][]byte, first *sign.Verifier, prefer func() []*sign.Verifier) []string {
	found := map[string]bool{}
	tried := map[*sign.Verifier]bool{}
	// The preferred keys are guessed once for all the signatures: the
	// guess scans the payload (up to limits.Envelope), and an envelope
	// of limits.Signatures signatures with no usable hint had it scanned
	// once a signature.
	var preferred []*sign.Verifier
	guessed := false
	try := func(v *sign.Verifier, sig []byte) bool {
		if found[v.KeyID()] || tried[v] {
			return false
		}
		tried[v] = true
		if v.VerifyMessage(m, sig) == nil {
			found[v.KeyID()] = true
			return true
		}
		return false
	}
	for i, sig := range sigs {
		clear(tried)
		if cands := ix.byHint[hints[i]]; len(cands) > 0 {
			for _, v := range cands {
				if try(v, sig) {
					break
				}
			}
			continue
		}
		if first != nil && try(first, sig) {
			continue
		}
		ok := false
		if prefer != nil {
			if !guessed {
				preferred, guessed = prefer(), true
			}
			for _, v := range preferred {
				if ok = try(v, sig); ok {
					break
				}
			}
		}
		for _, v := range ix.keys {
			if ok || try(v, sig) {
				break
			}
		}
	}
	out := make([]string, 0, len(found))
	for id := range found {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return ix.pos[out[i]] < ix.pos[out[j]] })
	return out
}

// byID returns the verifier of a key id.
func (ix *keyIndex) byID(id string) *sign.Verifier {
	for _, v := range ix.byHint[id] {
		if v.KeyID() == id {
			return v
		}
	}
	return nil
}

// preferFunc names the keys most likely to have signed an item, from what
// the item claims before anything is verified; see [keyIndex.signedBy].
type preferFunc func(it *item) []*sign.Verifier

// stagePreference prefers, for an item, the keys of the stages that would
// count it: those requiring its (claimed) predicate type and, for a link,
// named like it. What an unverified payload claims only orders the keys.
// holders is p.Keys().
func stagePreference(p *policy.Policy, holders []policy.KeyHolders) preferFunc {
	keys := make(map[string]*sign.Verifier, len(holders))
	for _, kh := range holders {
		keys[kh.Key.ID] = kh.Key.Verifier
	}
	byType := map[string][]*sign.Verifier{}
	byLink := map[string][]*sign.Verifier{}
	for _, st := range p.Stages {
		var vs []*sign.Verifier
		for _, id := range p.StageKeys(st) {
			vs = append(vs, keys[id])
		}
		for _, t := range st.Require {
			if t == attest.PredicateLink {
				byLink[st.Name] = append(byLink[st.Name], vs...)
				continue
			}
			byType[t] = append(byType[t], vs...)
		}
	}
	return func(it *item) []*sign.Verifier {
		if it.link != nil {
			return byLink[it.link.Name]
		}
		// The statement's predicateType stands once, between its subjects
		// and its predicate (a large link's are each half the payload):
		// searched forwards from its capital T, which vector instructions
		// skip to, not backwards by Rabin-Karp, several instructions a byte
		// (3% of verify --policy's CPU at bench/CHAIN.md's 1x chain). A link's
		// name is its predicate's last key as consign writes it (sorted),
		// found backwards at once, where searching forwards would stop at
		// every subject's and material's name.
		pt := peekString(it.env.Payload, `"predicateType":"`, lastForwards)
		if pt == attest.PredicateLink {
			return byLink[peekString(it.env.Payload, `"name":"`, bytes.LastIndex)]
		}
		return byType[pt]
	}
}

// peekString returns the string after the last occurrence of key in b,
// found by last (a guess from unverified bytes, used only to order keys),
// or "".
func peekString(b []byte, key string, last func(b, key []byte) int) string {
	i := last(b, []byte(key))
	if i < 0 {
		return ""
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// lastForwards is bytes.LastIndex(b, key) found by forward searches, one
// per occurrence, for key from its first capital letter on (a byte rare in
// JSON, which bytes.Index skips to with vector instructions; a '"' it
// would find at every string), each checked for the rest of key before it:
// for a key that occurs rarely in a long b.
func lastForwards(b, key []byte) int {
	a := bytes.IndexFunc(key, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if a < 0 {
		a = 0
	}
	last := -1
	for off := a; off <= len(b); {
		i := bytes.Index(b[off:], key[a:])
		if i < 0 {
			return last
		}
		if at := off + i - a; bytes.Equal(b[at:at+a], key[:a]) {
			last = at
		}
		off += i + 1
	}
	return last
}
