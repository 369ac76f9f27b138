package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/predicate"
)

// readPredicate resolves a predicate type's short name and reads the
// predicate file, checked against the type's schema.
func readPredicate(typ, path string) (predType string, pred []byte, err error) {
	if predType, err = resolveTypeFlag(typ); err != nil {
		return "", nil, err
	}
	if pred, err = limits.ReadFile(path, limits.JSONFile); err != nil {
		return "", nil, fmt.Errorf("reading predicate: %w", err)
	}
	if err := predicate.Validate(predType, pred); err != nil {
		return "", nil, withHint(fmt.Errorf("predicate %q: %w", path, err),
			"the predicate file must hold one JSON object that fits the predicate type; see attestations/examples")
	}
	return predType, pred, nil
}

// resolveSubjects turns --subject values into statement subjects.
func resolveSubjects(ctx context.Context, args []string) ([]attest.Subject, error) {
	var subs []attest.Subject
	for _, a := range args {
		if name, d, ok := strings.Cut(a, "="); ok && strings.Contains(d, ":") {
			if _, err := os.Stat(a); err != nil { // a file may have '=' in its name
				set, err := digest.Parse(d)
				if err != nil {
					return nil, fmt.Errorf("subject %q: %w", a, err)
				}
				if name == "" {
					return nil, usagef("subject %q has an empty name before '='", a)
				}
				subs = append(subs, attest.Subject{Name: name, Digest: set})
				continue
			}
		}
		fi, err := os.Stat(a)
		if alg, _, ok := strings.Cut(a, ":"); ok && errors.Is(err, fs.ErrNotExist) && strings.HasPrefix(alg, "sha") && !strings.ContainsAny(alg, `/\.`) {
			// verify-attestation's --subject sha256:HEX, typed here: a
			// statement's subject needs a name besides its digest.
			return nil, withHint(usagef("subject %q is a digest with no name", a),
				fmt.Sprintf("write NAME=%s, e.g. --subject app.bin=%s (or give the file itself)", a, a))
		}
		if err != nil {
			return nil, fmt.Errorf("subject: %w", err)
		}
		name := path.Clean(filepath.ToSlash(a))
		if !fi.IsDir() {
			set, err := digest.File(a)
			if err != nil {
				return nil, fmt.Errorf("subject %q: %w", a, err)
			}
			subs = append(subs, attest.Subject{Name: name, Digest: set})
			continue
		}
		res, err := digest.Record(ctx, a, []string{"."}, digest.RecordOptions{})
		if err != nil {
			return nil, fmt.Errorf("subject %q: %w", a, err)
		}
		if len(res.Artifacts) == 0 {
			return nil, withHint(fmt.Errorf("subject %q: the directory has no files", a), "name a directory that holds the artifacts, or the files themselves")
		}
		for rel, set := range res.Artifacts {
			subs = append(subs, attest.Subject{Name: path.Join(name, rel), Digest: set})
		}
	}
	return subs, nil
}

// compactJSON removes insignificant white space; input was checked already.
func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// resolveTypeFlag resolves --type: a short name (consign's, or cosign's where
// it means the same type) or an absolute URI; anything else is a usage error
// that lists the names.
func resolveTypeFlag(typ string) (string, error) {
	uri, err := attest.ResolveTypeName(typ)
	switch {
	case errors.Is(err, attest.ErrCosignSLSA02):
		return "", withHint(usagef("--type: %w", err), "pass --type slsa for SLSA provenance v1, or "+slsaV02+" for v0.2")
	case err != nil:
		return "", withHint(usagef("--type: %w", err), "use a short name ("+attest.ShortNameList()+") or an absolute URI")
	}
	return uri, nil
}

// slsaV02 is SLSA provenance v0.2's predicate type, which cosign's
// "slsaprovenance" names.
const slsaV02 = "https://slsa.dev/provenance/v0.2"

// typeFlagHelp is --type's help: the names it takes.
func typeFlagHelp() string {
	return "predicate type: a short name (" + attest.ShortNameList() + "; cosign's slsaprovenance1 and spdxjson work too) or an absolute URI"
}
