// Command consign-sbom is consign with SBOM generation (syft) linked: the
// consign binary runs it for 'consign sbom TARGET'. Install it next to
// consign, from the same version.
package main

import (
	"context"
	"os"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/cli/syftgen"
	"github.com/consign-dev/consign/internal/startup"
)

// main is consign's main with the SBOM generator.
func main() {
	startup.Done()
	os.Exit(cli.MainWith(context.Background(), syftgen.Generator{}, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
