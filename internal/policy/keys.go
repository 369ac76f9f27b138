package policy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
)

// key reads a key given as inline PEM or, in an unsigned policy, as the path
// of a public key file (relative to ParseOptions.Dir).
func (ps *parser) key(n *yaml.Node, what string) *Key {
	v, ok := ps.str(n, what)
	if !ok {
		return nil
	}
	ps.keys++
	if ps.keys > MaxKeys {
		if ps.keys == MaxKeys+1 {
			ps.errorf(n, "more than %d keys", MaxKeys)
		}
		return nil
	}
	k := &Key{Line: n.Line}
	data := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		if ps.opts.Dir == "" {
			ps.fail(n, fmt.Errorf("%w: %s names the file %q", ErrKeyFile, what, v))
			return nil
		}
		p := v
		if !filepath.IsAbs(p) {
			p = filepath.Join(ps.opts.Dir, filepath.FromSlash(v))
		}
		b, err := limits.ReadFile(p, limits.KeyFile)
		if err != nil {
			ps.errorf(n, "%s: reading %q: %v", what, v, unwrapPathError(err))
			return nil
		}
		data, k.File = b, v
	}
	pub, err := sign.ParsePublicKey(data)
	if err != nil {
		ps.errorf(n, "%s: %v", what, err)
		return nil
	}
	ver, err := sign.NewVerifier(pub)
	if err != nil {
		ps.errorf(n, "%s: %v", what, err)
		return nil
	}
	k.Verifier, k.ID = ver, ver.KeyID()
	if k.PEM, err = sign.MarshalPublicKey(pub); err != nil {
		ps.errorf(n, "%s: %v", what, err)
		return nil
	}
	if k.File != "" {
		ps.edits = append(ps.edits, edit{node: n, with: strconv.Quote(string(k.PEM))})
	}
	return k
}

// unwrapPathError drops the *fs.PathError's operation, which only repeats the path.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// readModule reads a Rego module file for an unsigned policy.
func (ps *parser) readModule(n *yaml.Node, name string) (string, bool) {
	if ps.opts.Dir == "" {
		ps.fail(n, fmt.Errorf("%w: rego names the file %q", ErrKeyFile, name))
		return "", false
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(ps.opts.Dir, filepath.FromSlash(name))
	}
	b, err := limits.ReadFile(p, MaxPolicySize)
	if err != nil {
		ps.errorf(n, "rego: reading %q: %v", name, unwrapPathError(err))
		return "", false
	}
	return string(bytes.TrimPrefix(b, []byte("\ufeff"))), true
}
