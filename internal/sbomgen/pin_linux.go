package sbomgen

import (
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// linkOpenFile makes name a hard link to the open file f, through its
// /proc/self/fd entry (linkat with AT_SYMLINK_FOLLOW links the file the
// descriptor holds, whatever its name has become since). It fails across
// file systems, and where /proc is not mounted.
func linkOpenFile(f *os.File, name string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.FormatUint(uint64(fd), 10), unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
	}); err != nil {
		return err
	}
	return lerr
}

// privateParent tells whether what consign makes in the directory dir, a
// path from the root without symbolic links, stays where it was made: dir
// and every directory above it up to the root are owned by this user or
// by root, and nobody else may write in them, unless they are sticky (as
// /tmp is: others may not rename or remove what this user makes there).
// A directory above that another user could write in would let them
// rename dir (or one above it) and put one of their own in its place.
func privateParent(dir string) bool {
	for {
		var st unix.Stat_t
		if err := unix.Stat(dir, &st); err != nil {
			return false
		}
		if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
			return false
		}
		if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
			return false
		}
		up := filepath.Dir(dir)
		if up == dir {
			return true
		}
		dir = up
	}
}
