package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com"},
		{"repo:org/app:ref:refs/heads/main", "repo:org/app:ref:refs/heads/main"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"", "''"},
		{"a\nrm -rf x", "'a\nrm -rf x'"},
		{"#x", "'#x'"},
		{"~root", "'~root'"},
		{"a{b,c}", "'a{b,c}'"},
		{"[ab]", "'[ab]'"},
		{"!x", "'!x'"},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestQuoteRoundTrip has a real shell read each quoted word back.
func TestQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh to read the words back: %v", err)
	}
	for _, in := range []string{"", "plain", "a b", "it's", "'", "''", "$HOME `id` $(id)", "a\nb", "#c", "~", "*", "?", "a\\b", "é ü", "\t", "!x", "a;b|c&d>e<f", "{a,b}", "[x]"} {
		out, err := exec.Command(sh, "-c", "printf %s "+Quote(in)).Output()
		if err != nil {
			t.Fatalf("sh -c printf %%s %s: %v", Quote(in), err)
		}
		if string(out) != in {
			t.Errorf("sh read %s back as %q, want %q", Quote(in), out, in)
		}
	}
}
