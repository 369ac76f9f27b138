package sbomgen

import (
	"os"
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

// privateParent tells whether what consign makes in the directory dir
// stays where it was made: dir is owned by this user or by root, and
// nobody else may write in it, unless it is sticky (as /tmp is: others
// may not rename or remove what this user makes there).
func privateParent(dir string) bool {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return false
	}
	return st.Mode&0o022 == 0 || st.Mode&unix.S_ISVTX != 0
}
