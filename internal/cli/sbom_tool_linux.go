//go:build linux

package cli

import "syscall"

// toolProcAttr has the kernel kill consign-sbom when consign dies first:
// killed by SIGKILL, or by a second Ctrl-C (after the first, consign's
// default action is back, while consign-sbom run by consign ignores
// repeats). Without it consign-sbom would run on, unseen, and write its
// SBOMs after the shell had moved on. SIGKILL, not a signal it could
// ignore: consign's own end would have been as abrupt.
func toolProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
