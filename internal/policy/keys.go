package policy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
	pk, ok := ps.parsed[v]
	if !ok || k.File != "" {
		pk = parseKey(data)
	}
	if pk.err != nil {
		ps.errorf(n, "%s: %v", what, pk.err)
		return nil
	}
	k.Verifier, k.ID, k.PEM = pk.ver, pk.ver.KeyID(), pk.pem
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

// parsedKey is a key read from PEM: its verifier and canonical PEM, or why
// it was refused.
type parsedKey struct {
	ver *sign.Verifier
	pem []byte
	err error
}

func parseKey(data []byte) parsedKey {
	ver, pemBytes, err := sign.ParseVerifier(data)
	return parsedKey{ver: ver, pem: pemBytes, err: err}
}

// minParallelKeys is the number of inline keys from which a policy's keys are
// read on every core before the policy is walked.
const minParallelKeys = 64

// preparseKeys reads the functionaries' inline PEM keys (a policy with many
// keys, such as one per in-toto link, spends most of its parsing there) on
// every core, each distinct text once, into ps.parsed, where key finds them.
// Parsing a key is a pure function of its text; key still does every check
// and reports every error in document order, and reads itself any key not
// found here (a key whose parsing panicked is left out, so that the panic
// happens on the caller's goroutine, as without this).
func (ps *parser) preparseKeys(functionaries *yaml.Node) {
	if functionaries == nil || functionaries.Kind != yaml.MappingNode || len(functionaries.Content)/2 > MaxFunctionaries {
		return
	}
	var texts []string
	seen := map[string]bool{}
	for i := 1; i < len(functionaries.Content); i += 2 {
		f := functionaries.Content[i]
		if f.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(f.Content); j += 2 {
			if f.Content[j].Value != "keys" || f.Content[j+1].Kind != yaml.SequenceNode {
				continue
			}
			for _, c := range f.Content[j+1].Content {
				if len(texts) >= MaxKeys {
					break
				}
				if c.Kind == yaml.ScalarNode && !seen[c.Value] && strings.HasPrefix(strings.TrimSpace(c.Value), "-----BEGIN") {
					seen[c.Value] = true
					texts = append(texts, c.Value)
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(texts)/(minParallelKeys/2))
	if len(texts) < minParallelKeys || workers < 2 {
		return
	}
	out := make([]parsedKey, len(texts))
	done := make([]bool, len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = recover() }() // the caller parses what is left undone
			for {
				i := int(next.Add(1)) - 1
				if i >= len(texts) {
					return
				}
				out[i] = parseKey([]byte(texts[i]))
				done[i] = true
			}
		}()
	}
	wg.Wait()
	ps.parsed = make(map[string]parsedKey, len(texts))
	for i, t := range texts {
		if done[i] {
			ps.parsed[t] = out[i]
		}
	}
}
