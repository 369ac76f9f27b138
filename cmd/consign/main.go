// Command consign records and verifies software supply-chain provenance.
package main

import (
	"context"
	"os"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/startup"
)

// main leaves SIGINT and SIGTERM to cli.Main, which cancels the work and
// exits 130 or 143. The package initialisers have run: startup.Done lets
// the GC setting come back.
func main() {
	startup.Done()
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
