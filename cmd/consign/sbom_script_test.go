package main

import (
	"archive/tar"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"
)

// tarballCmd is the script command "tarball OUT DIR": it writes an
// uncompressed tar of the regular files under DIR, named relative to DIR,
// so that scripts can scan an archive without a tar program.
func tarballCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tarball out dir")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	tw := tar.NewWriter(f)
	root := ts.MkAbs(args[1])
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	}))
	ts.Check(tw.Close())
	ts.Check(f.Close())
}
