//go:build !linux

package digest

// openSysDir opens directories for Record: through an [os.Root] on systems
// other than Linux.
var openSysDir dirOpener = openRootDir

// fdReader is used on Linux only.
type fdReader struct{}
