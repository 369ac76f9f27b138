//go:build unix

package cli

import "syscall"

// closeOnExec keeps the descriptor fd from the programs this one runs.
func closeOnExec(fd int) { syscall.CloseOnExec(fd) }
