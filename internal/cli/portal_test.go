package cli

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestPortalWarning(t *testing.T) {
	for _, tt := range []struct {
		cfg  serveConfig
		addr string
		warn bool
	}{
		{serveConfig{UI: true}, "127.0.0.1:8080", false},
		{serveConfig{UI: true}, "[::1]:8080", false},
		{serveConfig{UI: true}, "0.0.0.0:8080", true},
		{serveConfig{UI: true}, "[::]:8080", true},
		{serveConfig{UI: true}, "192.0.2.10:8080", true},
		{serveConfig{UI: true, TLSCert: "c.pem", TLSKey: "k.pem"}, "0.0.0.0:8443", false},
		{serveConfig{}, "0.0.0.0:8080", false},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		if err != nil {
			t.Fatal(err)
		}
		got := portalWarning(tt.cfg, addr)
		if (got != "") != tt.warn || tt.warn && !strings.Contains(got, "without TLS on "+addr.String()) {
			t.Errorf("portalWarning(%+v, %s) = %q, want a warning: %v", tt.cfg, tt.addr, got, tt.warn)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"72h":                  now.Add(72 * time.Hour),
		"30d":                  now.Add(30 * 24 * time.Hour),
		"2027-01-31T00:00:00Z": time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
	} {
		if got, err := parseExpiry(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"soon", "-1h", "0d", "d", "1.5d", "2027-01-31"} {
		if _, err := parseExpiry(in, now); err == nil {
			t.Errorf("parseExpiry(%q) = nil error, want a usage error", in)
		}
	}
}
