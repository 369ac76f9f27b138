package sbomdoc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
)

// Decode reads an SBOM in any supported format (CycloneDX 1.2–1.7 JSON/XML,
// SPDX 2.2–2.3 JSON/tag-value, SPDX 3.0 and 3.0.1 JSON-LD, syft JSON), detecting the
// format from its content.
//
// JSON is read strictly first ([attest.CheckJSON]: no duplicate keys, valid
// UTF-8, bounded depth), so that consign and a later reader cannot disagree
// about what an SBOM says. Input over [limits.SBOMFile] bytes, or with more
// than [limits.SBOMComponents] components, is refused before it is decoded.
//
// Errors wrap [ErrUnsupportedFormat] (not an SBOM, or a format or version
// consign does not read: SPDX RDF, CycloneDX 1.0–1.1) or
// [ErrMalformed] (a supported format that does not parse or breaks its
// rules). A panic in a third-party parser becomes an [ErrMalformed] error.
// On error the returned document is nil.
func Decode(data []byte) (doc *Document, err error) {
	if len(data) > limits.SBOMFile {
		return nil, fmt.Errorf("%w: %w: %d bytes, the limit is %d", ErrMalformed, limits.ErrTooLarge, len(data), limits.SBOMFile)
	}
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%w: the parser failed: %v", ErrMalformed, r)
		}
	}()
	body := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(body) == 0:
		return nil, fmt.Errorf("%w: the input is empty", ErrUnsupportedFormat)
	case body[0] == '{':
		return decodeJSON(body)
	case body[0] == '<':
		return decodeXML(body)
	case isTagValue(body):
		return decodeSPDXTagValue(body)
	}
	return nil, fmt.Errorf("%w: neither JSON, XML nor SPDX tag-value", ErrUnsupportedFormat)
}

// jsonProbe holds the fields that tell JSON SBOM formats apart.
type jsonProbe struct {
	BOMFormat   *string         `json:"bomFormat"`
	SpecVersion json.RawMessage `json:"specVersion"` // CycloneDX
	SPDXVersion *string         `json:"spdxVersion"`
	Context     json.RawMessage `json:"@context"`
	Graph       json.RawMessage `json:"@graph"`
	Artifacts   json.RawMessage `json:"artifacts"`
	Schema      json.RawMessage `json:"schema"`
}

// checkStrictJSON reads b strictly ([attest.CheckJSON]), as an [ErrMalformed] error.
func checkStrictJSON(b []byte) error {
	if err := attest.CheckJSON(b); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, strings.TrimPrefix(err.Error(), attest.ErrMalformed.Error()+": "))
	}
	return nil
}

func decodeJSON(b []byte) (*Document, error) {
	if err := checkStrictJSON(b); err != nil {
		return nil, err
	}
	var p jsonProbe
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedFormat, err)
	}
	switch {
	case p.BOMFormat != nil:
		if *p.BOMFormat != "CycloneDX" {
			return nil, fmt.Errorf("%w: bomFormat %q", ErrUnsupportedFormat, *p.BOMFormat)
		}
		return decodeCycloneDXJSON(b, p.SpecVersion)
	case p.SPDXVersion != nil:
		return decodeSPDXJSON(b, *p.SPDXVersion)
	case p.Context != nil:
		return decodeSPDX3JSON(b, p.Context)
	case p.Graph != nil:
		return nil, fmt.Errorf("%w: JSON-LD without an @context", ErrUnsupportedFormat)
	case p.Artifacts != nil && p.Schema != nil:
		return decodeSyftJSON(b)
	}
	return nil, fmt.Errorf("%w: JSON with neither bomFormat (CycloneDX) nor spdxVersion (SPDX)", ErrUnsupportedFormat)
}

// cycloneDXNamespace is the XML namespace of CycloneDX BOMs, before the version.
const cycloneDXNamespace = "http://cyclonedx.org/schema/bom/"

func decodeXML(b []byte) (*Document, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: XML without a root element", ErrMalformed)
			}
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch {
		case start.Name.Local == "bom" && strings.HasPrefix(start.Name.Space, cycloneDXNamespace):
			return decodeCycloneDXXML(b, strings.TrimPrefix(start.Name.Space, cycloneDXNamespace))
		case start.Name.Local == "RDF":
			return nil, fmt.Errorf("%w: RDF/XML (SPDX); consign reads SPDX as JSON or tag-value", ErrUnsupportedFormat)
		}
		return nil, fmt.Errorf("%w: XML root element <%s> in namespace %q", ErrUnsupportedFormat, start.Name.Local, start.Name.Space)
	}
}

// isTagValue reports whether b looks like SPDX tag-value: among its first
// lines that are neither blank nor comments, one is "SPDXVersion: ...".
func isTagValue(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 0; sc.Scan() && n < 64; {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "SPDXVersion:") {
			return true
		}
		n++
	}
	return false
}
