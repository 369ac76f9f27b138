package cli

import (
	"bufio"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
)

// NewCmdAttest is 'consign attest'.
func NewCmdAttest(deps *Deps) *cobra.Command {
	var (
		keyPath, typ, predicatePath, out string
		output                           string
		subjects                         []string
		image                            imageAttest
	)
	cmd := &cobra.Command{
		Use:   "attest --key KEY --type TYPE --predicate FILE --subject S... [--out FILE]",
		Short: "Sign a predicate about artifacts as an in-toto attestation",
		Long: `Sign an in-toto Statement v1 in a DSSE envelope (payloadType application/vnd.in-toto+json).

Subjects (--subject, repeatable) are the artifacts the statement is about:
  a file          its sha256 digest, named by the path as given
  a directory     every file in it, each a subject
  NAME=sha256:HEX an artifact known only by its digest

The predicate type (--type) is a URI or a short name: ` + attest.ShortNameList() + `.
A predicate of a known type is checked against its JSON Schema before signing.

The envelope is appended as one line to --out (a .intoto.jsonl file, written atomically),
or printed on standard output.

With --image, the image's manifest digest is a subject too, and the envelope is attached
to the image in its registry (--attach-mode referrers, tag or both).`,
		Example: `  consign attest --key ci.key --type slsa --predicate provenance.json --subject dist/app --out build.intoto.jsonl
  consign attest --key qa.key --type test --predicate results.json --subject dist/ --out test.intoto.jsonl
  consign attest --key ops.key --type delivery --predicate delivery.json \
      --subject app-3.2.0.bin=sha256:b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c
  consign attest --key ci.key --type slsa --predicate provenance.json --image registry.example/app:1.4.0`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if output == "json" && out == "" && image.ref == "" {
				return usagef("-o json reports on the envelope written to --out; without --out the envelope itself is printed")
			}
			if typ == "" || predicatePath == "" {
				return usagef("--type and --predicate are required")
			}
			if len(subjects) == 0 && image.ref == "" {
				return usagef("--subject (or --image) is required: name at least one artifact the attestation is about")
			}
			predType, pred, err := readPredicate(typ, predicatePath)
			if err != nil {
				return err
			}
			subs, err := resolveSubjects(cmd.Context(), subjects)
			if err != nil {
				return err
			}
			if subs, err = image.subject(cmd.Context(), deps, subs); err != nil {
				return err
			}
			signer, err := loadSigner(deps, keyPath)
			if err != nil {
				return err
			}
			st, err := attest.NewStatement(predType, subs, compactJSON(pred))
			if err != nil {
				return err
			}
			env, err := attest.SignStatement(st, signer)
			if err != nil {
				return err
			}
			if err := image.attach(cmd.Context(), deps, env); err != nil {
				return err
			}
			if out != "" || image.ref == "" {
				if err := writeAttestation(cmd, deps, out, env, st, signer.KeyID(), output); err != nil {
					return err
				}
			}
			if output == "json" {
				return printJSON(cmd, attestReport(out, image.ref, st, signer.KeyID()))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "private key to sign with (cosign.key format or PKCS #8 PEM)")
	cmd.Flags().StringVar(&typ, "type", "", typeFlagHelp())
	cmd.Flags().StringVar(&predicatePath, "predicate", "", "file holding the predicate (a JSON object)")
	cmd.Flags().StringArrayVar(&subjects, "subject", nil, "artifact: FILE, DIRECTORY or NAME=sha256:HEX (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "append the envelope to this .intoto.jsonl file (default: standard output, unless --image)")
	image.add(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

// writeAttestation appends env, the signed st, to out (standard output
// when out is empty) and says so.
func writeAttestation(cmd *cobra.Command, deps *Deps, out string, env *attest.Envelope, st *attest.Statement, keyID, output string) error {
	if err := writeEnvelopes(cmd, out, env); err != nil {
		return err
	}
	if out != "" && output != "json" {
		fmt.Fprintf(deps.Stderr, "Signed %s attestation about %d subject(s) with key %s, appended to %s\n",
			attest.ShortName(st.PredicateType), len(st.Subject), keyID[:12], out)
	}
	return nil
}

// attestReport is what -o json prints of a signed attestation.
func attestReport(out, image string, st *attest.Statement, keyID string) any {
	type subject struct {
		Name   string            `json:"name,omitempty"`
		Digest map[string]string `json:"digest"`
	}
	subs := make([]subject, len(st.Subject))
	for i, s := range st.Subject {
		subs[i] = subject{s.Name, s.Digest}
	}
	return struct {
		Out           string    `json:"out,omitempty"`
		Image         string    `json:"image,omitempty"`
		PredicateType string    `json:"predicateType"`
		KeyID         string    `json:"keyId"`
		Subjects      []subject `json:"subjects"`
	}{out, image, st.PredicateType, keyID, subs}
}

// writeEnvelopes appends envs as JSON Lines to path atomically, or prints
// them. Each payload is base64-encoded a piece at a time into the output,
// so that a large one is never held twice.
func writeEnvelopes(cmd *cobra.Command, path string, envs ...*attest.Envelope) error {
	if err := notCancelled(cmd.Context()); err != nil {
		return err
	}
	lines := func(w io.Writer) error {
		for _, env := range envs {
			if err := env.WriteJSON(w); err != nil {
				return err
			}
			if _, err := w.Write([]byte{'\n'}); err != nil {
				return err
			}
		}
		return nil
	}
	if path == "" || path == "-" {
		bw := bufio.NewWriterSize(cmd.OutOrStdout(), 256<<10)
		if err := lines(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := checkAppendable(cmd.Context(), path); err != nil {
		return err
	}
	return fsutil.AppendStream(path, 0o644, lines)
}
