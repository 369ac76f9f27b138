package redact_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/redact"
)

const R = redact.Placeholder

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"url userinfo", "https://u:s3cr3t@git.example/r.git", "https://" + R + "@git.example/r.git"},
		{"url token as user", "https://ghx0123456789@github.com/o/r", "https://" + R + "@github.com/o/r"},
		{"url in a shell line", "git clone https://oauth2:abc@gitlab.example/g/p.git && make", "git clone https://" + R + "@gitlab.example/g/p.git && make"},
		{"ssh user kept", "ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"},
		{"ssh password", "ssh://git:pw@host/r", "ssh://" + R + "@host/r"},
		{"at in a path", "https://host/pkg@v1.2.3", "https://host/pkg@v1.2.3"},
		{"s3 presigned", "https://b.s3.example/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abcdef&x=1", "https://b.s3.example/k?X-Amz-Credential=" + R + "&X-Amz-Signature=" + R + "&x=1"},
		{"azure sas", "https://a.blob.example/c?sv=2020&sig=abc%3D", "https://a.blob.example/c?sv=2020&sig=" + R},
		{"github classic", "ghp_" + strings.Repeat("a", 36), R},
		{"github oauth", "tok=gho_" + strings.Repeat("B", 36), "tok=" + R},
		{"github server", "x ghs_" + strings.Repeat("1", 36) + " y", "x " + R + " y"},
		{"github fine grained", "github_pat_11AAAA_" + strings.Repeat("z", 40), R},
		{"gitlab", "glpat-" + strings.Repeat("x", 20), R},
		{"aws key id", "AKIAIOSFODNN7EXAMPLE", R},
		{"slack", "xoxb-1234567890-abcdef", R},
		{"authorization bearer", "Authorization: Bearer abc.def", "Authorization: Bearer " + R},
		{"authorization basic", "authorization:Basic dTpw", "authorization:Basic " + R},
		{"authorization raw", "Authorization: abc", "Authorization: " + R},
		{"bearer alone", "Bearer 0123456789abcdefXYZ", "Bearer " + R},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", R},
		{"password flag", "--password=hunter2", "--password=" + R},
		{"token flag", "-token=abc", "-token=" + R},
		{"api key flag", "--api-key=abc", "--api-key=" + R},
		{"env assignment", "GITHUB_TOKEN=abc make", "GITHUB_TOKEN=" + R + " make"},
		{"aws secret env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "AWS_SECRET_ACCESS_KEY=" + R},
		{"token file kept", "--token-file=/run/secrets/t", "--token-file=/run/secrets/t"},
		{"password stdin kept", "--password-stdin=true", "--password-stdin=true"},
		{"private key",
			"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\nrest",
			R + "\nrest"},
		{"ec private key", "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----", R},
		{"truncated private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc", R},
		{"public key kept", "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"},
		{"plain kept", "make -j4 dist VERSION=1.2.3", "make -j4 dist VERSION=1.2.3"},
		{"digest kept", "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
		{"already redacted", "https://" + R + "@h/?token=" + R, "https://" + R + "@h/?token=" + R},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := redact.String(tt.in)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if changed != (tt.in != tt.want) {
				t.Errorf("String(%q) changed = %v, want %v", tt.in, changed, tt.in != tt.want)
			}
			if again, _ := redact.String(got); again != got {
				t.Errorf("String(String(%q)) = %q, want it unchanged %q", tt.in, again, got)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name        string
		in, want    []string
		wantChanged []int
	}{
		{"clone with token", []string{"git", "clone", "https://u:T0K3N@host/r.git"}, []string{"git", "clone", "https://" + R + "@host/r.git"}, []int{2}},
		{"flag then value", []string{"tool", "--token", "abc", "--password", "pw", "--out", "x"}, []string{"tool", "--token", R, "--password", R, "--out", "x"}, []int{2, 4}},
		{"single dash flag", []string{"tool", "-secret", "abc"}, []string{"tool", "-secret", R}, []int{2}},
		{"header", []string{"curl", "-H", "Authorization: Bearer abc", "https://h/"}, []string{"curl", "-H", "Authorization: Bearer " + R, "https://h/"}, []int{2}},
		{"holder flags kept", []string{"docker", "login", "--password-stdin", "reg.example", "--token-file", "f"}, []string{"docker", "login", "--password-stdin", "reg.example", "--token-file", "f"}, nil},
		{"value flag is last", []string{"tool", "--token"}, []string{"tool", "--token"}, nil},
		{"nothing", []string{"make", "dist"}, []string{"make", "dist"}, nil},
		{"empty", []string{}, []string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got, changed := redact.Args(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Args(%q) (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tt.wantChanged, changed); diff != "" {
				t.Errorf("Args(%q) changed indexes (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(in, tt.in); diff != "" {
				t.Errorf("Args modified its input (-before +after):\n%s", diff)
			}
		})
	}
}

// FuzzString: redaction never panics, is idempotent, and reports a change
// exactly when it made one.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		"https://u:p@h/r.git", "--token=x", "Authorization: Bearer x", "ghp_" + strings.Repeat("a", 36),
		"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----", "?sig=x&token=y", "A_TOKEN=1 B=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, changed := redact.String(s)
		if changed != (got != s) {
			t.Fatalf("String(%q) = %q, changed %v", s, got, changed)
		}
		if again, _ := redact.String(got); again != got {
			t.Fatalf("String(%q) = %q; again %q", s, got, again)
		}
	})
}
