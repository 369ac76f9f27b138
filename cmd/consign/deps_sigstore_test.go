package main

import (
	"strings"
	"testing"
)

// sigstoreGoDeps returns every package that the sigstore-go packages
// internal/sigstore imports depend on: rekor's entry types and its
// generated client, certificate-transparency-go and its klog logger. They
// are in the binary because sigstore-go verifies bundles with them, and
// only for that (importRules keeps consign's own packages off them).
func sigstoreGoDeps(t *testing.T, sigstore pkgInfo) map[string]bool {
	t.Helper()
	deps := make(map[string]bool)
	for _, imp := range sigstore.Imports {
		if !strings.HasPrefix(imp, sigstoreGo+"/") {
			continue
		}
		for _, p := range goList(t, imp) {
			deps[p] = true
		}
	}
	if len(deps) == 0 {
		t.Fatalf("internal/sigstore imports no sigstore-go package")
	}
	return deps
}
