package attest

import (
	"github.com/consign-dev/consign/internal/sign"
)

// SignersOfEach returns, for each signature of an envelope or an in-toto
// v0.9 link, the keys of kr that made it (none, when no key of kr did). It
// reads no key id hint and checks nothing but the signatures: it is how a
// reader learns which key made which signature when, as consign's and
// cosign's envelopes do, the signatures name no key. It returns nil for
// an item with neither (a signature over a blob needs the blob).
func (it *Item) SignersOfEach(kr *Keyring) ([][]*sign.Verifier, error) {
	var msg []byte
	var sigs [][]byte
	switch {
	case it.Envelope != nil:
		msg = PAE(it.Envelope.PayloadType, it.Envelope.Payload)
		for _, s := range it.Envelope.Signatures {
			sigs = append(sigs, s.Sig)
		}
	case it.Link != nil:
		canon, err := Canonical(it.Link.Signed)
		if err != nil {
			return nil, err
		}
		msg = canon
		for _, s := range it.Link.Signatures {
			sigs = append(sigs, s.Sig)
		}
	default:
		return nil, nil
	}
	out := make([][]*sign.Verifier, len(sigs))
	for i, sig := range sigs {
		out[i] = kr.SignedBy(msg, [][]byte{sig})
	}
	return out, nil
}
