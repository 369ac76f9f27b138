//go:build linux

package cli

import "syscall"

// toolProcAttr has the kernel kill consign-sbom when consign dies first,
// killed by SIGKILL (a second Ctrl-C consign handles itself: it stops
// consign-sbom, which run by consign ignores repeats, and removes what it
// left). Without it consign-sbom would run on, unseen, and write its
// SBOMs after the shell had moved on. SIGKILL, not a signal it could
// ignore: consign's own end would have been as abrupt.
func toolProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
