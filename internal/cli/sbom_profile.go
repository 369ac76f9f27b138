package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// sbomProfile is 'consign sbom --profile P [--strict-profile]'.
type sbomProfile struct {
	name   string
	strict bool
}

func (p *sbomProfile) register(f *pflag.FlagSet) {
	f.StringVar(&p.name, "profile", "", "make the SBOM meet a profile where the scan knows the data ("+strings.Join(sbomdoc.ProfileNames(), ", ")+"); say on stderr what it cannot fill")
	f.BoolVar(&p.strict, "strict-profile", false, "with --profile: exit 3, writing nothing, when an output misses an element of the profile")
}

func (p *sbomProfile) check() error {
	if p.strict && p.name == "" {
		return usagef("--strict-profile goes with --profile")
	}
	if p.name != "" {
		if _, err := sbomdoc.LookupProfile(p.name); err != nil {
			return usageErr(err)
		}
	}
	return nil
}

// report prints, for each output checked against the profile, the
// elements it misses, and with --strict-profile makes them an error
// (before anything is written).
func (p *sbomProfile) report(w io.Writer, reports []sbomspec.ProfileReport) error {
	var firstErr error
	for _, r := range reports {
		out := r.Output.Path
		if out == "" {
			out = "standard output"
		}
		prof, _ := sbomdoc.LookupProfile(r.Result.Profile)
		what := map[string]string{}
		for _, e := range prof.Elements {
			what[e.Name] = e.What
		}
		for _, e := range r.Result.Elements {
			if e.Status != sbomdoc.StatusMissing {
				continue
			}
			if e.Total > 0 {
				fmt.Fprintf(w, "Profile %s: %s (%s): cannot fill %s for %d of %d components (%s)\n", r.Result.Profile, out, r.Output.Format, e.Element, e.Total-e.Covered, e.Total, missingList(e.Missing))
			} else {
				fmt.Fprintf(w, "Profile %s: %s (%s): cannot fill %s: %s\n", r.Result.Profile, out, r.Output.Format, e.Element, what[e.Element])
			}
		}
		if err := r.Result.Err(); err != nil && p.strict && firstErr == nil {
			firstErr = fmt.Errorf("%s (%s): %w", out, r.Output.Format, err)
		}
	}
	return firstErr
}

// missingList names the first components that miss an element.
func missingList(names []string) string {
	if len(names) <= maxMissing {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:maxMissing], ", ") + fmt.Sprintf(", and %d more", len(names)-maxMissing)
}
