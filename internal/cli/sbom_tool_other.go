//go:build !linux

package cli

import "syscall"

// toolProcAttr is nil where the kernel cannot tie a child's life to its
// parent's.
func toolProcAttr() *syscall.SysProcAttr { return nil }
