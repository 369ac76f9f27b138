// Package race tells a test whether its binary was built with -race, for
// tests whose measurements the race detector distorts.
package race

import "runtime/debug"

// Enabled reports whether the running binary was built with -race.
func Enabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
