package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// RegoCheck is a custom check written in Rego (OPA). The module's package
// must define a rule "deny": a set of messages. The check passes when deny is
// defined and empty; an undefined deny, a message, an evaluation error or a
// timeout is a failure (never a pass).
//
// Modules run without the network or the clock: http.send,
// net.lookup_ip_addr, opa.runtime, time.now_ns, rand.intn and uuid.rfc4122
// are not available, and builtin errors are errors (strict mode).
type RegoCheck struct {
	// Name is the module's file name, for reports.
	Name string
	// Module is the module's source.
	Module string
	// File is the file the module was read from, or "" when it was inline.
	File string

	parsed   *ast.Module
	query    string
	once     sync.Once
	prepared rego.PreparedEvalQuery
	prepErr  error
}

// RegoTimeout bounds one evaluation of a Rego check.
const RegoTimeout = 10 * time.Second

// deniedBuiltins reach outside the evaluation or make it non-deterministic.
var deniedBuiltins = []string{"http.send", "net.lookup_ip_addr", "opa.runtime", "time.now_ns", "rand.intn", "uuid.rfc4122"}

var regoCapabilities = sync.OnceValue(func() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		return slices.Contains(deniedBuiltins, b.Name)
	})
	caps.AllowNet = []string{}
	return caps
})

// compileRego parses and type-checks a module, so that a module that cannot
// run is an error when the policy is loaded, not when it is used.
func compileRego(name, src string) (*RegoCheck, error) {
	mod, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: regoCapabilities()})
	if err != nil {
		return nil, fmt.Errorf("%w: Rego module %q: %v", ErrInvalid, name, err)
	}
	c := ast.NewCompiler().WithCapabilities(regoCapabilities())
	c.Compile(map[string]*ast.Module{name: mod})
	if c.Failed() {
		return nil, fmt.Errorf("%w: Rego module %q: %v", ErrInvalid, name, c.Errors)
	}
	hasDeny := false
	for _, r := range mod.Rules {
		if r.Head.Name.String() == "deny" || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.String() == `deny`) {
			hasDeny = true
		}
	}
	if !hasDeny {
		return nil, fmt.Errorf("%w: Rego module %q defines no rule \"deny\" (the set of reasons to fail)", ErrInvalid, name)
	}
	return &RegoCheck{Name: name, Module: src, parsed: mod, query: mod.Package.Path.String() + ".deny"}, nil
}

// Eval evaluates the module's deny rule with input and returns its messages,
// sorted. An empty result is a pass. Eval is safe for concurrent use.
func (r *RegoCheck) Eval(ctx context.Context, input any) ([]string, error) {
	r.once.Do(func() {
		r.prepared, r.prepErr = rego.New(
			rego.Query(r.query),
			rego.ParsedModule(r.parsed),
			rego.Capabilities(regoCapabilities()),
			rego.StrictBuiltinErrors(true),
			rego.SetRegoVersion(ast.RegoV1),
			rego.EnablePrintStatements(false),
		).PrepareForEval(context.Background())
	})
	if r.prepErr != nil {
		return nil, fmt.Errorf("preparing Rego module %q: %v", r.Name, r.prepErr)
	}
	ctx, cancel := context.WithTimeout(ctx, RegoTimeout)
	defer cancel()
	rs, err := r.prepared.Eval(ctx, rego.EvalInput(input))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("Rego module %q: evaluation took longer than %s", r.Name, RegoTimeout)
		}
		return nil, fmt.Errorf("Rego module %q: %v", r.Name, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("Rego module %q: deny is undefined", r.Name)
	}
	var msgs []string
	switch v := rs[0].Expressions[0].Value.(type) {
	case []any:
		for _, m := range v {
			if s, ok := m.(string); ok {
				msgs = append(msgs, s)
			} else {
				msgs = append(msgs, fmt.Sprint(m))
			}
		}
	case map[string]any:
		return nil, fmt.Errorf("Rego module %q: deny is an object; it must be a set of messages", r.Name)
	default:
		return nil, fmt.Errorf("Rego module %q: deny is %T; it must be a set of messages", r.Name, v)
	}
	sort.Strings(msgs)
	return msgs, nil
}
