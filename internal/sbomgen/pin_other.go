//go:build !linux

package sbomgen

import "os"

// linkOpenFile fails: only Linux links an open file by its descriptor;
// pinTarget copies it instead.
func linkOpenFile(*os.File, string) error { return errNoLink }
