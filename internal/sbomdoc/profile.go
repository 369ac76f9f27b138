package sbomdoc

import (
	"fmt"
	"slices"
	"strings"
)

// Profile names, as --profile and policies spell them.
const (
	ProfileNTIA = "ntia"           // NTIA minimum elements (2021)
	ProfileCISA = "cisa-2025"      // CISA minimum elements (2025)
	ProfileBSI  = "bsi-tr-03183-2" // BSI TR-03183-2 v2.1, the reference for the EU Cyber Resilience Act
	ProfileFSCT = "fsct"           // Framing Software Component Transparency, 3rd edition (2024), baseline
)

// Element statuses in a [ProfileResult].
const (
	StatusPresent       = "present"        // the document, or every component, has it
	StatusMissing       = "missing"        // the document, or at least one component, lacks it
	StatusNotApplicable = "not-applicable" // nothing it applies to: a component element of an SBOM without components
)

// ProfileElement is one element a profile asks for.
type ProfileElement struct {
	Name string `json:"name"`
	// What is what the profile asks, and how consign checks it.
	What string `json:"what"`
	// Component elements are asked of every component, the primary one
	// ([Document.Subject]) included; the others of the document.
	Component bool `json:"component"`
	doc       func(d *Document) bool
	comp      func(c *Component) bool
}

// Profile is a published definition of an acceptable SBOM: the elements it
// must hold.
type Profile struct {
	Name     string           `json:"name"`
	Title    string           `json:"title"`
	Elements []ProfileElement `json:"elements"`
}

// ElementResult is how a document meets one element of a profile.
type ElementResult struct {
	Element string `json:"element"`
	Status  string `json:"status"` // a Status* constant
	// Covered of Total components have a component element; Missing names
	// those that do not (labels, sorted, each once).
	Covered int      `json:"covered,omitempty"`
	Total   int      `json:"total,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// ProfileResult is the result of [CheckProfile].
type ProfileResult struct {
	Profile  string          `json:"profile"`
	Title    string          `json:"title"`
	Elements []ElementResult `json:"elements"`
}

// Err returns nil when no element is missing, else a [*ProfileError],
// which is [ErrProfile].
func (r *ProfileResult) Err() error {
	var missing []string
	for _, e := range r.Elements {
		if e.Status == StatusMissing {
			missing = append(missing, e.Element)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &ProfileError{Profile: r.Profile, Missing: missing}
}

// ProfileError is returned by [ProfileResult.Err]; it is [ErrProfile].
type ProfileError struct {
	Profile string
	Missing []string // the elements missing, in the profile's order
}

func (e *ProfileError) Error() string {
	return fmt.Sprintf("%s %s: missing %s", ErrProfile, e.Profile, strings.Join(e.Missing, ", "))
}

// Is makes errors.Is(err, ErrProfile) hold.
func (e *ProfileError) Is(target error) bool { return target == ErrProfile }

// ProfileNames lists the profiles [LookupProfile] knows.
func ProfileNames() []string {
	return []string{ProfileNTIA, ProfileCISA, ProfileBSI, ProfileFSCT}
}

// LookupProfile returns the profile named name, or an error wrapping
// [ErrUnknownProfile].
func LookupProfile(name string) (*Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

// CheckProfile reports, for each element of the profile named name,
// whether doc has it: present, missing (with the components that miss
// it), or not applicable. It returns an error wrapping [ErrUnknownProfile]
// for a profile it does not know.
func CheckProfile(doc *Document, name string) (*ProfileResult, error) {
	p, err := LookupProfile(name)
	if err != nil {
		return nil, err
	}
	comps := make([]*Component, 0, len(doc.Components)+1)
	if doc.Subject != nil {
		comps = append(comps, doc.Subject)
	}
	for i := range doc.Components {
		comps = append(comps, &doc.Components[i])
	}
	r := &ProfileResult{Profile: p.Name, Title: p.Title}
	for _, e := range p.Elements {
		res := ElementResult{Element: e.Name, Status: StatusPresent}
		switch {
		case !e.Component:
			if !e.doc(doc) {
				res.Status = StatusMissing
			}
		case len(comps) == 0:
			res.Status = StatusNotApplicable
		default:
			res.Total = len(comps)
			for _, c := range comps {
				if e.comp(c) {
					res.Covered++
				} else {
					res.Missing = append(res.Missing, c.Label())
				}
			}
			slices.Sort(res.Missing)
			res.Missing = slices.Compact(res.Missing)
			if res.Covered < res.Total {
				res.Status = StatusMissing
			}
		}
		r.Elements = append(r.Elements, res)
	}
	return r, nil
}
