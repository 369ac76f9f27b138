//go:build !unix

package cli

// closeOnExec does nothing where descriptors are not inherited by number.
func closeOnExec(int) {}
