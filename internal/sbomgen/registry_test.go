package sbomgen

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/consign-dev/consign/internal/sbomspec"
)

// canary is the registry password: it must appear in no output, in no
// form.
const (
	canaryUser = "consign-user"
	canary     = "CANARY-7f3a9"
)

// canaryForms are the ways a password can leak: as is, URL-encoded,
// base64 (alone and in a Basic authorization with its user).
func canaryForms(secret string) []string {
	return []string{
		secret,
		url.QueryEscape(secret),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.StdEncoding.EncodeToString([]byte(canaryUser + ":" + secret)),
	}
}

func assertNoSecret(t *testing.T, where string, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range canaryForms(s) {
			if strings.Contains(text, form) {
				t.Errorf("%s holds the secret (as %q)", where, form)
			}
		}
	}
}

// testRegistry serves go-containerregistry's registry on 127.0.0.1 behind
// HTTP basic authentication, with the fixture image pushed as app:1.0.
func testRegistry(t *testing.T) (host string) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != canaryUser || p != canary {
			w.Header().Set("WWW-Authenticate", `Basic realm="consign test"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host = strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host + "/app:1.0")
	must(t, err)
	must(t, remote.Write(ref, fixtureImage(t), remote.WithAuth(&authn.Basic{Username: canaryUser, Password: canary})))
	return host
}

// dockerConfig writes a Docker config.json that logs into host, and
// points DOCKER_CONFIG at it (HOME too, so no other config is read).
func dockerConfig(t *testing.T, host, user, password string) {
	t.Helper()
	dir := t.TempDir()
	auths := map[string]any{}
	if host != "" {
		auths[host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	}
	b, err := json.Marshal(map[string]any{"auths": auths})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600))
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("HOME", dir)
}

// TestRegistry scans an image in a registry on 127.0.0.1, with the
// credentials from the Docker configuration and then from the reference,
// and checks that the password shows up in no SBOM format, no warning and
// no error, and that user:password@ never reaches an SBOM.
func TestRegistry(t *testing.T) {
	host := testRegistry(t)
	img := fixtureImage(t)
	manifest, err := img.Digest()
	must(t, err)
	scan := func(t *testing.T, target string) *Result {
		t.Helper()
		res, err := Generate(context.Background(), sbomspec.Config{Target: target, Subjects: true})
		if err != nil {
			assertNoSecret(t, "the error", err.Error(), canary)
			t.Fatalf("Generate(%q) = %v", strings.ReplaceAll(target, canary, "*****"), err)
		}
		if res.Kind != KindRegistry {
			t.Errorf("Kind = %q, want %q", res.Kind, KindRegistry)
		}
		if m := missingKeys(res.PackageKeys(), fixtureImagePackages); len(m) > 0 {
			t.Errorf("packages %q missing from %q", m, res.PackageKeys())
		}
		want := Subject{Name: host + "/app"}
		if len(res.Subjects) != 1 || res.Subjects[0].Name != want.Name || res.Subjects[0].Digest["sha256"] != manifest.Hex {
			t.Errorf("subjects = %+v, want %s with the manifest digest %s", res.Subjects, want.Name, manifest)
		}
		assertNoSecret(t, "the warnings", strings.Join(res.Warnings, "\n"), canary)
		for _, f := range sbomspec.Formats() {
			b, err := res.Encode(f)
			if err != nil {
				t.Fatalf("Encode(%s) = %v", f, err)
			}
			assertNoSecret(t, f.String()+" output", string(b), canary)
			if strings.Contains(string(b), canaryUser) {
				t.Errorf("%s output holds the user name from the credentials", f)
			}
		}
		return res
	}

	t.Run("credentials from the Docker configuration", func(t *testing.T) {
		dockerConfig(t, host, canaryUser, canary)
		scan(t, "registry:"+host+"/app:1.0")
	})
	t.Run("credentials in the reference", func(t *testing.T) {
		dockerConfig(t, "", "", "")
		scan(t, "registry:"+canaryUser+":"+url.PathEscape(canary)+"@"+host+"/app:1.0")
	})
	bad := []struct {
		name, target string
		secret       string
	}{
		{"no credentials", "registry:" + host + "/app:1.0", ""},
		{"wrong password in the reference", "registry:" + canaryUser + ":WRONG-" + canary + "@" + host + "/app:1.0", "WRONG-" + canary},
		{"no such tag", "registry:" + canaryUser + ":" + canary + "@" + host + "/app:9.9", canary},
		{"no such repository", "registry:" + canaryUser + ":" + canary + "@" + host + "/nothing:1.0", canary},
		{"nothing listening", "registry:" + canaryUser + ":" + canary + "@127.0.0.1:1/app:1.0", canary},
		{"malformed reference", "registry:" + canaryUser + ":" + canary + "@" + host + "/UPPER CASE:!", canary},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			dockerConfig(t, "", "", "")
			res, err := Generate(context.Background(), sbomspec.Config{Target: tt.target})
			if !errors.Is(err, ErrImage) {
				t.Errorf("Generate = %v, want ErrImage", err)
			}
			if res != nil {
				t.Error("Generate returned a result with its error")
			}
			t.Logf("error: %v", err)
			if err != nil && tt.secret != "" {
				assertNoSecret(t, "the error", err.Error(), tt.secret)
			}
		})
	}
}
