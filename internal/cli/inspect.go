package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/sign"
)

type inspectKey struct {
	Kind      string `json:"kind"` // public key, private key (encrypted), private key
	Algorithm string `json:"algorithm,omitempty"`
	KeyID     string `json:"keyId,omitempty"`
}

type inspectSubject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

type inspectItem struct {
	Source        string           `json:"source"`
	Format        string           `json:"format"`
	Error         string           `json:"error,omitempty"`
	PayloadType   string           `json:"payloadType,omitempty"`
	StatementType string           `json:"statementType,omitempty"`
	PredicateType string           `json:"predicateType,omitempty"`
	Subjects      []inspectSubject `json:"subjects,omitempty"`
	Name          string           `json:"name,omitempty"`
	Command       []string         `json:"command,omitempty"`
	Materials     int              `json:"materials,omitempty"`
	Products      int              `json:"products,omitempty"`
	SignatureKeys []string         `json:"signatureKeyIds,omitempty"`
	Signatures    int              `json:"signatures"`
	Predicate     json.RawMessage  `json:"predicate,omitempty"`
}

// NewCmdInspect is 'consign inspect'.
func NewCmdInspect(deps *Deps) *cobra.Command {
	var output string
	var predicate bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show what an attestation file, bundle, link, key or evidence pack holds (without verifying it)",
		Long: `Show what FILE holds: for attestations (.intoto.jsonl, DSSE envelopes, cosign and
Sigstore bundles, in-toto .link files) each statement's predicate type, subjects and the
key ids its signatures claim; for a key file its algorithm and key id; for an evidence pack
(consign pack) its manifest and every entry as the archive's headers give them, and any
reason verify-pack would refuse it.

Nothing is verified: key ids in a file are unauthenticated hints. Use
'consign verify-attestation --key PUB FILE' to check signatures.`,
		Example: `  consign inspect build.intoto.jsonl
  consign inspect --output json --predicate build.intoto.jsonl | jq '.items[0].predicate'
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
				return inspectPack(cmd.OutOrStdout(), args[0], output)
			}
			data, err := limits.ReadFile(args[0], limits.AttestationFile)
			if err != nil {
				return fmt.Errorf("reading %w", err)
			}
			if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN ")) {
				k, err := inspectKeyFile(data)
				if err != nil {
					return err
				}
				if output == "json" {
					return json.NewEncoder(cmd.OutOrStdout()).Encode(k)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n  algorithm: %s\n  key id:    %s\n", k.Kind, k.Algorithm, k.KeyID)
				return nil
			}
			items, err := attest.Read(data, args[0])
			if err != nil {
				if errors.Is(err, attest.ErrNothingToVerify) {
					// inspect verifies nothing, so "no" is not its answer: bad input.
					return withHint(fmt.Errorf("%s holds no attestations", args[0]), "an .intoto.jsonl holds one DSSE envelope per line")
				}
				return err
			}
			var out []inspectItem
			bad := 0
			for i := range items {
				ii := describeItem(&items[i], predicate)
				if ii.Error != "" {
					bad++
				}
				out = append(out, ii)
			}
			if output == "json" {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					Verified bool          `json:"verified"`
					Items    []inspectItem `json:"items"`
				}{false, out}); err != nil {
					return err
				}
			} else {
				printInspect(cmd.OutOrStdout(), out)
			}
			if bad > 0 {
				return withHint(fmt.Errorf("%d of %d item(s) in %s could not be read", bad, len(items), args[0]), "the lines marked 'error' are corrupt or not attestations")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&predicate, "predicate", false, "include each statement's predicate")
	addOutputFlag(cmd, &output)
	return cmd
}

func inspectKeyFile(data []byte) (*inspectKey, error) {
	pub, err := sign.ParsePublicKey(data)
	if err == nil {
		id, _ := sign.KeyID(pub)
		return &inspectKey{Kind: "public key", Algorithm: sign.Algorithm(pub), KeyID: id}, nil
	}
	if strings.Contains(string(data), "-----BEGIN ENCRYPTED ") {
		if err := sign.CheckEncryptedPrivateKey(data); err != nil {
			return nil, err
		}
		return &inspectKey{Kind: "encrypted private key (cosign format)", Algorithm: "unknown until decrypted", KeyID: "that of its .pub file"}, nil
	}
	priv, perr := sign.ParsePrivateKey(data, nil)
	if perr != nil {
		if errors.Is(err, sign.ErrNotPublicKey) {
			return nil, perr
		}
		return nil, err
	}
	id, _ := sign.KeyID(priv.Public())
	return &inspectKey{Kind: "UNENCRYPTED private key", Algorithm: sign.Algorithm(priv.Public()), KeyID: id}, nil
}

func describeItem(it *attest.Item, withPredicate bool) inspectItem {
	ii := inspectItem{Source: it.Source, Format: it.Format}
	if it.Err != nil {
		ii.Error = it.Err.Error()
		return ii
	}
	ii.Format = it.Describe()
	switch {
	case it.Envelope != nil:
		ii.PayloadType = it.Envelope.PayloadType
		ii.Signatures = len(it.Envelope.Signatures)
		for _, s := range it.Envelope.Signatures {
			ii.SignatureKeys = append(ii.SignatureKeys, s.KeyID)
		}
		st, err := attest.ParseStatement(it.Envelope.Payload)
		if err != nil {
			ii.Error = err.Error()
			return ii
		}
		ii.StatementType, ii.PredicateType = st.Type, st.PredicateType
		for _, s := range st.Subject {
			ii.Subjects = append(ii.Subjects, inspectSubject{s.Name, s.Digest})
		}
		if withPredicate {
			ii.Predicate = st.Predicate
		}
	case it.Link != nil:
		ii.PredicateType = attest.LegacyLinkType
		ii.Name, ii.Command = it.Link.Name, it.Link.Command
		ii.Materials, ii.Products = len(it.Link.Materials), len(it.Link.Products)
		ii.Signatures = len(it.Link.Signatures)
		for _, s := range it.Link.Signatures {
			ii.SignatureKeys = append(ii.SignatureKeys, s.KeyID)
		}
		for _, s := range it.Link.ProductSubjects() {
			ii.Subjects = append(ii.Subjects, inspectSubject{s.Name, s.Digest})
		}
	case it.Blob != nil:
		ii.Signatures = 1
		if it.Blob.Digest != nil {
			ii.Subjects = []inspectSubject{{Digest: it.Blob.Digest}}
		}
	}
	return ii
}

func printInspect(w io.Writer, items []inspectItem) {
	fmt.Fprintln(w, "UNVERIFIED: nothing below has been checked; use 'consign verify-attestation'.")
	for _, ii := range items {
		fmt.Fprintf(w, "\n%s: %s\n", ii.Source, ii.Format)
		if ii.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", ii.Error)
			continue
		}
		if ii.PredicateType != "" {
			fmt.Fprintf(w, "  predicate type: %s", ii.PredicateType)
			if s := attest.ShortName(ii.PredicateType); s != ii.PredicateType {
				fmt.Fprintf(w, " (%s)", s)
			}
			fmt.Fprintln(w)
		}
		if ii.Name != "" {
			fmt.Fprintf(w, "  step: %s\n  command: %s\n  materials: %d, products: %d\n", ii.Name, strings.Join(ii.Command, " "), ii.Materials, ii.Products)
		}
		if ii.StatementType != "" {
			fmt.Fprintf(w, "  statement: %s\n", ii.StatementType)
		}
		fmt.Fprintf(w, "  signatures: %d", ii.Signatures)
		var hints []string
		for _, k := range ii.SignatureKeys {
			if k != "" {
				hints = append(hints, k)
			}
		}
		if len(hints) > 0 {
			fmt.Fprintf(w, " (claimed key ids: %s)", strings.Join(hints, ", "))
		}
		fmt.Fprintln(w)
		if len(ii.Subjects) > 0 {
			fmt.Fprintf(w, "  subjects: %d\n", len(ii.Subjects))
			for i, s := range ii.Subjects {
				if i == 20 {
					fmt.Fprintf(w, "    ... and %d more (--output json lists all)\n", len(ii.Subjects)-20)
					break
				}
				d := s.Digest["sha256"]
				if d == "" {
					for alg, v := range s.Digest {
						d = alg + ":" + v
						break
					}
				} else {
					d = "sha256:" + d
				}
				fmt.Fprintf(w, "    %s  %s\n", d, s.Name)
			}
		}
		if len(ii.Predicate) > 0 {
			var buf bytes.Buffer
			if json.Indent(&buf, ii.Predicate, "    ", "  ") == nil {
				fmt.Fprintf(w, "  predicate:\n    %s\n", buf.String())
			}
		}
	}
}
