package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/silencewatch/silencewatch/internal/pgtest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Every store test runs on both databases: SQLite in a temporary
// directory, and PostgreSQL on the server whose URL is in
// SILENCEWATCH_POSTGRES_URL (a role that may create databases; each test
// gets a database of its own, dropped after it). Without that variable
// the PostgreSQL cases skip, unless SILENCEWATCH_POSTGRES=required (as in
// CI), and then they fail. `.ci/postgres start` starts such a server.

const (
	postgresURLEnv      = "SILENCEWATCH_POSTGRES_URL"
	postgresRequiredEnv = "SILENCEWATCH_POSTGRES"
)

// backend is one of the store's databases, for tests.
type backend struct {
	name string
	d    *dialect
	// newDSN names a fresh, empty database, removed when t ends: a file
	// path or a PostgreSQL URL.
	newDSN func(t testing.TB) string
}

// newStoreFunc opens a fresh, empty store and returns it with its DSN
// (to reopen it); the store is closed when the test ends.
type newStoreFunc func(t testing.TB) (*DB, string)

var backends = []backend{
	{name: "sqlite", d: sqliteDialect, newDSN: func(t testing.TB) string {
		return filepath.Join(t.TempDir(), "silencewatch.db")
	}},
	{name: "postgres", d: postgresDialect, newDSN: newPostgresDatabase},
}

// eachBackend runs test as one subtest per backend, named after it.
func eachBackend(t *testing.T, test func(t *testing.T, newStore newStoreFunc)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.newStore) })
	}
}

// eachBackendBench is eachBackend for benchmarks.
func eachBackendBench(b *testing.B, bench func(b *testing.B, newStore newStoreFunc)) {
	b.Helper()
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { bench(b, be.newStore) })
	}
}

// eachBackendRaw runs test per backend with the backend itself, for tests
// that write a database below the store (an old schema).
func eachBackendRaw(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

func (b backend) newStore(t testing.TB) (*DB, string) {
	t.Helper()
	dsn := b.newDSN(t)
	return openAt(t, dsn), dsn
}

// openRaw opens dsn with database/sql only: no migrations, queries as
// written (not rebound).
func (b backend) openRaw(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if b.d.postgres {
		var cfg *pgx.ConnConfig
		if cfg, err = pgx.ParseConfig(dsn); err == nil {
			db = stdlib.OpenDB(*cfg)
		}
	} else {
		db, err = sql.Open("sqlite", dsn+"?"+pragmas)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var postgresAdmin struct {
	once sync.Once
	url  *url.URL
	db   *sql.DB
	err  error
}

// postgresServer returns the test server's URL and a connection to it, or
// skips t (fails it when PostgreSQL is required).
func postgresServer(t testing.TB) (*url.URL, *sql.DB) {
	t.Helper()
	raw := os.Getenv(postgresURLEnv)
	if raw == "" {
		if os.Getenv(postgresRequiredEnv) == "required" {
			t.Fatalf("%s=required but %s is not set: start a server with .ci/postgres start", postgresRequiredEnv, postgresURLEnv)
		}
		t.Skipf("PostgreSQL store tests skipped: %s is not set (eval \"$(.ci/postgres start)\" to run them)", postgresURLEnv)
	}
	a := &postgresAdmin
	a.once.Do(func() {
		if a.url, a.err = url.Parse(raw); a.err != nil {
			a.err = fmt.Errorf("%s: %w", postgresURLEnv, hidePassword(a.err, raw))
			return
		}
		cfg, err := pgx.ParseConfig(raw)
		if err != nil {
			a.err = fmt.Errorf("%s %s: %w", postgresURLEnv, RedactDSN(raw), err)
			return
		}
		a.db = stdlib.OpenDB(*cfg)
		if err := a.db.PingContext(context.Background()); err != nil {
			a.err = fmt.Errorf("%s %s: %w", postgresURLEnv, RedactDSN(raw), hidePassword(err, raw))
		}
	})
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.url, a.db
}

// newPostgresDatabase creates a database of its own for t on the test
// server and returns its URL; it is dropped when t ends.
func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	base, admin := postgresServer(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("sw_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := pgtest.Drop(context.Background(), admin, name); err != nil {
			t.Errorf("%v", err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// QueryRow is QueryRowContext without a context, for tests.
func (c *conn) QueryRow(q string, args ...any) *sql.Row {
	return c.QueryRowContext(context.Background(), q, args...)
}
