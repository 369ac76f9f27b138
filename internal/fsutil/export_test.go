package fsutil

import "os"

// SetSyncHooksForTest has dir and file observe every directory and file
// sync (and still sync); the returned func restores the real ones.
func SetSyncHooksForTest(dir func(string), file func(string)) (restore func()) {
	oldDir, oldFile := syncDir, syncFile
	syncDir = func(d string) error {
		dir(d)
		return oldDir(d)
	}
	syncFile = func(f *os.File) error {
		file(f.Name())
		return oldFile(f)
	}
	return func() { syncDir, syncFile = oldDir, oldFile }
}
