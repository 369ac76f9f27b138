package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/sign"
)

// NewCmdInspect is 'consign inspect'.
func NewCmdInspect(deps *Deps) *cobra.Command {
	var output string
	var predicate bool
	var keys []string
	cmd := &cobra.Command{
		Use:   "inspect [--key PUB]... FILE",
		Short: "Show what any file consign writes holds (attestations, keys, policies, receipts, packs...), without verifying it",
		Long: `Show what FILE holds: for attestations (.intoto.jsonl, DSSE envelopes, cosign and
Sigstore bundles, in-toto .link files) each statement's predicate type, subjects and the
key ids its signatures claim; for a signed policy its functionaries (keys and keyless
identities), trusted roots and stages; for a key file its algorithm and key id; for an evidence pack
(consign pack) its manifest and every entry as the archive's headers give them, and any
reason verify-pack would refuse it; for a tar that is not a pack, its entries. It reads
the other files consign writes too: policies in YAML, receipts, a log's
log.vkey, the state files of 'log monitor' and 'verify', and SBOMs.

Nothing is verified: key ids in a file are unauthenticated hints. consign and cosign
write none (an empty keyid); with --key, inspect says which of the keys given made each
signature, and nothing more (not the predicate type, subjects or policy). Use
'consign verify-attestation --key PUB FILE' to verify an attestation. A keyless Sigstore
bundle names no key: inspect shows the identity its certificate claims (subject and OIDC
issuer, unverified) and the 'consign verify-bundle' command that checks it.`,
		Example: `  consign inspect build.intoto.jsonl
  consign inspect --output json --predicate build.intoto.jsonl | jq '.items[0].predicate'
  consign inspect --key ci.pub --key qa.pub build.intoto.jsonl
  consign inspect ci.pub
  consign inspect release.pack`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("inspect takes exactly one FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if pack.IsPackFile(args[0]) {
				if ok, err := inspectTar(cmd.OutOrStdout(), output, args[0]); ok || err != nil {
					return err
				}
				return inspectPack(cmd.Context(), cmd.OutOrStdout(), args[0], output)
			}
			data, err := limits.ReadFile(args[0], limits.AttestationFile)
			if err != nil {
				return err // "open FILE: no such file or directory" names it
			}
			if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN ")) {
				return inspectKeyFile(cmd.OutOrStdout(), output, data)
			}
			if p, err := signedPolicy(data); err != nil {
				return err
			} else if p != nil {
				return inspectPolicy(cmd.OutOrStdout(), output, args[0], p)
			}
			if k, ok := describeFile(args[0], data); ok {
				return k.print(cmd.OutOrStdout(), output)
			}
			var kr *attest.Keyring
			if len(keys) > 0 {
				if kr, err = loadKeyring(keys); err != nil {
					return err
				}
			}
			return inspectAttestations(cmd.OutOrStdout(), output, args[0], data, predicate, kr)
		},
	}
	cmd.Flags().BoolVar(&predicate, "predicate", false, "include each statement's predicate")
	cmd.Flags().StringArrayVar(&keys, "key", nil, "public key: say which signatures it made (repeatable)")
	addOutputFlag(cmd, &output)
	return cmd
}

func inspectKeyFile(w io.Writer, output string, data []byte) error {
	k, err := sign.Describe(data)
	if err != nil {
		return err
	}
	if output == "json" {
		return json.NewEncoder(w).Encode(k)
	}
	fmt.Fprintf(w, "%s\n  algorithm: %s\n  key id:    %s\n", k.Kind, k.Algorithm, k.KeyID)
	return nil
}

func inspectAttestations(w io.Writer, output, name string, data []byte, predicate bool, kr *attest.Keyring) error {
	items, err := attest.Read(data, name)
	if err != nil {
		if errors.Is(err, attest.ErrNothingToVerify) || errors.Is(err, attest.ErrEmpty) {
			// inspect verifies nothing, so "no" is not its answer: bad input.
			return withHint(fmt.Errorf("%s holds no attestations", name), "an .intoto.jsonl holds one DSSE envelope per line")
		}
		return withHint(err, "inspect reads what consign writes: attestations, bundles, links, keys, policies, receipts, log keys, state files, SBOMs and packs; this is none of them")
	}
	var out []inspectItem
	bad := 0
	for i := range items {
		ii := describeItem(&items[i], predicate, kr)
		if ii.Error != "" {
			bad++
		}
		out = append(out, ii)
	}
	if output == "json" {
		if err := json.NewEncoder(w).Encode(struct {
			Verified bool          `json:"verified"`
			Items    []inspectItem `json:"items"`
		}{false, out}); err != nil {
			return err
		}
	} else {
		printInspect(w, name, out)
	}
	if bad > 0 {
		return withHint(fmt.Errorf("%d of %d item(s) in %s could not be read", bad, len(items), name), "the lines marked 'error' are corrupt or not attestations")
	}
	return nil
}
