package pack

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxNameLength bounds an entry's name, in bytes.
const MaxNameLength = 1024

// CheckName reports whether name may name an entry of a pack: valid UTF-8
// with no control characters, relative, already clean (no "." or ".."
// element, no doubled or trailing slash), no backslash (a separator on
// Windows), and no drive letter (security case 41 in docs/security.md). The names are compared
// byte for byte everywhere else; [nameSet] refuses names that only case or
// Unicode normalisation tell apart (68).
func CheckName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: an empty name", ErrUnsafeName)
	case len(name) > MaxNameLength:
		return fmt.Errorf("%w: a name of %d bytes", ErrUnsafeName, len(name))
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not UTF-8", ErrUnsafeName, name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("%w: %q holds a control character", ErrUnsafeName, name)
	case strings.Contains(name, `\`):
		return fmt.Errorf("%w: %q holds a backslash", ErrUnsafeName, name)
	case path.IsAbs(name):
		return fmt.Errorf("%w: %q is absolute", ErrUnsafeName, name)
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return fmt.Errorf("%w: %q starts with a drive letter", ErrUnsafeName, name)
	case name == "." || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return fmt.Errorf("%w: %q leaves the pack", ErrUnsafeName, name)
	case path.Clean(name) != name:
		return fmt.Errorf("%w: %q is not a clean path (it would be %q)", ErrUnsafeName, name, path.Clean(name))
	}
	return nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// entryName turns a tar entry's name into a pack name: a leading "./" and a
// directory's trailing slash are dropped. The root itself ("./" or ".") is
// "".
func entryName(raw string, dir bool) (string, error) {
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	if dir {
		name = strings.TrimSuffix(name, "/")
	}
	if name == "" || name == "." {
		if dir {
			return "", nil
		}
		return "", fmt.Errorf("%w: a file named %q", ErrUnsafeName, raw)
	}
	if err := CheckName(name); err != nil {
		return "", err
	}
	return name, nil
}

// nameSet remembers names, and refuses one that equals another after case
// folding and NFC normalisation: extracted on macOS or Windows, the two
// would be one file, and the second would replace what was verified.
type nameSet struct {
	fold cases.Caser
	keys map[string]string
}

func newNameSet() *nameSet {
	return &nameSet{fold: cases.Fold(), keys: map[string]string{}}
}

func (s *nameSet) add(name string) error {
	key := s.fold.String(norm.NFC.String(name))
	if prev, ok := s.keys[key]; ok {
		if prev == name {
			return fmt.Errorf("%w: %q appears twice", ErrDuplicate, name)
		}
		return fmt.Errorf("%w: %q and %q are one name after case folding and Unicode normalisation", ErrDuplicate, prev, name)
	}
	s.keys[key] = name
	return nil
}

// resolveLink returns the pack name a symbolic link at name points to. The
// target must be relative, and the path it names must stay inside the pack
// (security case 42 in docs/security.md).
func resolveLink(name, target string) (string, error) {
	switch {
	case target == "":
		return "", fmt.Errorf("%w: %s: an empty link target", ErrUnsafeLink, name)
	case !utf8.ValidString(target) || strings.ContainsFunc(target, unicode.IsControl) || strings.Contains(target, `\`):
		return "", fmt.Errorf("%w: %s -> %q: not a plain relative path", ErrUnsafeLink, name, target)
	case path.IsAbs(target) || len(target) >= 2 && target[1] == ':' && isLetter(target[0]):
		return "", fmt.Errorf("%w: %s -> %s is absolute", ErrUnsafeLink, name, target)
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") || resolved == "." {
		return "", fmt.Errorf("%w: %s -> %s leaves the pack", ErrUnsafeLink, name, target)
	}
	return resolved, nil
}
