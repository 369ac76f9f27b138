package pack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/consign-dev/consign/internal/jsonl"
)

// Listing is what an archive says it holds, trusted in nothing: for
// 'consign inspect'.
type Listing struct {
	Compression string    `json:"compression"`
	Manifest    *Manifest `json:"manifest,omitempty"`
	Entries     []Listed  `json:"entries"`
	// Problems are why [Read] would refuse the pack.
	Problems []string `json:"problems,omitempty"`
}

// Listed is one entry as the archive's header gives it.
type Listed struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Mode   string `json:"mode"`
	Size   int64  `json:"size"`
	Target string `json:"target,omitempty"`
	// Role is the manifest's role for the name, "" when it lists none.
	Role string `json:"role,omitempty"`
}

// ListFile lists the pack at name and, reading it again as [ReadFile]
// does, records why it would be refused. Once ctx has ended it stops, and
// returns the context's cause.
func ListFile(ctx context.Context, name string, lim Limits) (*Listing, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, err := List(ctx, f, lim)
	if l == nil {
		return nil, err
	}
	if err != nil {
		l.Problems = append(l.Problems, err.Error())
		return l, nil
	}
	p, err := ReadFile(ctx, name, Options{Limits: lim})
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		l.Problems = append(l.Problems, err.Error())
	} else {
		p.Close()
	}
	return l, nil
}

// List reads the headers of a pack (plain or gzip tar) without checking
// anything but the caps on size and entries; the manifest is parsed when
// it is the first entry. It returns what it listed so far with an error,
// except once ctx has ended: then it stops within a read of r and returns
// nil and the context's cause.
func List(ctx context.Context, r io.Reader, lim Limits) (l *Listing, err error) {
	defer func() {
		if ctx.Err() != nil {
			l, err = nil, context.Cause(ctx)
		}
	}()
	lim = lim.withDefaults()
	st, err := openStream(jsonl.CancelReader(ctx, r), lim)
	if err != nil {
		return nil, err
	}
	l = &Listing{Compression: st.compression, Entries: []Listed{}}
	tr := tar.NewReader(st.budget)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return l, nil
		}
		if err != nil {
			return l, readErr(err)
		}
		if i >= lim.MaxEntries {
			return l, fmt.Errorf("%w: more than %d entries", ErrTooLarge, lim.MaxEntries)
		}
		e := Listed{Name: hdr.Name, Mode: fmt.Sprintf("%04o", hdr.Mode&0o7777), Size: hdr.Size, Target: hdr.Linkname, Type: TarTypeName(hdr.Typeflag)}
		if i == 0 && hdr.Name == ManifestName && hdr.Typeflag == tar.TypeReg && hdr.Size <= MaxManifestSize {
			data, err := io.ReadAll(tr)
			if err != nil {
				return l, readErr(err)
			}
			if m, err := ParseManifest(data); err == nil {
				l.Manifest = m
			}
			e.Role = "manifest"
		} else if l.Manifest != nil {
			if f := l.Manifest.File(hdr.Name); f != nil {
				e.Role = f.Role
			}
		}
		l.Entries = append(l.Entries, e)
	}
}

// TarTypeName names a tar entry's type as pack listings and inspect show
// it: file, dir, symlink, hardlink, chardev, blockdev, fifo.
func TarTypeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "chardev"
	case tar.TypeBlock:
		return "blockdev"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("type-%q", t)
}
