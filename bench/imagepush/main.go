// Command imagepush pushes a small random image to a registry, for the
// container image benchmark (image.sh): consign and cosign push no images.
//
// Usage: go run ./bench/imagepush HOST:PORT/REPO:TAG
package main

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: imagepush HOST:PORT/REPO:TAG")
		os.Exit(2)
	}
	if err := push(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "imagepush:", err)
		os.Exit(1)
	}
}

func push(ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	img, err := random.Image(4096, 2)
	if err != nil {
		return err
	}
	if err := remote.Write(r, img); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(r.Context().Digest(d.String()).String())
	return nil
}
