package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	cobracmd "github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/cli"
)

// cliDocPath is the generated command reference.
const cliDocPath = "../../docs/cli.md"

// registryNo is what exit 3 means for a command that reads from a
// registry: what it sent does not check out.
const registryNo = "the registry sent data that does not check out (a manifest or layer unlike its digest, an attachment about another image)"

// answersNo is what exit 3 means for each command that can answer "no"
// (every command can exit 0, 1 and 2).
var answersNo = map[string]string{
	"consign verify":                         "the release does not satisfy the policy, or the policy's signature or freshness does not hold",
	"consign verify-attestation":             "an attestation does not verify with the keys given (or --threshold of them) or is not about --subject, or none is of --type",
	"consign verify-bundle":                  "the Sigstore bundle does not verify for this artifact and identity",
	"consign verify-image":                   "no signature by a trusted key or identity names the image's digest, or " + registryNo,
	"consign slsa verify-artifact":           "the provenance does not verify, or not for this source, builder, ref or inputs, or it needs an online Rekor search",
	"consign slsa verify-image":              "no provenance for the image verifies, or not for this source, builder, ref or inputs",
	"consign slsa verify-vsa":                "the VSA is not signed by this key and key id, or says something else than asked",
	"consign slsa verify-npm-package":        "an attestation does not verify, or not for this tarball, source, builder or package",
	"consign slsa verify-github-attestation": "the attestation does not verify, or not for this artifact, source or builder",
	"consign verify-pack":                    "the pack, or what it holds, does not verify",
	"consign pack":                           "the release does not verify, so no pack is written",
	"consign fetch":                          "a receipt the log served does not verify",
	"consign publish":                        "a receipt the log served does not verify with --log-key, so it is not written",
	"consign sbom":                           "with --strict-profile: an output misses an element of the profile, and nothing is written; or " + registryNo,
	"consign sbom check":                     "the SBOM breaks its format's schema (without --no-schema), a --require gate is not met, or a --profile element is missing",
	"consign log checkpoint":                 "the checkpoint is not signed by --log-key, or lacks the witness cosignatures required",
	"consign log monitor":                    "the log is not consistent with the checkpoint trusted (an ALERT)",
	"consign log verify-receipt":             "a receipt does not prove its attestation is in the log",
	"consign policy check":                   "with --trust-root: the policy's signature does not verify",
	"consign trust-root update":              "the TUF repository does not verify from the root trusted (signatures, expiry, versions), or its target is not a trusted root",
	"consign attest":                         "with --image: " + registryNo,
	"consign attach":                         registryNo,
	"consign discover":                       registryNo,
	"consign download":                       registryNo,
	"consign sign":                           registryNo,
}

// otherExits are the exit codes a command has besides 0 to 3.
var otherExits = map[string]string{
	"consign run": "when the step's command fails: its exit status (127: it could not start), after the failure is recorded",
}

// cliDoc renders the command reference of the tree under root.
func cliDoc(root *cobracmd.Command) string {
	var b bytes.Buffer
	b.WriteString("# Command reference\n\n")
	b.WriteString("Generated from the command tree by `go test ./cmd/consign -run TestCLIDoc -update`;\n")
	b.WriteString("the test fails when this file differs from what the commands define. `consign COMMAND --help`\n")
	b.WriteString("says more about each.\n\n")
	b.WriteString("Every command exits 0 on success, 1 on an error (bad input, unreadable or malformed file, I/O)\n")
	b.WriteString("and 2 on a usage error (unknown flag, missing argument). Those that verify also exit 3 when\n")
	b.WriteString("the verification ran and the answer is no; its meaning is given for each.\n")
	var walk func(*cobracmd.Command)
	walk = func(c *cobracmd.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c != root {
			writeCommand(&b, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return b.String()
}

func writeCommand(b *bytes.Buffer, c *cobracmd.Command) {
	fmt.Fprintf(b, "\n## %s\n\n%s.\n\n", c.CommandPath(), strings.TrimSuffix(c.Short, "."))
	if c.Runnable() {
		fmt.Fprintf(b, "Usage: `%s`\n\n", c.UseLine())
	}
	exit := "0, 1, 2"
	if no, ok := answersNo[c.CommandPath()]; ok {
		exit += "; 3: " + no
	}
	if other, ok := otherExits[c.CommandPath()]; ok {
		exit += "; " + other
	}
	fmt.Fprintf(b, "Exit codes: %s.\n", exit)
	var rows []string
	c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "`--" + f.Name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		def := f.DefValue
		if def == "" || def == "[]" || def == "false" || def == "0s" && f.Value.Type() == "duration" {
			def = ""
		} else {
			def = "`" + def + "`"
		}
		usage := strings.ReplaceAll(f.Usage, "|", `\|`)
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", name, f.Value.Type(), def, usage))
	})
	if len(rows) > 0 {
		b.WriteString("\n| flag | type | default | meaning |\n|---|---|---|---|\n")
		b.WriteString(strings.Join(rows, "\n") + "\n")
	}
}

// TestCLIDoc: docs/cli.md is the command tree's reference, as generated.
func TestCLIDoc(t *testing.T) {
	root := cli.NewRootCmd(&cli.Deps{})
	for _, m := range []map[string]string{answersNo, otherExits} {
		for path := range m {
			if c, _, err := root.Find(strings.Fields(path)[1:]); err != nil || c.CommandPath() != path {
				t.Errorf("answersNo or otherExits names %q, which is not a command", path)
			}
		}
	}
	got := cliDoc(root)
	if *update {
		if err := os.WriteFile(cliDocPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(cliDocPath)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/consign -run TestCLIDoc -update)", err)
	}
	if string(want) != got {
		t.Errorf("docs/cli.md differs from the command tree: run go test ./cmd/consign -run TestCLIDoc -update")
	}
}
