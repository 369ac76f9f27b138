package digest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
)

func ExampleReader() {
	s, n, err := digest.Reader(strings.NewReader("abc"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, s)
	// Output: 3 sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

func ExampleMatches() {
	built, err := digest.Parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
	if err != nil {
		log.Fatal(err)
	}
	claimed := digest.Set{"sha1": "a9993e364706816aba3e25717850c26c9cd0d89d"}
	fmt.Println(digest.Matches(built, built))
	fmt.Println(digest.Matches(built, claimed)) // no strong algorithm in common
	// Output:
	// true
	// false
}

func ExampleRecord() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, content := range map[string]string{"src/main.c": "int main(void) { return 0; }\n", "src/main.o": "\x7fELF"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	res, err := digest.Record(context.Background(), dir, []string{"src"}, digest.RecordOptions{Exclude: []string{"*.o"}})
	if err != nil {
		log.Fatal(err)
	}
	for path, s := range res.Artifacts {
		fmt.Println(path, s)
	}
	// Output:
	// src/main.c sha256:2ad75d95660563887d8d3f1d0ae1dcf18c2379cbd83a5c72f5ab276351ee6949
}
