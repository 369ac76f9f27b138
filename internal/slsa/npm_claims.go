package slsa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
)

// The npm CLI runs in the publisher's own workflow, which no trusted
// builder isolates: whatever its provenance says, the workflow could have
// written. slsa-verifier therefore accepts only claims the certificate
// confirms (see npm's libnpmpublish provenance.js for what the CLI
// writes), and so does consign: the GitHub context, the run, the trigger
// workflow, one subject and one source, and no build times, completeness,
// parameters or build config.

// npmClaims are the fields of SLSA v0.2 and v1 provenance these checks
// read; the two versions' names do not overlap.
type npmClaims struct {
	// v0.2
	Invocation struct {
		Parameters   json.RawMessage `json:"parameters"`
		Environment  map[string]any  `json:"environment"`
		ConfigSource struct {
			EntryPoint string `json:"entryPoint"`
		} `json:"configSource"`
	} `json:"invocation"`
	BuildConfig json.RawMessage `json:"buildConfig"`
	Metadata    *struct {
		BuildInvocationID string          `json:"buildInvocationId"`
		BuildStartedOn    json.RawMessage `json:"buildStartedOn"`
		BuildFinishedOn   json.RawMessage `json:"buildFinishedOn"`
		Completeness      struct {
			Parameters, Environment, Materials bool
		} `json:"completeness"`
		Reproducible bool `json:"reproducible"`
	} `json:"metadata"`
	Materials []json.RawMessage `json:"materials"`
	// v1
	BuildDefinition struct {
		ExternalParameters struct {
			Workflow *struct {
				Path *string `json:"path"`
			} `json:"workflow"`
		} `json:"externalParameters"`
		InternalParameters   map[string]any    `json:"internalParameters"`
		ResolvedDependencies []json.RawMessage `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Metadata *struct {
			InvocationID string          `json:"invocationId"`
			StartedOn    json.RawMessage `json:"startedOn"`
			FinishedOn   json.RawMessage `json:"finishedOn"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// present reports a JSON value that is neither absent nor null.
func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// emptyObject reports an absent or null value, or {}.
func emptyObject(raw json.RawMessage) bool {
	if !present(raw) {
		return true
	}
	var m map[string]any
	return json.Unmarshal(raw, &m) == nil && len(m) == 0
}

// checkClaimsAgainstCert is slsa-verifier's check of provenance from a
// workflow that is no trusted builder against its certificate.
func checkClaimsAgainstCert(payload []byte, buildType string, cert certClaims) error {
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	var c npmClaims
	if err := json.Unmarshal(st.Predicate, &c); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	// The npm CLI's SLSA v1 is of its GitHub Actions build type, the only
	// v1 reader for a builder that is no trusted one.
	v1 := st.PredicateType == attest.PredicateSLSAProvenance
	if v1 && buildType != NpmCLIGitHubActionsBuildType {
		return fmt.Errorf("%w: build type %q from a workflow that is no trusted builder", ErrInvalidProvenance, buildType)
	}
	if v1 {
		err = checkNpmV1Context(c.BuildDefinition.InternalParameters, cert)
	} else {
		err = checkGitHubContext(c.Invocation.Environment, cert)
	}
	if err != nil {
		return err
	}
	if !v1 && !emptyObject(c.Invocation.Parameters) {
		return fmt.Errorf("%w: parameters %s", ErrNonVerifiableClaim, c.Invocation.Parameters)
	}
	if err := checkRunMetadata(&c, v1, cert); err != nil {
		return err
	}
	if len(st.Subject) != 1 || st.Subject[0].Digest["sha512"] == "" {
		return fmt.Errorf("%w: want one subject with a sha512 digest, got %d subjects", ErrNonVerifiableClaim, len(st.Subject))
	}
	if err := checkTriggerPath(&c, v1, cert); err != nil {
		return err
	}
	deps := len(c.Materials)
	if v1 {
		deps = len(c.BuildDefinition.ResolvedDependencies)
	}
	if deps != 1 {
		return fmt.Errorf("%w: %d resolved dependencies, want the source alone", ErrNonVerifiableClaim, deps)
	}
	if !v1 && !emptyObject(c.BuildConfig) {
		return fmt.Errorf("%w: buildConfig %s", ErrNonVerifiableClaim, c.BuildConfig)
	}
	return nil
}

// checkNpmV1Context checks the npm CLI's SLSA v1 internal parameters: a
// "github" object of the event name and the repository and owner ids,
// each the certificate's.
func checkNpmV1Context(params map[string]any, cert certClaims) error {
	gh, ok := params["github"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: internalParameters.github is not an object", ErrInvalidProvenance)
	}
	known := map[string]string{"event_name": cert.trigger, "repository_id": cert.sourceID, "repository_owner_id": cert.sourceOwnerID}
	for _, k := range slices.Sorted(maps.Keys(gh)) {
		want, ok := known[k]
		if !ok {
			return fmt.Errorf("%w: unknown parameter %q", ErrMismatchCertificate, k)
		}
		if err := claimEquals(gh, k, want); err != nil {
			return err
		}
	}
	return nil
}

// checkGitHubContext checks the npm CLI's GitHub context (SLSA v0.2
// environment): ten known variables, each the certificate's if present.
func checkGitHubContext(env map[string]any, cert certClaims) error {
	known := map[string]string{
		"GITHUB_EVENT_NAME": cert.trigger, "GITHUB_REPOSITORY": cert.sourceRepo, "GITHUB_REF": cert.sourceRef,
		"GITHUB_REPOSITORY_ID": cert.sourceID, "GITHUB_REPOSITORY_OWNER_ID": cert.sourceOwnerID,
		"GITHUB_SHA": cert.sourceSHA, "GITHUB_WORKFLOW_REF": cert.workflowPath, "GITHUB_WORKFLOW_SHA": cert.signerSHA,
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if _, ok := known[k]; !ok && k != "GITHUB_RUN_ID" && k != "GITHUB_RUN_ATTEMPT" {
			return fmt.Errorf("%w: unknown parameter %q", ErrMismatchCertificate, k)
		}
	}
	for _, k := range []string{"GITHUB_EVENT_NAME", "GITHUB_REPOSITORY", "GITHUB_REF", "GITHUB_REPOSITORY_ID",
		"GITHUB_REPOSITORY_OWNER_ID", "GITHUB_SHA", "GITHUB_WORKFLOW_REF", "GITHUB_WORKFLOW_SHA"} {
		if err := claimEquals(env, k, known[k]); err != nil {
			return err
		}
	}
	_, hasID := env["GITHUB_RUN_ID"]
	_, hasAttempt := env["GITHUB_RUN_ATTEMPT"]
	if !hasID && !hasAttempt {
		return nil
	}
	run, attempt, err := certRun(cert)
	if err != nil {
		return err
	}
	if run == "" {
		return fmt.Errorf("%w: the certificate names no run to confirm GITHUB_RUN_*", ErrMismatchCertificate)
	}
	if err := claimEquals(env, "GITHUB_RUN_ID", run); err != nil {
		return err
	}
	return claimEquals(env, "GITHUB_RUN_ATTEMPT", attempt)
}

// claimEquals requires m[k], if present, to be the string want, and want
// to be a claim the certificate makes.
func claimEquals(m map[string]any, k, want string) error {
	v, ok := m[k]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%w: %s is not a string", ErrInvalidProvenance, k)
	}
	if want == "" {
		return fmt.Errorf("%w: the certificate has no value to confirm %s", ErrMismatchCertificate, k)
	}
	if s != want {
		return fmt.Errorf("%w: %s: %q, the certificate says %q", ErrMismatchCertificate, k, s, want)
	}
	return nil
}

// certRun splits the certificate's RUN/attempts/ATTEMPT; "" if absent.
func certRun(cert certClaims) (run, attempt string, err error) {
	if cert.runID == "" {
		return "", "", nil
	}
	parts := strings.Split(cert.runID, "/")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("%w: certificate run %q", ErrInvalidProvenance, cert.runID)
	}
	return parts[0], parts[2], nil
}

// checkRunMetadata compares the invocation id with the certificate's run
// and refuses build times, reproducibility and completeness claims.
func checkRunMetadata(c *npmClaims, v1 bool, cert certClaims) error {
	var invocation string
	var times []json.RawMessage
	if v1 && c.RunDetails.Metadata != nil {
		invocation = c.RunDetails.Metadata.InvocationID
		times = []json.RawMessage{c.RunDetails.Metadata.StartedOn, c.RunDetails.Metadata.FinishedOn}
	} else if !v1 && c.Metadata != nil {
		invocation = c.Metadata.BuildInvocationID
		times = []json.RawMessage{c.Metadata.BuildStartedOn, c.Metadata.BuildFinishedOn}
	}
	if invocation != "" {
		var run, attempt string
		if v1 {
			// https://github.com/ORG/REPO/actions/runs/RUN/attempts/ATTEMPT
			parts := strings.Split(strings.TrimPrefix(invocation, githubURL), "/")
			if len(parts) != 7 {
				return fmt.Errorf("%w: invocation id %q", ErrInvalidProvenance, invocation)
			}
			run, attempt = parts[4], parts[6]
		} else {
			var ok bool
			if run, attempt, ok = strings.Cut(invocation, "-"); !ok || strings.Contains(attempt, "-") {
				return fmt.Errorf("%w: invocation id %q", ErrInvalidProvenance, invocation)
			}
		}
		certID, certAttempt, err := certRun(cert)
		if err != nil {
			return err
		}
		if run != certID || attempt != certAttempt {
			return fmt.Errorf("%w: invocation %s attempt %s, the certificate says %s attempt %s", ErrMismatchCertificate, run, attempt, certID, certAttempt)
		}
	}
	for _, t := range times {
		if present(t) {
			return fmt.Errorf("%w: build time %s", ErrNonVerifiableClaim, t)
		}
	}
	if !v1 && c.Metadata != nil {
		m := c.Metadata
		if m.Reproducible || m.Completeness.Parameters || m.Completeness.Environment || m.Completeness.Materials {
			return fmt.Errorf("%w: reproducible or complete", ErrNonVerifiableClaim)
		}
	}
	return nil
}

// checkTriggerPath compares the workflow the provenance says triggered
// the build with the certificate's build config.
func checkTriggerPath(c *npmClaims, v1 bool, cert certClaims) error {
	path := c.Invocation.ConfigSource.EntryPoint
	if v1 {
		w := c.BuildDefinition.ExternalParameters.Workflow
		if w == nil || w.Path == nil {
			return fmt.Errorf("%w: externalParameters.workflow has no path", ErrInvalidProvenance)
		}
		path = *w.Path
	}
	if cert.buildConfigPath == "" {
		return fmt.Errorf("%w: the certificate names no build config to confirm the trigger workflow", ErrMismatchCertificate)
	}
	if path != cert.buildConfigPath {
		return fmt.Errorf("%w: trigger workflow %q, the certificate says %q", ErrMismatchCertificate, path, cert.buildConfigPath)
	}
	return nil
}
