package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// singleDashFlag finds, in the arguments of the command args run, a long
// flag written with one dash, as Go's flag package, openssl and in-toto's
// tools take them: '-key ci.pub', '-out ci'. pflag reads such a word as
// short flags: '-out' is '-o ut', which set --output to "ut" and left the
// next word as an argument ("keygen takes no arguments, got \"ci\""), and
// '-key' is an unknown '-k'. Nothing after '--' is looked at (a step's
// command), nor the value of a flag.
func singleDashFlag(root *cobra.Command, args []string) error {
	cmd, rest, err := root.Find(args)
	if err != nil {
		return nil // cobra reports it
	}
	// --help and the root's --version are added by cobra as it runs;
	// '-help' and '-version' are long flags with one dash too.
	cmd.InitDefaultHelpFlag()
	if cmd == root {
		root.InitDefaultVersionFlag()
	}
	lookup := func(name string) *pflag.Flag {
		if f := cmd.Flags().Lookup(name); f != nil {
			return f
		}
		return cmd.InheritedFlags().Lookup(name)
	}
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "--") {
			if f := lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
				i++ // its value, whatever it looks like
			}
			continue
		}
		if len(name) > 1 {
			if f := lookup(name); f != nil {
				return usageErr(fmt.Errorf("%s: long flags take two dashes: --%s%s", a, name, strings.TrimPrefix(a, "-"+name)))
			}
			continue
		}
		if f := cmd.Flags().ShorthandLookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
			i++
		}
	}
	return nil
}

// flagHint is the hint for a flag cmd does not have: where the flag is
// cosign's, syft's or in-toto's, how consign spells what it does.
func flagHint(cmd *cobra.Command, err error) string {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return ""
	}
	name := ne.GetSpecifiedName()
	if ne.GetSpecifiedShortnames() != "" {
		name = "-" + name
	}
	if h, ok := otherToolsFlags[cmd.Name()+" "+name]; ok {
		return h
	}
	return otherToolsFlags[name]
}

// noRekor is the hint for cosign's flags about Rekor, the public log.
const noRekor = "consign talks to no public transparency log (Rekor): drop the flag; 'consign publish' logs attestations in your own log, and 'consign log verify-receipt' checks its receipts"

// otherToolsFlags maps flags of cosign, syft and in-toto's tools, typed by
// habit, to consign's spelling: "COMMAND FLAG" for one command, "FLAG" for
// any, "-X" for a short flag.
var otherToolsFlags = map[string]string{
	"output-key-prefix":  "cosign's --output-key-prefix is --out PREFIX here (writes PREFIX.key and PREFIX.pub)",
	"output-file":        "write the result with --out FILE",
	"output-signature":   "consign writes the signed envelope itself: --out FILE.intoto.jsonl",
	"output-attestation": "consign writes the signed envelope itself: --out FILE.intoto.jsonl",
	"sbom output-file":   "syft's --file is -o FORMAT=FILE here, e.g. -o cyclonedx-json=sbom.cdx.json",
	"sbom file":          "syft's --file is -o FORMAT=FILE here, e.g. -o cyclonedx-json=sbom.cdx.json",
	"verify-attestation signature": "consign takes the attestation or signature file as its argument and the artifact with --subject: " +
		"consign verify-attestation --key PUB --subject ARTIFACT FILE",
	"verify-attestation bundle": "consign takes the bundle as its argument and the artifact with --subject: " +
		"consign verify-attestation --key PUB --subject ARTIFACT BUNDLE; a keyless bundle: 'consign verify-bundle --bundle'",
	"verify key":                      "the policy's owner key is --trust-root OWNER.pub; every other key comes from the signed policy",
	"pack key":                        "the policy's owner key is --trust-root OWNER.pub; every other key comes from the signed policy",
	"verify-pack key":                 "the owner's public key is --trust-root OWNER.pub; every other key comes from the signed policy in the pack",
	"verify layout-keys":              "in-toto-verify's --layout-keys is --layout-key here (repeatable)",
	"verify link-dir":                 "in-toto-verify's --link-dir is --links here",
	"run step-name":                   "in-toto-run's --step-name is --name here",
	"run signing-key":                 "in-toto-run's --signing-key is --key here",
	"run metadata-directory":          "in-toto-run's --metadata-directory is --link-dir here (with --legacy-link)",
	"run -n":                          "in-toto's -n is --name here",
	"run -k":                          "in-toto's -k is --key here",
	"run -m":                          "in-toto's -m is --materials here",
	"run -p":                          "in-toto's -p is --products here",
	"tlog-upload":                     noRekor,
	"insecure-ignore-tlog":            noRekor,
	"rekor-url":                       noRekor,
	"predicate-type":                  "cosign's and gh attestation's --predicate-type is --type here: a short name (slsa, cyclonedx, test...) or the type's URI",
	"-y":                              "consign asks no confirmation: drop -y",
	"yes":                             "consign asks no confirmation: drop --yes",
	"verify-bundle new-bundle-format": "consign reads every bundle format: drop the flag",
}
