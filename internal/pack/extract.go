package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/consign-dev/consign/internal/fsutil"
)

// syncFile and syncDir are variables so that tests can see each sync.
var (
	syncFile = (*os.File).Sync
	syncDir  = fsutil.SyncDir
)

// Commit moves the extracted files into place (Options.ExtractTo). Call it
// only once the pack verified.
func (p *Pack) Commit() error {
	if p.tmp == "" {
		return errors.New("nothing was extracted")
	}
	p.root.Close()
	// Every file was synced as it was written; the directories' entries are
	// synced before the rename, and the parent's after it, so that what
	// Commit reports extracted is on disk.
	if err := syncTree(p.tmp); err != nil {
		return fmt.Errorf("extracting to %s: %w", p.dest, err)
	}
	if err := os.Rename(p.tmp, p.dest); err != nil {
		return fmt.Errorf("extracting to %s: %w", p.dest, err)
	}
	p.tmp = ""
	if err := syncDir(filepath.Dir(p.dest)); err != nil {
		return fmt.Errorf("extracting to %s: %w", p.dest, err)
	}
	return nil
}

// syncTree syncs every directory under root, root included.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(path)
	})
}

// Close removes extracted files that were not committed.
func (p *Pack) Close() error {
	if p == nil || p.tmp == "" {
		return nil
	}
	p.root.Close()
	err := os.RemoveAll(p.tmp)
	p.tmp = ""
	return err
}

// prepareExtract makes the temporary directory files are extracted to.
func (p *Pack) prepareExtract(dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("extracting to %s: %w (give a directory that does not exist yet)", dest, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".partial-*")
	if err != nil {
		return fmt.Errorf("extracting to %s: %w", dest, err)
	}
	root, err := os.OpenRoot(tmp)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	p.tmp, p.dest, p.root = tmp, abs, root
	return nil
}

// mkdirs makes the directories of a pack name inside the extraction
// directory. Every element is a directory the reader created: names are
// clean and relative, and no entry's parent is a file or a link.
func (p *Pack) mkdirs(dir string) error {
	if dir == "." || dir == "" {
		return nil
	}
	return p.root.MkdirAll(dir, 0o755)
}

func (p *Pack) create(name string, perm fs.FileMode) (*os.File, error) {
	if err := p.mkdirs(path.Dir(name)); err != nil {
		return nil, err
	}
	// O_EXCL: a name is never written twice, and never through a link.
	f, err := p.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm.Perm()&0o755)
	if err != nil {
		return nil, fmt.Errorf("extracting %s: %w", name, err)
	}
	return f, nil
}

// writeFile writes one whole extracted file, synced.
func (p *Pack) writeFile(name string, data []byte, perm fs.FileMode) error {
	f, err := p.create(name, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("extracting %s: %w", name, err)
	}
	return closeSynced(f)
}

// closeSynced syncs an extracted file and closes it.
func closeSynced(f *os.File) error {
	if err := syncFile(f); err != nil {
		f.Close()
		return fmt.Errorf("extracting %s: %w", f.Name(), err)
	}
	return f.Close()
}
