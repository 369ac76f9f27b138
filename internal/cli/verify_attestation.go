package cli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
)

// NewCmdVerifyAttestation is 'consign verify-attestation'.
func NewCmdVerifyAttestation(deps *Deps) *cobra.Command {
	var (
		keys     []string
		typ      string
		subject  string
		output   string
		treshold int
		image    imageVerify
		kl       imageKeyless
	)
	cmd := &cobra.Command{
		Use:   "verify-attestation --key PUB [--type TYPE] [--subject FILE|sha256:HEX] FILE... [--image IMAGE]",
		Short: "Check attestations' signatures, predicate types and subjects against trusted keys",
		Long: `Check every attestation in each FILE against the trusted public key(s) given with --key.

FILE may be a .intoto.jsonl (one DSSE envelope per line), a single DSSE envelope, a
cosign bundle (cosign attest-blob/sign-blob --bundle), a Sigstore bundle v0.1-v0.3 with a
public key, a cosign sign-blob signature file, or an in-toto v0.9 .link file.

Each envelope is checked for: a signature by a trusted key over the exact DSSE PAE; an
in-toto payloadType; a strictly valid statement (duplicate keys and wrong-case field names
are rejected); with --type, its predicate type; with --subject, that the artifact's
digest is among its subjects. Key ids in a file are hints only: every trusted key is tried.

With --type, attestations of other types are listed as skipped, and at least one of the
type asked for must pass. Without --type every attestation must pass.

With --image, the attestations attached to the image in its registry are checked too,
with the image's manifest digest (resolved once, and printed) as the subject. Sigstore
bundles attached as referrers (cosign attest --new-bundle-format) are read with --key, or
keyless with --trusted-root and the --certificate-* identity flags (then only bundles can
pass: a bare DSSE envelope carries no certificate).

Exit codes: 0 every check passed; 3 a check failed (the answer is no); 1 bad input
(unreadable or malformed files, bad keys); 2 usage.`,
		Example: `  consign verify-attestation --key ci.pub build.intoto.jsonl
  consign verify-attestation --key ci.pub --type slsa --subject dist/app build.intoto.jsonl
  consign verify-attestation --key cosign.pub --subject blob.txt blob.sigstore.json
  consign verify-attestation --key ci.pub --type slsa --image registry.example/app:1.4.0`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && image.ref == "" {
				return usagef("name at least one attestation file to verify, or an image with --image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if treshold < 1 {
				return usagef("--threshold must be at least 1")
			}
			signer, err := kl.keyless(cmd, len(keys) > 0)
			if err != nil {
				return err
			}
			if signer != nil {
				return image.verifyKeyless(cmd, deps, signer, typ, output, files, subject, treshold)
			}
			kr, err := loadKeyring(keys)
			if err != nil {
				return err
			}
			if treshold > len(keys) {
				return usagef("--threshold %d needs at least %d --key files, got %d", treshold, treshold, len(keys))
			}
			opts, subj, err := verifyOptions(typ, subject, treshold)
			if err != nil {
				return err
			}
			results, err := image.verify(cmd.Context(), deps, kr, &opts, subject)
			if err != nil {
				return err
			}
			read, err := readFiles(files)
			if err != nil {
				return err
			}
			if subj != nil {
				if opts.Subject, err = subj.digest(needsSHA512(read)); err != nil {
					return err
				}
			}
			results = append(results, verifyFiles(read, kr, opts)...)
			return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file (repeatable)")
	cmd.Flags().StringVar(&typ, "type", "", "required predicate type: a short name ("+attest.ShortNameList()+") or a URI")
	cmd.Flags().StringVar(&subject, "subject", "", "artifact that must be a subject: a FILE, or sha256:HEX")
	cmd.Flags().IntVar(&treshold, "threshold", 1, "distinct trusted keys that must have signed each attestation")
	addOutputFlag(cmd, &output)
	image.add(cmd, "container image whose attached attestations are checked, its manifest digest as the subject")
	kl.add(cmd)
	return cmd
}

// verify checks the attestations attached to the image, if one was named,
// with its manifest digest as the subject.
func (v *imageVerify) verify(ctx context.Context, deps *Deps, kr *attest.Keyring, opts *attest.VerifyOptions, subject string) ([]itemResult, error) {
	if v.ref == "" {
		return nil, nil
	}
	items, err := v.items(ctx, deps, opts, subject)
	if err != nil {
		return nil, err
	}
	results := make([]itemResult, 0, len(items))
	for i := range items {
		results = append(results, verifyOne(&items[i], kr, *opts))
	}
	return results, nil
}

// subjectDigest reads --subject: a digest, or a file to hash with algs
// (default SHA-256).
func subjectDigest(s string, algs ...string) (digest.Set, error) {
	if _, err := os.Stat(s); err != nil && strings.Contains(s, ":") {
		return digest.Parse(s)
	}
	d, err := digest.File(s, algs...)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return d, nil
}

// subjectHash is the digest of --subject. A file is hashed with SHA-256
// in the background, from the moment the flag is read, so that hashing a
// large artifact overlaps reading the attestations; SHA-512 (for
// Ed25519ph blob signatures and subjects that name it) is computed only
// if an attestation read may use it.
type subjectHash struct {
	path string
	done chan struct{}
	set  digest.Set
	err  error
}

// hashSubject starts reading --subject s: a digest is parsed at once, a
// file's hashing starts.
func hashSubject(s string) (*subjectHash, error) {
	h := &subjectHash{done: make(chan struct{})}
	fi, err := os.Stat(s)
	if err != nil || !fi.Mode().IsRegular() {
		// A digest, or an error naming the path.
		h.set, h.err = subjectDigest(s)
		close(h.done)
		return h, h.err
	}
	h.path = s
	go func() {
		defer close(h.done)
		if h.set, h.err = digest.File(s, digest.SHA256); h.err != nil {
			h.err = fmt.Errorf("subject: %w", h.err)
		}
	}()
	return h, nil
}

// digest waits for the subject's digest, adding SHA-512 when need512
// and the subject is a file.
func (h *subjectHash) digest(need512 bool) (digest.Set, error) {
	<-h.done
	if h.err != nil || !need512 || h.path == "" {
		return h.set, h.err
	}
	d, err := digest.File(h.path, digest.SHA512)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	set := maps.Clone(h.set)
	maps.Copy(set, d)
	return set, nil
}

// needsSHA512 reports whether any of items may be checked with an
// artifact's SHA-512: a signature over a blob (Ed25519ph signs it), or a
// statement or link that names the algorithm anywhere (a superset of
// those whose subjects carry it, so no comparison is ever left out).
func needsSHA512(files []fileItems) bool {
	for _, f := range files {
		if slices.ContainsFunc(f.items, needSHA512) {
			return true
		}
	}
	return false
}

func needSHA512(it attest.Item) bool {
	switch {
	case it.Err != nil:
		return false
	case it.Blob != nil:
		return true
	case it.Envelope != nil:
		return bytes.Contains(it.Envelope.Payload, []byte(digest.SHA512))
	case it.Link != nil:
		for _, s := range it.Link.ProductSubjects() {
			if _, ok := s.Digest[digest.SHA512]; ok {
				return true
			}
		}
	}
	return false
}

// verifyOptions are --type and --threshold as attest options, and
// --subject started hashing (nil without --subject).
func verifyOptions(typ, subject string, threshold int) (attest.VerifyOptions, *subjectHash, error) {
	opts := attest.VerifyOptions{Threshold: threshold}
	if typ != "" {
		t, err := attest.ResolveType(typ)
		if err != nil {
			return opts, nil, withHint(usageErr(err), "use a short name ("+attest.ShortNameList()+") or an absolute URI")
		}
		opts.PredicateTypes = []string{t}
	}
	if subject == "" {
		return opts, nil, nil
	}
	h, err := hashSubject(subject)
	if err != nil {
		return opts, nil, err
	}
	if h.path != "" {
		opts.Artifact = func() ([]byte, error) { return limits.ReadFile(subject, limits.PureEd25519Blob) }
	}
	return opts, h, nil
}

// fileItems are the items read from one file, or why it did not read
// as attestations.
type fileItems struct {
	name  string
	items []attest.Item
	err   error
}

// readFiles reads the items of every file.
func readFiles(files []string) ([]fileItems, error) {
	out := make([]fileItems, 0, len(files))
	for _, f := range files {
		items, err := readAttestationFile(f)
		if err != nil && unreadable(err) {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		out = append(out, fileItems{f, items, err})
	}
	return out, nil
}

// verifyFiles verifies every item of every file; a file that does not
// read as attestations is one invalid result.
func verifyFiles(files []fileItems, kr *attest.Keyring, opts attest.VerifyOptions) []itemResult {
	var results []itemResult
	for _, f := range files {
		if f.err != nil {
			results = append(results, itemResult{Source: f.name, Status: "invalid", Reason: f.err.Error()})
			continue
		}
		for i := range f.items {
			results = append(results, verifyOne(&f.items[i], kr, opts))
		}
	}
	return results
}
