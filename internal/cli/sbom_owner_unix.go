//go:build unix

package cli

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// toolOwnerProblem says why the consign-sbom at p, found next to consign's
// executable exe, is not to be run although it is an executable file, or
// "" if nothing is wrong: it, or the link p is, belongs to a user who is
// neither this one, root, nor the owner of consign itself, or anyone may
// write it. consign in a directory others may add files to (/tmp, sticky,
// where nobody else can replace consign) would otherwise run whatever
// consign-sbom another user put beside it.
func toolOwnerProblem(p, exe string) string {
	trusted := map[uint32]bool{uint32(os.Geteuid()): true, 0: true}
	var st syscall.Stat_t
	if syscall.Stat(exe, &st) == nil {
		trusted[st.Uid] = true
	}
	if err := syscall.Lstat(p, &st); err != nil {
		return fmt.Sprintf("%s cannot be examined (%v)", p, err)
	}
	if !trusted[st.Uid] {
		return fmt.Sprintf("%s belongs to user %d, who is neither you, root, nor the owner of consign", p, st.Uid)
	}
	if err := syscall.Stat(p, &st); err != nil {
		return fmt.Sprintf("%s cannot be examined (%v)", p, err)
	}
	if !trusted[st.Uid] {
		return fmt.Sprintf("%s is a file of user %d, who is neither you, root, nor the owner of consign", p, st.Uid)
	}
	if st.Mode&0o002 != 0 {
		return fmt.Sprintf("%s may be written by anyone (%v)", p, fs.FileMode(st.Mode&0o777))
	}
	return ""
}
