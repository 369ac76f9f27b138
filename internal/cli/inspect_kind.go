package cli

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/tlog"
)

// inspectKind is what inspect says of a file that holds no attestations:
// one of the other files consign writes (a policy in YAML, receipts,
// a log's verifier key, a monitor's or verifier's state, an SBOM).
type inspectKind struct {
	Kind   string         `json:"kind"`
	Fields []inspectField `json:"fields"`
	// Verified is always false: inspect checks no signature.
	Verified bool `json:"verified"`
}

type inspectField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (k *inspectKind) add(name, format string, a ...any) {
	k.Fields = append(k.Fields, inspectField{name, fmt.Sprintf(format, a...)})
}

func (k *inspectKind) print(w io.Writer, output string) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(k)
	}
	fmt.Fprintln(w, k.Kind)
	width := 0
	for _, f := range k.Fields {
		width = max(width, len(f.Name))
	}
	for _, f := range k.Fields {
		fmt.Fprintf(w, "  %-*s %s\n", width+1, f.Name+":", f.Value)
	}
	return nil
}

// describeFile recognises the files consign writes that are neither keys,
// packs nor attestations; ok is false for anything else.
func describeFile(name string, data []byte) (k *inspectKind, ok bool) {
	trimmed := bytes.TrimSpace(data)
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	var obj map[string]json.RawMessage
	switch {
	case len(trimmed) == 0:
		return nil, false
	case trimmed[0] == '{' && json.Unmarshal(first, &obj) == nil:
		return describeJSON(name, trimmed, obj)
	case trimmed[0] == '{' && json.Unmarshal(trimmed, &obj) == nil:
		return describeJSON(name, trimmed, obj)
	case trimmed[0] == '<':
		return describeSBOM(data)
	}
	if !bytes.Contains(trimmed, []byte("\n")) {
		if v, err := tlog.ParseVerifier(string(trimmed)); err == nil {
			k := &inspectKind{Kind: "transparency log verifier key (C2SP signed-note)"}
			k.add("origin", "%s", v.Origin())
			k.add("key", "%s", v.String())
			return k, true
		}
	}
	return describePolicyYAML(name, data)
}

func describeJSON(name string, data []byte, obj map[string]json.RawMessage) (*inspectKind, bool) {
	str := func(key string) string {
		var s string
		_ = json.Unmarshal(obj[key], &s)
		return s
	}
	switch {
	case str("mediaType") == tlog.ReceiptMediaType:
		return describeReceipts(data)
	case obj["server"] != nil && obj["logKey"] != nil && obj["checkpoint"] != nil:
		k := &inspectKind{Kind: "log monitor state (consign log monitor --state)"}
		k.add("server", "%s", str("server"))
		k.add("origin", "%s", str("origin"))
		if cp, err := tlog.ParseCheckpoint(noteBody(str("checkpoint"))); err == nil {
			k.add("trusted checkpoint", "%d entries, root %s", cp.Size, cp.Root)
		}
		k.add("updated", "%s", str("updated"))
		return k, true
	case obj["bomFormat"] != nil || obj["spdxVersion"] != nil || obj["@context"] != nil,
		obj["artifacts"] != nil && obj["schema"] != nil: // syft JSON, as 'consign sbom -o syft-json' writes it
		return describeSBOM(data)
	}
	return describeVerifyState(obj)
}

// noteBody is a signed note's text before its signature lines.
func noteBody(note string) []byte {
	body, _, _ := strings.Cut(note, "\n\n")
	return []byte(body + "\n")
}

func describePolicy(k *inspectKind, p *policy.Policy) {
	k.add("product", "%s", p.Product)
	if p.Version != 0 {
		k.add("version", "%d", p.Version)
	}
	k.add("expires", "%s", p.Expires.Format(time.RFC3339))
	k.add("owner key id", "%s", p.Owner.KeyID)
	names := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		names[i] = s.Name
	}
	k.add("stages", "%d (%s)", len(p.Stages), strings.Join(names, ", "))
	k.add("functionaries", "%d", len(p.Functionaries))
	for _, st := range p.Stages {
		if len(st.AllowExitCodes) > 0 {
			k.add("stage "+st.Name, "its command may exit with %s", joinInts(st.AllowExitCodes))
		}
	}
	if p.Log != nil {
		k.add("log", "receipts required from %s", p.Log.Origin)
	}
}

func describePolicyYAML(name string, data []byte) (*inspectKind, bool) {
	if !bytes.Contains(data, []byte("product:")) || !bytes.Contains(data, []byte("stages:")) {
		return nil, false
	}
	k := &inspectKind{Kind: "policy (YAML, unsigned): 'consign policy sign --key OWNER.key FILE' signs it"}
	p, err := policy.Parse(data, policy.ParseOptions{Dir: filepath.Dir(name)})
	if err != nil {
		k.add("error", "%v ('consign policy check' lists every problem with its line)", err)
		return k, true
	}
	describePolicy(k, p)
	return k, true
}

func describeReceipts(data []byte) (*inspectKind, bool) {
	k := &inspectKind{Kind: "transparency log receipts (JSON Lines), NOT VERIFIED: 'consign log verify-receipt --log-key log.vkey FILE' checks them"}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, tlog.MaxReceiptSize+1)
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		r, err := tlog.ParseReceipt(line)
		if err != nil {
			k.add(fmt.Sprintf("line %d", n), "error: %v", err)
			continue
		}
		size := "?"
		if cp, err := tlog.ParseCheckpoint(noteBody(r.Checkpoint)); err == nil {
			size = fmt.Sprint(cp.Size)
		}
		k.add(fmt.Sprintf("line %d", n), "%s index %d, in a checkpoint of %s entries", r.Origin, r.Index, size)
	}
	return k, true
}

func describeSBOM(data []byte) (*inspectKind, bool) {
	doc, err := sbomdoc.Decode(data)
	if err != nil {
		return nil, false
	}
	k := &inspectKind{Kind: "SBOM (" + doc.Format + " " + doc.SpecVersion + "): 'consign sbom check FILE' validates it"}
	k.add("components", "%d", len(doc.Components))
	if len(doc.Tools) > 0 {
		k.add("tools", "%s", strings.Join(doc.Tools, ", "))
	}
	if !doc.Timestamp.IsZero() {
		k.add("timestamp", "%s", doc.Timestamp.Format(time.RFC3339))
	}
	return k, true
}

// describeVerifyState recognises 'consign verify --state': an object of
// product -> {version, verifiedAt}.
func describeVerifyState(obj map[string]json.RawMessage) (*inspectKind, bool) {
	if len(obj) == 0 {
		return nil, false
	}
	k := &inspectKind{Kind: "verifier state (consign verify --state): the newest policy version and time verified, per product"}
	for product, raw := range obj {
		var st struct {
			Version    *int       `json:"version"`
			VerifiedAt *time.Time `json:"verifiedAt"`
		}
		if json.Unmarshal(raw, &st) != nil || st.Version == nil || st.VerifiedAt == nil {
			return nil, false
		}
		k.add(product, "policy version %d, verified %s", *st.Version, st.VerifiedAt.Format(time.RFC3339))
	}
	return k, true
}

// inspectTar lists a tar archive that is not an evidence pack, by its
// headers; ok is false when name is an evidence pack (manifest.json
// first) or no tar at all.
func inspectTar(w io.Writer, output, name string) (ok bool, err error) {
	f, err := os.Open(name)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	compression := "none"
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return false, nil
		}
		r, compression = gz, "gzip"
	}
	tr := tar.NewReader(r)
	k := &inspectKind{Kind: fmt.Sprintf("tar archive (%s compression), not an evidence pack: it does not start with manifest.json", compression)}
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if i == 0 {
				return false, nil
			}
			k.add("error", "%v", err)
			break
		}
		if i == 0 && h.Name == "manifest.json" {
			return false, nil
		}
		if i == 200 {
			k.add("...", "more entries not listed")
			break
		}
		k.add(h.Name, "%s %04o %d bytes", pack.TarTypeName(h.Typeflag), h.Mode&0o7777, h.Size)
	}
	return true, k.print(w, output)
}
