package policy

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// PayloadType is the DSSE payloadType of a signed policy. A policy is not an
// in-toto statement (it is about no artifact), so it has a payload type of
// its own: the owner's signature over PAE(PayloadType, policy) can never be
// read as an attestation, nor an attestation as a policy (security case 54 in docs/security.md).
const PayloadType = "application/vnd.consign.policy+yaml"

// Inline returns the policy's YAML with every key file and Rego module file
// it names replaced by the key (PEM) or module source, so that what is signed
// is everything the policy trusts. Each file name is replaced in place by a
// double-quoted YAML string (a {name, module} mapping for a module) on the
// same line, so that line numbers and comments stay as they were. It
// returns an error wrapping [ErrInvalid] when the policy does not parse, or
// when a file name cannot be replaced in place (it spans lines).
func Inline(src []byte, opts ParseOptions) ([]byte, error) {
	p, ps := parse(src, opts)
	if errs := ps.errors(); len(errs) > 0 {
		return nil, &ParseError{Findings: errs, wrapped: ps.wrapped}
	}
	if len(ps.edits) == 0 {
		return src, nil
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	// Edit from the end of each line backwards, so earlier columns hold.
	edits := append([]edit(nil), ps.edits...)
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].node.Line != edits[j].node.Line {
			return edits[i].node.Line < edits[j].node.Line
		}
		return edits[i].node.Column > edits[j].node.Column
	})
	for _, e := range edits {
		n := e.node
		if n.Line < 1 || n.Line > len(lines) {
			return nil, fmt.Errorf("%w: line %d: cannot inline %q", ErrInvalid, n.Line, n.Value)
		}
		line := lines[n.Line-1]
		start := runeOffset(line, n.Column-1)
		end, ok := scalarEnd(line, start, n)
		if !ok {
			return nil, fmt.Errorf("%w: line %d: write the file name %q on one line, so that it can be replaced by its contents", ErrInvalid, n.Line, n.Value)
		}
		lines[n.Line-1] = append(append(append([]byte(nil), line[:start]...), e.with...), line[end:]...)
	}
	out := bytes.Join(lines, nil)
	// The inlined policy must say the same as the original.
	q, err := Parse(out, ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("the inlined policy does not parse (%v); write file names as plain or quoted strings", err)
	}
	if summary(q) != summary(p) {
		return nil, fmt.Errorf("%w: inlining the files changed the policy's meaning", ErrInvalid)
	}
	return out, nil
}

// runeOffset returns the byte offset of the col-th character of line.
func runeOffset(line []byte, col int) int {
	off := 0
	for i := 0; i < col && off < len(line); i++ {
		_, size := utf8.DecodeRune(line[off:])
		off += size
	}
	return off
}

// scalarEnd finds where the scalar n, which starts at line[start], ends on
// its line, and reports false when it does not end there as written.
func scalarEnd(line []byte, start int, n *yaml.Node) (int, bool) {
	if start >= len(line) {
		return 0, false
	}
	switch n.Style {
	case 0, yaml.TaggedStyle:
		end := start + len(n.Value)
		return end, end <= len(line) && string(line[start:end]) == n.Value
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		q := line[start]
		for i := start + 1; i < len(line); i++ {
			switch {
			case q == '"' && line[i] == '\\':
				i++
			case line[i] == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++
			case line[i] == q:
				var v string
				if yaml.Unmarshal(line[start:i+1], &v) != nil || v != n.Value {
					return 0, false
				}
				return i + 1, true
			}
		}
	}
	return 0, false
}

// summary is what a parsed policy decides, to compare two parses of it.
func summary(p *Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%s|%s|", p.Product, p.Version, p.Expires, p.Owner.KeyID)
	if p.Log != nil && p.Log.Key != nil {
		fmt.Fprintf(&b, "log:%s:%s|", p.Log.Key.ID, p.Log.Receipts)
	}
	for _, r := range p.TrustedRoots {
		fmt.Fprintf(&b, "root:%s:%s|", r.Name, r.SHA256)
	}
	for _, f := range p.Functionaries {
		fmt.Fprintf(&b, "%s:%s:%s:%s:", f.Name, f.ValidFrom, f.ValidUntil, f.RevokedAt)
		for _, k := range f.Keys {
			b.WriteString(k.ID + ",")
		}
		for _, id := range f.Identities {
			fmt.Fprintf(&b, "%+v,", *id)
		}
		b.WriteString(";")
	}
	for _, s := range p.Stages {
		fmt.Fprintf(&b, "%s:%v:%d:%v:", s.Name, s.By, s.Threshold, s.Require)
		for _, r := range append(append([]Rule(nil), s.Materials...), s.Products...) {
			fmt.Fprintf(&b, "%s %s %s %s %s %s %s,", r.Type, r.Pattern, r.Name, r.SrcPrefix, r.DstPrefix, r.DstType, r.DstStage)
		}
		for _, c := range s.Checks {
			fmt.Fprintf(&b, "%s:%d:", c.Kind, c.Line)
			if c.Rego != nil {
				b.WriteString(c.Rego.Module)
			}
		}
		b.WriteString(";")
	}
	return b.String()
}

// Sign inlines the policy's files ([Inline]), checks that the result parses
// on its own, and signs it as a DSSE envelope of [PayloadType] with signer,
// which must be the policy's owner key. It returns the envelope and the
// policy as signed. Errors wrap [ErrInvalid] or [ErrOwnerKey].
func Sign(src []byte, opts ParseOptions, signer attest.Signer) (*attest.Envelope, *Policy, error) {
	inlined, err := Inline(src, opts)
	if err != nil {
		return nil, nil, err
	}
	p, err := Parse(inlined, ParseOptions{})
	if err != nil {
		return nil, nil, err
	}
	if signer.KeyID() != p.Owner.KeyID {
		return nil, nil, fmt.Errorf("%w: the key signs as %s, the policy's owner is %s", ErrOwnerKey, short(signer.KeyID()), short(p.Owner.KeyID))
	}
	env, err := attest.SignPayload(PayloadType, inlined, signer)
	if err != nil {
		return nil, nil, err
	}
	return env, p, nil
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Signed is a policy whose signature and validity were verified by [Open].
type Signed struct {
	*Policy
	// Envelope is the DSSE envelope the policy came in.
	Envelope *attest.Envelope
	// SignedBy is the key id of the trust root that signed it.
	SignedBy string
	// Digest is the SHA-256 of the envelope's bytes as given to [Open].
	Digest digest.Set
}

// Open verifies a signed policy and parses it, in this order:
//
//  1. data is a DSSE envelope, read strictly ([attest.ParseEnvelope]);
//  2. its payloadType is [PayloadType], checked before the payload is read;
//  3. one of roots signed PAE(payloadType, payload) (key ids in the
//     envelope are hints, never consulted);
//  4. the payload parses as a policy that carries every key and module
//     inline (a signed policy never makes the verifier read other files);
//  5. the policy's owner is the key that signed it;
//  6. the policy has not expired at now (Expires itself still counts).
//
// It returns an error wrapping [ErrInvalid] or [attest.ErrInvalid] for input
// that is not a signed policy, and [ErrSignature], [ErrOwner] or
// [ErrExpired] (all wrapping [ErrUnverified]) for one that fails.
func Open(data []byte, roots []crypto.PublicKey, now time.Time) (*Signed, error) {
	if len(roots) == 0 {
		return nil, fmt.Errorf("%w: no trust root key", ErrSignature)
	}
	env, _, err := attest.ParseEnvelope(data)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: payloadType %q (want %q)", ErrPayloadType, env.PayloadType, PayloadType)
	}
	kr, err := attest.NewKeyring(roots...)
	if err != nil {
		return nil, err
	}
	sigs := make([][]byte, len(env.Signatures))
	for i, s := range env.Signatures {
		sigs[i] = s.Sig
	}
	signers := kr.SignedBy(attest.PAE(env.PayloadType, env.Payload), sigs)
	if len(signers) == 0 {
		return nil, ErrSignature
	}
	p, err := Parse(env.Payload, ParseOptions{})
	if err != nil {
		return nil, err
	}
	var by *sign.Verifier
	for _, s := range signers {
		if s.KeyID() == p.Owner.KeyID {
			by = s
		}
	}
	if by == nil {
		return nil, fmt.Errorf("%w: signed by %s, the policy names %s", ErrOwner, short(signers[0].KeyID()), short(p.Owner.KeyID))
	}
	if p.Expired(now) {
		return nil, fmt.Errorf("%w: the policy expired at %s", ErrExpired, p.Expires.Format(time.RFC3339))
	}
	sum := sha256.Sum256(data)
	return &Signed{Policy: p, Envelope: env, SignedBy: by.KeyID(), Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}}, nil
}

// Expired reports whether the policy is past its expiry at now.
func (p *Policy) Expired(now time.Time) bool {
	return now.After(p.Expires)
}
