package sbomdoc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/limits"
)

// syft JSON is read here from its JSON, not with syft's model: this
// package never links syft (see doc.go). Only what a [Document] holds is
// read; the packages' metadata, files and locations are not.

// syftJSON is the part of a syft JSON document consign reads.
type syftJSON struct {
	Artifacts []struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Type     string `json:"type"`
		PURL     string `json:"purl"`
		Licenses []struct {
			Value          string `json:"value"`
			SPDXExpression string `json:"spdxExpression"`
			Type           string `json:"type"` // "declared" or "concluded"
		} `json:"licenses"`
		CPEs []struct {
			CPE string `json:"cpe"`
		} `json:"cpes"`
	} `json:"artifacts"`
	Relationships []struct {
		Parent string `json:"parent"`
		Child  string `json:"child"`
		Type   string `json:"type"`
	} `json:"artifactRelationships"`
	Source struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"source"`
	Distro struct {
		ID        string `json:"id"`
		VersionID string `json:"versionID"`
		Version   string `json:"version"`
	} `json:"distro"`
	Descriptor struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		// Configuration's timestamp is not a field of syft JSON: a syft
		// JSON document does not say when it was made.
	} `json:"descriptor"`
	Schema struct {
		Version string `json:"version"`
	} `json:"schema"`
}

// decodeSyftJSON reads syft's own JSON format: its artifacts are the
// components, its relationships (dependency-of, contains) the dependency
// graph, its distro an operating-system component, as syft's CycloneDX
// writer makes them.
func decodeSyftJSON(b []byte) (*Document, error) {
	var s syftJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: syft JSON: %v", ErrMalformed, err)
	}
	if s.Schema.Version == "" {
		return nil, fmt.Errorf("%w: syft JSON without a schema version", ErrMalformed)
	}
	if len(s.Artifacts) > limits.SBOMComponents || len(s.Relationships) > limits.SBOMComponents {
		return nil, fmt.Errorf("%w: %w: over %d components or relationships", ErrMalformed, limits.ErrTooLarge, limits.SBOMComponents)
	}
	doc := &Document{Format: FormatSyftJSON, SpecVersion: s.Schema.Version, Components: []Component{}}
	if s.Descriptor.Name != "" {
		tool := strings.TrimSpace(s.Descriptor.Name + " " + s.Descriptor.Version)
		doc.Tools = []string{tool}
		doc.Authors = []string{"Tool: " + tool}
	}
	if s.Source.Name != "" {
		doc.Subject = &Component{Ref: s.Source.ID, Name: s.Source.Name, Version: s.Source.Version, Type: "application"}
	}
	deps := map[string][]string{}
	inGraph := map[string]bool{}
	for _, r := range s.Relationships {
		switch r.Type {
		case "dependency-of": // the parent is a dependency of the child
			deps[r.Child] = append(deps[r.Child], r.Parent)
		case "contains":
			deps[r.Parent] = append(deps[r.Parent], r.Child)
		default:
			continue
		}
		inGraph[r.Parent], inGraph[r.Child] = true, true
	}
	for _, a := range s.Artifacts {
		c := Component{Ref: a.ID, Type: "library", Name: a.Name, Version: a.Version, PURL: a.PURL, InDependencyGraph: inGraph[a.ID]}
		for _, cpe := range a.CPEs {
			c.CPEs = append(c.CPEs, cpe.CPE)
		}
		for _, l := range a.Licenses {
			v := l.SPDXExpression
			if v == "" {
				v = l.Value
			}
			if v == "" {
				continue
			}
			c.Licenses = append(c.Licenses, v)
			if l.Type == "concluded" {
				c.ConcludedLicenses = append(c.ConcludedLicenses, v)
			} else {
				c.DeclaredLicenses = append(c.DeclaredLicenses, v)
			}
		}
		if d := deps[a.ID]; len(d) > 0 {
			c.DependsOn = sortedUnique(d)
		}
		doc.Components = append(doc.Components, c)
	}
	if s.Distro.ID != "" {
		doc.Components = append(doc.Components, Component{
			Type: TypeOperatingSystem, Name: s.Distro.ID, Version: cmpOr(s.Distro.VersionID, s.Distro.Version),
		})
	}
	slices.SortStableFunc(doc.Components, func(a, b Component) int { return strings.Compare(a.Label(), b.Label()) })
	return doc, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
