// Package pgtest gives tests a PostgreSQL database of their own on the
// server SILENCEWATCH_POSTGRES_URL names, and drops it after them.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// URLEnv names the test server; RequiredEnv=required makes its absence a
// failure rather than a skip (CI sets both).
const (
	URLEnv      = "SILENCEWATCH_POSTGRES_URL"
	RequiredEnv = "SILENCEWATCH_POSTGRES"
)

// TB is the part of testing.TB used here.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// ServerURL returns the test server's URL, or skips t when none is set
// (fails it when one is required).
func ServerURL(t TB) string {
	t.Helper()
	raw := os.Getenv(URLEnv)
	if raw == "" {
		if os.Getenv(RequiredEnv) == "required" {
			t.Fatal(RequiredEnv + "=required but " + URLEnv + " is not set: start a server with eval \"$(.ci/postgres start)\"")
		}
		t.Skip("PostgreSQL case skipped: " + URLEnv + " is not set (eval \"$(.ci/postgres start)\")")
	}
	return raw
}

// Database creates an empty database named prefix and a random suffix on
// the test server, dropped when t ends, and returns its URL.
func Database(t TB, prefix string) string {
	t.Helper()
	raw := ServerURL(t)
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		t.Fatal(URLEnv + " does not parse")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(URLEnv + " does not parse")
	}
	admin := stdlib.OpenDB(*cfg)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if err := Drop(context.Background(), admin, name); err != nil {
			t.Errorf("%v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// Drop drops the database name, trying for ten seconds. WITH (FORCE)
// ends the sessions a test left (a killed process's, a pool closing), but
// a role without pg_signal_backend may not end an autovacuum worker that
// way; a plain DROP waits for autovacuum itself, so each try does both.
func Drop(ctx context.Context, admin *sql.DB, name string) error {
	var err error
	for range 40 {
		if _, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
			return nil
		}
		if _, plain := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); plain == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("drop test database %s: %w", name, err)
}
