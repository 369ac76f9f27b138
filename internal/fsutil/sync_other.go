//go:build !unix

package fsutil

import "os"

// syncDirectory does nothing where a directory cannot be opened for syncing.
func syncDirectory(string) error { return nil }

// lockFile does nothing where flock is not available: concurrent appends
// to one file are then not serialised.
func lockFile(*os.File) error { return nil }
