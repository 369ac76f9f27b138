package sbomdoc

import (
	"regexp"
	"sync"
)

// pattern is a regular expression compiled the first time it is matched.
// The package's grammars hold some thirty of them; compiling them when the
// package is initialised cost every consign command, SBOM or not, about
// half a megabyte of allocations at start-up.
type pattern struct {
	src string
	re  func() *regexp.Regexp
}

// patterns lists every pattern made by newPattern, for the test that
// compiles them all.
var patterns []*pattern

// newPattern returns the pattern of src, compiled when first used. src must
// compile: TestPatternsCompile compiles every one.
func newPattern(src string) *pattern {
	p := &pattern{src: src, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(src) })}
	patterns = append(patterns, p)
	return p
}

// MatchString is [regexp.Regexp.MatchString].
func (p *pattern) MatchString(s string) bool { return p.re().MatchString(s) }

// FindStringSubmatch is [regexp.Regexp.FindStringSubmatch].
func (p *pattern) FindStringSubmatch(s string) []string { return p.re().FindStringSubmatch(s) }
