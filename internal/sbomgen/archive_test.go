package sbomgen

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomspec"
)

var testLimits = archiveLimits{bytes: 1 << 20, entries: 100}

// extractInto extracts archive bytes (named name) into a fresh directory
// inside a parent that also holds a sentinel directory, and returns the
// error and the parent, so tests can check nothing landed outside.
func extractInto(t *testing.T, name string, data []byte, lim archiveLimits) (string, string, error) {
	t.Helper()
	parent := t.TempDir()
	src := filepath.Join(parent, name)
	must(t, os.WriteFile(src, data, 0o644))
	dst := filepath.Join(parent, "out")
	must(t, os.Mkdir(dst, 0o755))
	must(t, os.Mkdir(filepath.Join(parent, "sentinel"), 0o755))
	_, err := extractArchive(context.Background(), src, dst, lim)
	return parent, dst, err
}

// assertContained checks that the extraction touched nothing outside its
// directory: the parent holds only the archive, out and the empty sentinel.
func assertContained(t *testing.T, parent, archive string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != strings.Join([]string{archive, "out", "sentinel"}, ",") {
		t.Errorf("the extraction's parent holds %q", names)
	}
	if s, _ := os.ReadDir(filepath.Join(parent, "sentinel")); len(s) != 0 {
		t.Errorf("something was written into the sentinel directory: %v", s)
	}
}

type entry struct {
	name, body, link string
	typ              byte
}

func tarOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		must(t, tw.WriteHeader(h))
		if h.Size > 0 {
			_, err := tw.Write([]byte(e.body))
			must(t, err)
		}
	}
	must(t, tw.Close())
	return buf.Bytes()
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		must(t, err)
		_, err = w.Write([]byte(e.body))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

// TestSecurityCase41_Traversal: entries that climb out of the archive or
// are absolute (Unix, Windows, backslashed) refuse the archive, and
// nothing is written outside the extraction directory.
func TestSecurityCase41_Traversal(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"../../etc/passwd", "/etc/shadow", `C:\Windows\x`, `..\..\x`, "a/../../x", "../sentinel/x"} {
		for _, kind := range []string{"tar", "zip"} {
			t.Run(kind+" "+name, func(t *testing.T) {
				var data []byte
				if kind == "tar" {
					data = tarOf(t, entry{name: "ok.txt", body: "fine"}, entry{name: name, body: "pwned"})
				} else {
					data = zipOf(t, entry{name: "ok.txt", body: "fine"}, entry{name: name, body: "pwned"})
				}
				parent, _, err := extractInto(t, "evil."+kind, data, testLimits)
				if !errors.Is(err, ErrArchive) {
					t.Errorf("extracting an entry named %q = %v, want ErrArchive", name, err)
				}
				assertContained(t, parent, "evil."+kind)
			})
		}
	}
}

// TestSecurityCase42_Links: links are never created, so writing through a
// link cannot leave the directory; safe links and a "./" root entry are
// accepted (skipped), which guards against an over-strict fix.
func TestSecurityCase42_Links(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	data := tarOf(t,
		entry{name: "./", typ: tar.TypeDir},
		entry{name: "lnk", typ: tar.TypeSymlink, link: outside},
		entry{name: "lnk/pwned", body: "through the link"},
		entry{name: "h", typ: tar.TypeLink, link: "/etc/passwd"},
		entry{name: "a", typ: tar.TypeSymlink, link: "b"},
		entry{name: "b", typ: tar.TypeSymlink, link: "../.."},
		entry{name: "dir/target.txt", body: "target"},
		entry{name: "dir/link", typ: tar.TypeSymlink, link: "target.txt"},
	)
	parent, dst, err := extractInto(t, "links.tar", data, testLimits)
	if err != nil {
		t.Fatalf("extracting links = %v, want them skipped", err)
	}
	assertContained(t, parent, "links.tar")
	if e, _ := os.ReadDir(outside); len(e) != 0 {
		t.Errorf("a file was written through the symlink: %v", e)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "lnk", "pwned")); err != nil || string(b) != "through the link" {
		t.Errorf("lnk/pwned = %q, %v; want it inside the directory", b, err)
	}
	for _, name := range []string{"h", "a", "b", "dir/link"} {
		if _, err := os.Lstat(filepath.Join(dst, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("link %s was created (%v)", name, err)
		}
	}
}

// TestSecurityCase43_Bombs: bombs stop at the limits, whatever entries
// declare, before writing past them.
func TestSecurityCase43_Bombs(t *testing.T) {
	t.Parallel()
	zeros := strings.Repeat("\x00", 4<<20)
	t.Run("zip expanding past the limit", func(t *testing.T) {
		data := zipOf(t, entry{name: "zeros.bin", body: zeros}) // 4 MiB of zeros in a few KiB
		if len(data) > 64<<10 {
			t.Fatalf("the bomb is %d bytes, want a small one", len(data))
		}
		_, dst, err := extractInto(t, "bomb.zip", data, testLimits)
		if !errors.Is(err, ErrArchive) || !errors.Is(err, limits.ErrTooLarge) {
			t.Fatalf("extracting a zip bomb = %v, want ErrArchive and ErrTooLarge", err)
		}
		if fi, err := os.Stat(filepath.Join(dst, "zeros.bin")); err == nil && fi.Size() > testLimits.bytes+1 {
			t.Errorf("wrote %d bytes, over the limit of %d", fi.Size(), testLimits.bytes)
		}
	})
	t.Run("zip declaring 4 GiB", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		body := []byte("small")
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "huge.bin", Method: zip.Store, CRC32: crc32.ChecksumIEEE(body),
			CompressedSize64: uint64(len(body)), UncompressedSize64: 4 << 30})
		must(t, err)
		_, err = w.Write(body)
		must(t, err)
		must(t, zw.Close())
		_, _, err = extractInto(t, "declared.zip", buf.Bytes(), testLimits)
		if !errors.Is(err, limits.ErrTooLarge) {
			t.Errorf("a zip declaring 4 GiB = %v, want ErrTooLarge", err)
		}
	})
	t.Run("tar header of 2^40 bytes", func(t *testing.T) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		must(t, tw.WriteHeader(&tar.Header{Name: "sparse.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40}))
		_, _, err := extractInto(t, "huge.tar", buf.Bytes(), testLimits) // the data is not there at all
		if !errors.Is(err, limits.ErrTooLarge) {
			t.Errorf("a tar entry of 2^40 bytes = %v, want ErrTooLarge", err)
		}
	})
	t.Run("too many entries", func(t *testing.T) {
		var es []entry
		for i := range 20 {
			es = append(es, entry{name: strings.Repeat("sub/", i%3) + string(rune('a'+i)), body: "x"})
		}
		_, _, err := extractInto(t, "many.zip", zipOf(t, es...), archiveLimits{bytes: 1 << 20, entries: 10})
		if !errors.Is(err, limits.ErrTooLarge) {
			t.Errorf("20 entries with a limit of 10 = %v, want ErrTooLarge", err)
		}
	})
}

// TestSecurityCase44_Duplicates: a name twice means two readers could see
// different files; the archive is refused.
func TestSecurityCase44_Duplicates(t *testing.T) {
	t.Parallel()
	for kind, data := range map[string][]byte{
		"tar": tarOf(t, entry{name: "var/lib/dpkg/status", body: "Package: good\n"}, entry{name: "./var/lib/dpkg/status", body: "Package: evil\n"}),
		"zip": zipOf(t, entry{name: "attestation.json", body: "{}"}, entry{name: "attestation.json", body: `{"evil": true}`}),
	} {
		_, _, err := extractInto(t, "dup."+kind, data, testLimits)
		if !errors.Is(err, ErrArchive) || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s with a name twice = %v, want ErrArchive", kind, err)
		}
	}
}

// TestSecurityCase43_45_GenerateCleansUp runs whole scans with TMPDIR set
// to a directory of their own: a good archive, a bomb and an image. Each
// leaves TMPDIR empty, and the bomb gives the archive error.
func TestSecurityCase43_45_GenerateCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	in := t.TempDir()
	good := filepath.Join(in, "good.tar")
	must(t, os.WriteFile(good, tarBytes(t, fixtureFiles()), 0o644))
	bomb := filepath.Join(in, "bomb.zip")
	must(t, os.WriteFile(bomb, zipOf(t, entry{name: "ok.txt", body: "fine"}, entry{name: "zeros.bin", body: strings.Repeat("\x00", 4<<20)}), 0o644))
	image := filepath.Join(in, "image.tar")
	writeDockerArchive(t, image, fixtureImage(t))
	for _, tt := range []struct {
		target  string
		wantErr error
	}{{good, nil}, {bomb, limits.ErrTooLarge}, {image, nil}} {
		_, err := Generate(context.Background(), sbomspec.Config{Target: tt.target, MaxArchiveBytes: 1 << 20})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Generate(%s) = %v, want %v", filepath.Base(tt.target), err, tt.wantErr)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("Generate(%s) left %q in TMPDIR", filepath.Base(tt.target), names)
			for _, e := range left {
				os.RemoveAll(filepath.Join(tmp, e.Name()))
			}
		}
	}
}
