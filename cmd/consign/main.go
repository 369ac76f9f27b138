// Command consign records and verifies software supply-chain provenance.
package main

import (
	"context"
	"os"

	"github.com/consign-dev/consign/internal/cli"
)

// main leaves SIGINT and SIGTERM to cli.Main, which cancels the work and
// exits 130 or 143.
func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
