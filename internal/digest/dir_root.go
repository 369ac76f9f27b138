package digest

import (
	"context"
	"os"
)

// rootDir is an open directory whose files are opened through its own
// [os.Root], so that they stay inside it. It is the portable way to list and
// hash a directory; Linux has a faster one (see dir_linux.go).
type rootDir struct {
	root *os.Root
}

// openRootDir opens the directory real (a path with no links) in root and
// lists it, each entry's key being prefix and its name.
func openRootDir(root *os.Root, real, prefix string, _ []byte) (openDir, []dirEntry, error) {
	sub, err := root.OpenRoot(real)
	if err != nil {
		return nil, nil, err
	}
	f, err := sub.Open(".")
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	list, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		sub.Close()
		return nil, nil, err
	}
	ents := make([]dirEntry, len(list))
	for i, e := range list {
		key := prefix + e.Name()
		ents[i] = dirEntry{key: key, name: key[len(prefix):], typ: e.Type()}
	}
	return rootDir{root: sub}, ents, nil
}

func (d rootDir) close() { d.root.Close() }

func (d rootDir) hashFiles(ctx context.Context, w *worker, files []fileItem, each func(fileItem, error) bool) error {
	for _, it := range files {
		if !each(it, w.hashRootFile(ctx, d.root, it.name)) {
			break
		}
	}
	return nil
}
