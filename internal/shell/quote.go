// Package shell writes command lines a POSIX shell reads back as they
// were meant: the commands consign suggests, and the scripts it writes.
package shell

import "strings"

// Quote is a as one shell word: as it is when no character in it is
// special to the shell, else in single quotes, each single quote inside
// closed, escaped and reopened.
func Quote(a string) string {
	if strings.ContainsAny(a, " \t\"'$*?;&|<>()`\\") {
		return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return a
}
