//go:build !linux

package sbomgen

import "os"

// linkOpenFile fails: only Linux links an open file by its descriptor;
// pinTarget copies it instead.
func linkOpenFile(*os.File, string) error { return errNoLink }

// privateParent tells whether what consign makes in the directory dir
// stays where it was made. Only Linux answers yes: elsewhere the target
// is copied into os.TempDir, as it always was.
func privateParent(string) bool { return false }
