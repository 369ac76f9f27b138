// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the server named by CONSIGN_TEST_POSTGRES, dropped when the
// test ends.
//
// When CONSIGN_TEST_POSTGRES is unset the test is skipped, saying why; when
// it is set and the server does not answer, the test fails. .ci/run sets it.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvVar names the connection string of the test server.
const EnvVar = "CONSIGN_TEST_POSTGRES"

// DSN creates a new schema for t and returns a connection string whose
// search_path is that schema. The schema is dropped in t.Cleanup.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skipf("%s is not set, so the PostgreSQL tests do not run here (CI sets it: see .ci/run; locally: %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvVar, EnvVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at %s does not answer: %v (it is set, so the tests must run)", redact(base), err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "consign_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	return withSearchPath(t, base, schema)
}

func withSearchPath(t testing.TB, base, schema string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", EnvVar, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(the configured server)"
	}
	return u.Redacted()
}
