//go:build !linux

package digest

// plainOpener is, on Linux, the opener that hashes without io_uring;
// elsewhere there is only the portable one.
var plainOpener dirOpener = openRootDir
