//go:build !unix

package cli

// toolOwnerProblem is "" where files have no Unix owner to check.
func toolOwnerProblem(p, exe string) string { return "" }
