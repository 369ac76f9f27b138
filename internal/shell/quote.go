// Package shell writes command lines a POSIX shell reads back as they
// were meant: the commands consign suggests, and the scripts it writes.
package shell

import "strings"

// Quote is a as one shell word: as it is when it is not empty and every
// character in it is one no shell treats specially anywhere in a word
// (letters, digits and @%+=:,./_-), else in single quotes, each single
// quote inside closed, escaped and reopened. Deciding by the characters
// that are safe, not by those that are not, leaves no special character
// out: a newline, '#', '~', '!', '{' or '[' would each change what a shell
// runs, and "" would be no word at all.
func Quote(a string) string {
	if a != "" && strings.Trim(a, safe) == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-"
